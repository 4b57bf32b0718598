// The origin key of store and forward: a batch forwarded again (the node crashed after PostgreSQL
// committed it and before its rows were deleted locally), or by two processes on one file at once,
// is stored in PostgreSQL once. And the node's ids: a range of its own, kept across reopening.

import { describe, expect, it } from 'vitest'
import { openPostgresStore } from '../../../src/store/index.js'
import type { Store } from '../../../src/store/index.js'
import { openLocalOutbox } from '../../../src/store/forwarding/localOutbox.js'
import { ID_BASE, NODE_RANGE } from '../../../src/store/forwarding/forwardingStore.js'
import { openPostgresParts } from '../../../src/store/postgres/postgresStore.js'
import { channelConfig, message, text } from '../helpers.js'
import { postgresUrl, useSchemas } from '../../support/postgres.js'
import { useForwardingParts } from './parts.js'

describe('store and forward: the origin key', () => {
  const schema = useSchemas()
  const { file, track, forwardingStore } = useForwardingParts('durable-ipc-forward-')
  const inPostgres = (pgSchema: string): Store => track(openPostgresStore({ connectionString: postgresUrl(), schema: pgSchema }))
  const now = Date.now()

  it('stores nothing twice when a batch committed in PostgreSQL is forwarded again after a crash before the local delete', async () => {
    const path = file()
    const pgSchema = schema()
    const node = forwardingStore(path, pgSchema)
    node.declareChannel('jobs', channelConfig())
    const ids = ['a', 'b', 'c'].map((t) => node.publish(message('jobs', t, now)).id)
    const nodeId = node.forwarding!.nodeId
    node.close()

    // The forwarder's first half, by hand: the rows go to PostgreSQL, and the process dies before
    // it deletes them here (nothing else happens).
    const outbox = track(openLocalOutbox(path, 5000))
    const { store: pg, node: pgNode } = openPostgresParts({ connectionString: postgresUrl(), schema: pgSchema })
    track(pg)
    const first = await pgNode.forward(nodeId, outbox.read(100), now)
    expect(first.map((f) => f.originId)).toEqual(ids)
    expect(outbox.backlog().pending).toBe(3)

    // Reopened: the forwarder sends the same rows again, and PostgreSQL keeps the first copies.
    const again = forwardingStore(path, pgSchema)
    expect(again.forwarding!.nodeId).toBe(nodeId)
    await expect(again.forwarding!.forward(100)).resolves.toEqual({ forwarded: 3, more: false })
    expect(again.forwarding!.backlog().pending).toBe(0)
    const shared = inPostgres(pgSchema)
    const stored = shared.messagesAfter(0, 'jobs', 100)
    expect(stored.map((m) => text(m.payload))).toEqual(['a', 'b', 'c'])
    expect(stored.map((m) => m.id)).toEqual(first.map((f) => f.messageId))
    // Each send's id resolves to its one message, on any node.
    expect(ids.map((id) => again.job(id, now)?.channel)).toEqual(['jobs', 'jobs', 'jobs'])
  })

  it('stores each row once when two stores on one file forward the same rows at the same time', async () => {
    const path = file()
    const pgSchema = schema()
    const one = forwardingStore(path, pgSchema)
    one.declareChannel('jobs', channelConfig())
    one.publishMany(Array.from({ length: 300 }, (_, i) => message('jobs', `m${i}`, now)))
    const two = forwardingStore(path, pgSchema)
    const results = await Promise.allSettled([one.forwarding!.forward(500), two.forwarding!.forward(500)])
    expect(results.some((r) => r.status === 'fulfilled')).toBe(true)
    // Whatever one of them left (a lock conflict), the next forward takes.
    await one.forwarding!.forward(500)
    expect(one.forwarding!.backlog().pending).toBe(0)
    const stored = inPostgres(pgSchema).messagesAfter(0, 'jobs', 1000).map((m) => text(m.payload))
    expect(stored).toHaveLength(300)
    expect(new Set(stored).size).toBe(300)
  })

  it('gives each node ids in a range of its own, above PostgreSQL\'s, kept when the file is opened again', () => {
    const pgSchema = schema()
    const [pathA, pathB] = [file(), file()]
    const a = forwardingStore(pathA, pgSchema)
    const b = forwardingStore(pathB, pgSchema)
    a.declareChannel('jobs', channelConfig())
    const idA = a.publish(message('jobs', 'a', now)).id
    const idB = b.publish(message('jobs', 'b', now)).id
    for (const id of [idA, idB]) expect(id).toBeGreaterThan(ID_BASE)
    expect(Math.floor((idA - ID_BASE) / NODE_RANGE)).not.toBe(Math.floor((idB - ID_BASE) / NODE_RANGE))
    a.close()
    const reopened = forwardingStore(pathA, pgSchema)
    expect(reopened.publish(message('jobs', 'a2', now)).id).toBe(idA + 1)
  })
})
