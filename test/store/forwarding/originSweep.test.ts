// The sweep of origin keys (issue #15): a node deletes its own keys in PostgreSQL below the lowest
// id it may still forward, once their messages are gone everywhere, so that the table that makes
// forwarding idempotent stays bounded; a batch PostgreSQL committed but the node did not delete
// (a crash between the two) keeps its keys and is still stored once.

import { describe, expect, it } from 'vitest'
import { newOwnerId } from '../../../src/store/index.js'
import { openLocalOutbox } from '../../../src/store/forwarding/localOutbox.js'
import { openPostgresParts } from '../../../src/store/postgres/postgresStore.js'
import { channelConfig, message } from '../helpers.js'
import { pgModule, postgresUrl, useSchemas } from '../../support/postgres.js'
import { useForwardingParts } from './parts.js'

describe('store and forward: the sweep of origin keys', () => {
  const schema = useSchemas()
  const { file, track, forwardingStore } = useForwardingParts('durable-ipc-sweep-')
  const origins = async (pgSchema: string): Promise<number> => {
    const client = new (pgModule().Client)({ connectionString: postgresUrl() })
    await client.connect()
    try {
      return (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${pgSchema}".durable_ipc_origins`)).rows[0]!.n
    } finally {
      await client.end()
    }
  }
  const now = Date.now()

  it('deletes the keys of messages gone everywhere once the outbox is empty, and keeps those of messages still there', async () => {
    const pgSchema = schema()
    const node = forwardingStore(file(), pgSchema)
    node.declareChannel('jobs', channelConfig())
    const ids = node.publishMany(Array.from({ length: 20 }, (_, i) => message('jobs', `m${i}`, now))).map((r) => r.id)
    await expect(node.forwarding!.forward(100)).resolves.toEqual({ forwarded: 20, more: false })
    const owner = newOwnerId()
    const claimed = await node.claim('jobs', 'main', owner, Date.now(), 30_000, 100)
    expect(claimed).toHaveLength(20)
    // All but the last acknowledged: its message is still in PostgreSQL (leased).
    await node.ack(claimed.slice(0, 19).map((m) => m.id), owner)
    expect(await origins(pgSchema)).toBe(20)

    // The forwarder's idle look (nothing to forward) takes a step of the sweep.
    await expect(node.forwarding!.forward(100)).resolves.toEqual({ forwarded: 0, more: false })
    expect(await origins(pgSchema)).toBe(1)
    // The message still there resolves by its send's id; the others were stored, and say so.
    expect(node.job(ids[19]!, Date.now())?.state).toBe('active')
    expect(node.job(ids[0]!, Date.now())).toBeUndefined()
    expect(node.forwarding!.wasStored(ids[0]!)).toBe(true)

    await node.ack([claimed[19]!.id], owner)
    // The sweep reached the end a moment ago and pauses, so this look prunes nothing more yet...
    await node.forwarding!.forward(100)
    expect(await origins(pgSchema)).toBe(1)
  })

  it('keeps the keys of a batch PostgreSQL committed and the node did not delete, so that forwarding it again stores nothing twice', async () => {
    const path = file()
    const pgSchema = schema()
    const first = forwardingStore(path, pgSchema)
    first.declareChannel('jobs', channelConfig())
    first.publishMany(['a', 'b', 'c'].map((t) => message('jobs', t, now)))
    const nodeId = first.forwarding!.nodeId
    first.close()

    // The forwarder's first half by hand (PostgreSQL commits), then a crash before the local delete.
    const outbox = track(openLocalOutbox(path, 5000))
    const { store: pg, node: pgNode } = openPostgresParts({ connectionString: postgresUrl(), schema: pgSchema })
    track(pg)
    const rows = outbox.read(100)
    await pgNode.forward(nodeId, rows, now)
    // Their messages are consumed meanwhile on another node: gone everywhere in PostgreSQL.
    const owner = newOwnerId()
    const claimed = await pg.claim('jobs', 'main', owner, Date.now(), 30_000, 100)
    await pg.ack(claimed.map((m) => m.id), owner)
    expect(claimed).toHaveLength(3)

    // The rows are still in the outbox: their keys are at or above its lowest id, and stay.
    expect(outbox.lowestPending()).toBe(rows[0]!.originId)
    await expect(pgNode.pruneOrigins(nodeId, 0, outbox.lowestPending(), 1000)).resolves.toEqual({ last: null, pruned: 0 })
    expect(await origins(pgSchema)).toBe(3)

    // Reopened, the node forwards them again: found, stored nothing twice, deleted here.
    const again = forwardingStore(path, pgSchema)
    await expect(again.forwarding!.forward(100)).resolves.toEqual({ forwarded: 3, more: false })
    expect(pg.messagesAfter(0, 'jobs', 100)).toEqual([])
    expect(await pg.claim('jobs', 'main', owner, Date.now(), 30_000, 100)).toEqual([])
    // Now below the outbox's lowest id (it is empty) and gone everywhere: swept.
    expect(outbox.lowestPending()).toBeGreaterThan(rows[2]!.originId)
    await again.forwarding!.forward(100)
    expect(await origins(pgSchema)).toBe(0)
  })
})
