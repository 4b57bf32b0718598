// A worker-thread renderer's durable inbox across nodes (issue 15): node a addresses the worker
// open on node b by its id (webContents.fromId); what a sends while the worker is gone waits in
// PostgreSQL, and a worker spawned with the same id on node c gets it, in order. Uses dist/ (the
// fixture imports durable-ipc/renderer): `npm run build` first.

import { describe, expect, it } from 'vitest'
import { Counter, dbPath, openBroker, useDurableFixtures } from '../api/durableHelpers.js'
import type { DurableBroker } from '../api/durableHelpers.js'
import { postgresUrl, useSchemas } from '../support/postgres.js'
import { exitOf, fixture } from './workerHelpers.js'

describe('a worker renderer inbox across nodes', () => {
  useDurableFixtures()
  const schema = useSchemas()

  it('reaches the worker on the node that runs it, and follows its id to the next node', async () => {
    const shared = schema()
    const node = (): DurableBroker => openBroker({ path: dbPath('node.db'), postgres: { connectionString: postgresUrl(), schema: shared } })
    const [a, b, c] = [node(), node(), node()]
    for (const broker of [a, b, c]) broker.channel('jobs', { durable: true })
    // The fixture reports each inbox message on 'inbox-got' (transient, to its own node's main side).
    const reports = (broker: DurableBroker): Counter<number> => {
      const got = new Counter<number>()
      broker.ipcMain.on('inbox-got', (_event, n: number) => got.push(n))
      return got
    }
    const [gotB, gotC] = [reports(b), reports(c)]
    const onB = b.spawnRenderer(fixture('inbox.mjs'), { id: 'worker-1' })
    const to = a.webContents.fromId('worker-1')
    expect(to.isDestroyed()).toBe(true)
    for (const n of [1, 2, 3]) to.send('jobs', n)
    await gotB.reach(3)
    expect(gotB.items).toEqual([1, 2, 3])
    const inbox = () => a.stats().renderers['worker-1']
    await expect.poll(() => inbox()?.depth).toBe(0)

    await onB.terminate()
    expect(await exitOf(onB)).toBe(1)
    for (const n of [4, 5]) to.send('jobs', n)
    await expect.poll(inbox).toMatchObject({ depth: 2, open: false })
    const onC = c.spawnRenderer(fixture('inbox.mjs'), { id: 'worker-1' })
    expect(c.stats().renderers['worker-1']).toMatchObject({ open: true })
    await gotC.reach(2)
    expect(gotC.items).toEqual([4, 5])
    expect(gotB.items).toEqual([1, 2, 3])
    await onC.terminate()
  })
})
