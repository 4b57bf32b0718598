// Durable inboxes of worker-thread renderers (issue 5): the handle tells which channels the worker
// listens to, delivers one message at a time with acknowledgement, hands back what a dying worker
// held, and a later worker with the same id gets the rest of the inbox, in order.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DeliveryAborted } from '../../src/ipc/durableDelivery.js'
import type { WorkerRendererImpl } from '../../src/ipc/worker/mainSide.js'
import { closeBrokers, deferred, newBroker, rejection } from '../api/helpers.js'
import type { TestBroker } from '../api/helpers.js'
import { exitOf, fixture, nextFrom, spawnRemote } from './workerHelpers.js'

const dirs: string[] = []
afterEach(async () => {
  await closeBrokers()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function dbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'durable-ipc-workers-'))
  dirs.push(dir)
  return join(dir, 'app.db')
}

// The inbox members are the lead's plug (InboxEndpoint), not public API: reach them on the class.
function spawnHandle(broker: TestBroker, id?: string) {
  const remote = spawnRemote(broker, id === undefined ? {} : { id })
  return { remote, handle: remote.renderer as unknown as WorkerRendererImpl }
}

const meta = { messageId: 1, attempt: 1 }

describe('a worker renderer as a durable inbox endpoint', () => {
  it('reports which channels the worker listens to, and calls onListenersChanged on each change', async () => {
    const broker = newBroker()
    const { remote, handle } = spawnHandle(broker)
    const changes: string[] = []
    const wired = handle.onListenersChanged
    handle.onListenersChanged = (channel) => {
      if (channel === 'news') changes.push(`${channel}:${handle.listensTo(channel)}`)
      wired?.(channel)
    }
    await remote.ready
    expect(handle.listensTo('news')).toBe(false)
    await remote.ok('listen', { channel: 'news' })
    await remote.ok('listen', { channel: 'news' })
    expect(handle.listensTo('news')).toBe(true)
    await remote.ok('unlisten', { channel: 'news' })
    expect(handle.listensTo('news')).toBe(false)
    // Only the 0 <-> 1 transitions cross the thread.
    expect(changes).toEqual(['news:true', 'news:false'])
    // The fixture's own 'cmd' listener counts too; an exited worker listens to nothing.
    expect(handle.listensTo('cmd')).toBe(true)
    await handle.terminate()
    expect(handle.listensTo('cmd')).toBe(false)
  })

  it('resolves deliverDurable once the listeners returned or their promises resolved', async () => {
    const broker = newBroker()
    const { remote, handle } = spawnHandle(broker)
    await remote.ok('durableListener', { channel: 'plain', mode: 'return' })
    await remote.ok('durableListener', { channel: 'slow', mode: 'slow' })
    const heard = nextFrom(broker, remote.renderer, 'plain-heard')
    await expect(handle.deliverDurable('plain', ['a', { n: 1 }], meta)).resolves.toBeUndefined()
    expect(await heard).toEqual(['a', { n: 1 }])
    const started = performance.now()
    await expect(handle.deliverDurable('slow', [], meta)).resolves.toBeUndefined()
    expect(performance.now() - started).toBeGreaterThanOrEqual(15)
  })

  it('rejects deliverDurable with the listener error when one throws or rejects', async () => {
    const broker = newBroker()
    const { remote, handle } = spawnHandle(broker)
    await remote.ok('durableListener', { channel: 'throws', mode: 'throw' })
    await remote.ok('durableListener', { channel: 'rejects', mode: 'reject' })
    const thrownError = await rejection(handle.deliverDurable('throws', [], meta))
    expect(thrownError).toMatchObject({ name: 'RangeError', message: 'listener threw', code: 'E_LISTENER' })
    expect(thrownError).not.toBeInstanceOf(DeliveryAborted)
    const rejected = await rejection(handle.deliverDurable('rejects', [], meta))
    expect(rejected).toMatchObject({ name: 'TypeError', message: 'listener rejected' })
  })

  it('rejects deliverDurable with DeliveryAborted when the worker does not listen, exits first, or is gone', async () => {
    const broker = newBroker()
    const { remote, handle } = spawnHandle(broker)
    await remote.ok('durableListener', { channel: 'hangs', mode: 'hang' })
    expect(await rejection(handle.deliverDurable('nobody', [], meta))).toBeInstanceOf(DeliveryAborted)
    const heard = nextFrom(broker, remote.renderer, 'hangs-heard')
    const inFlight = handle.deliverDurable('hangs', [1], meta)
    await heard
    await handle.terminate()
    expect(await rejection(inFlight)).toBeInstanceOf(DeliveryAborted)
    expect(await rejection(handle.deliverDurable('hangs', [2], meta))).toBeInstanceOf(DeliveryAborted)
  })
})

describe('the durable inbox of a worker renderer id', () => {
  it('hands the rest of the inbox, the in-flight message first, to the next worker with that id', async () => {
    const broker = newBroker({ path: dbPath() })
    // A long lease: the hand-over must not wait for it to expire.
    broker.channel('jobs', { durable: true, leaseMs: 60_000 })
    const got = new Map<unknown, number[]>()
    broker.ipcMain.on('inbox-got', (event, n: number) => {
      const list = got.get(event.sender) ?? []
      list.push(n)
      got.set(event.sender, list)
    })
    const first = broker.spawnRenderer(fixture('inbox.mjs'), { id: 'window', workerData: { hangOn: 4 } })
    const holding = deferred()
    broker.ipcMain.on('inbox-got', (event, n: number) => {
      if (event.sender === first.webContents && n === 4) holding.resolve()
    })
    for (let n = 0; n < 10; n++) first.webContents.send('jobs', n)
    await holding.promise
    await first.terminate()
    // Sent while no renderer with the id runs: kept in the inbox.
    for (let n = 10; n < 12; n++) first.webContents.send('jobs', n)
    expect(got.get(first.webContents)).toEqual([0, 1, 2, 3, 4])
    const second = broker.spawnRenderer(fixture('inbox.mjs'), { id: 'window' })
    const all = deferred()
    broker.ipcMain.on('inbox-got', (event) => {
      if (event.sender === second.webContents && got.get(second.webContents)!.length === 8) all.resolve()
    })
    await all.promise
    expect(got.get(second.webContents)).toEqual([4, 5, 6, 7, 8, 9, 10, 11])
    await second.terminate()
    expect(await exitOf(second)).toBe(1)
  })
})
