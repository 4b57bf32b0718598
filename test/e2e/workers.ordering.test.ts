// Ordering across threads (issue 5): a worker's send, sendSync and invoke reach the main side in
// the order they were made, and main-to-worker messages arrive in the order they were sent.
import { afterEach, describe, expect, it } from 'vitest'
import { closeBrokers, newBroker, seededRandom } from '../api/helpers.js'
import { spawnRemote } from './workerHelpers.js'

afterEach(closeBrokers)

describe('ordering with a worker renderer', () => {
  it('delivers 1000 interleaved send/sendSync/invoke calls in call order', async () => {
    const broker = newBroker()
    const random = seededRandom(5)
    const kinds = Array.from({ length: 1000 }, () => Math.floor(random() * 3))
    const arrived: number[] = []
    broker.ipcMain.on('order', (event, i: number) => {
      arrived.push(i)
      event.returnValue = i * 10
    })
    broker.ipcMain.handle('order', (_event, i: number) => {
      arrived.push(i)
      return -i
    })
    const remote = spawnRemote(broker)
    const result = await remote.ok<{ syncReplies: number[]; invokeResults: number[] }>('interleaved', { kinds })
    expect(arrived).toEqual(kinds.map((_, i) => i))
    expect(result.syncReplies).toEqual(kinds.flatMap((k, i) => (k === 1 ? [i * 10] : [])))
    expect(result.invokeResults).toEqual(kinds.flatMap((k, i) => (k === 2 ? [-i] : [])))
  })

  it('delivers webContents.send messages in order, those sent before the worker connected first', async () => {
    const broker = newBroker()
    const remote = spawnRemote(broker)
    for (let i = 0; i < 500; i++) remote.renderer.webContents.send('seq', i)
    await remote.ready
    for (let i = 500; i < 1000; i++) remote.renderer.webContents.send('seq', i)
    await expect(remote.ok('received')).resolves.toEqual(Array.from({ length: 1000 }, (_, i) => i))
  })
})
