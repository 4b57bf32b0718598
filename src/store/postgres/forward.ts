// Store and forward, the PostgreSQL half: registering a node (one SQLite file that forwards here),
// storing a batch of its messages exactly once under their origin keys, and resolving the id a
// node's send returned to the message's id here. Programs (program.ts), run by postgresStore.ts.

import type { Channels } from './channels.js'
import { first, rows } from './program.js'
import type { Program } from './program.js'
import { publishMany } from './publish.js'
import type { PublishInput } from '../types.js'

/** One message of a node's outbox: its local id (the origin id) and what to publish. */
export interface ForwardRow {
  originId: number
  input: PublishInput
}

/** Where each forwarded origin id landed: the message's id here (its job id in this schema). */
export interface Forwarded {
  originId: number
  messageId: number
  /** Stored by an earlier forward of the same row (a crash between that commit and the local delete). */
  again: boolean
}

const sql = {
  register: `INSERT INTO durable_ipc_nodes (node_id, created_at) VALUES ($1, $2)
    ON CONFLICT (node_id) DO UPDATE SET node_id = excluded.node_id RETURNING number`,
  // The origin rows first: those that conflict were forwarded before and are not stored again.
  claimOrigins: `INSERT INTO durable_ipc_origins (origin_node, origin_id, forwarded_at)
    SELECT $1, o, $3 FROM unnest($2::bigint[]) AS o
    ON CONFLICT (origin_node, origin_id) DO NOTHING RETURNING origin_id`,
  known: `SELECT origin_id, message_id FROM durable_ipc_origins
    WHERE origin_node = $1 AND origin_id = ANY($2::bigint[])`,
  setMessageIds: `UPDATE durable_ipc_origins AS o SET message_id = m.id
    FROM unnest($2::bigint[], $3::bigint[]) AS m (origin_id, id)
    WHERE o.origin_node = $1 AND o.origin_id = m.origin_id`,
  resolve: `SELECT message_id FROM durable_ipc_origins
    WHERE origin_id = $1 AND message_id IS NOT NULL ORDER BY forwarded_at LIMIT 1`,
} as const

/**
 * Registers node `nodeId` (idempotent) and answers its number, which places its ids.
 *
 * @example
 * const number = yield* registerNode('3f2a…', Date.now())
 */
export function* registerNode(nodeId: string, now: number): Program<number> {
  const row = yield* first<{ number: number }>(sql.register, [nodeId, now])
  return row!.number
}

/**
 * Stores `batch` (in origin id order) in the caller's one transaction, exactly once per origin
 * key: rows whose key is taken (forwarded before) are not stored again and answer the id they got
 * then. A row the channel refuses (queue full, too large, unknown channel) throws, storing none of
 * the batch: the forwarder then goes on one row at a time, up to it.
 *
 * @example
 * const forwarded = yield* forwardBatch(channels, nodeId, rows, Date.now())
 */
export function* forwardBatch(channels: Channels, nodeId: string, batch: readonly ForwardRow[], now: number): Program<Forwarded[]> {
  const ids = batch.map((row) => row.originId)
  const fresh = new Set((yield* rows<{ origin_id: number }>(sql.claimOrigins, [nodeId, ids, now])).map((row) => row.origin_id))
  const toStore = batch.filter((row) => fresh.has(row.originId))
  const results = yield* publishMany(channels, toStore.map((row) => row.input))
  const stored = toStore.map((row, i) => ({ originId: row.originId, messageId: results[i]!.id, again: false }))
  if (stored.length > 0) {
    yield* rows(sql.setMessageIds, [nodeId, stored.map((s) => s.originId), stored.map((s) => s.messageId)])
  }
  const again: Forwarded[] = []
  if (stored.length < batch.length) {
    const known = yield* rows<{ origin_id: number; message_id: number | null }>(sql.known, [nodeId, ids.filter((id) => !fresh.has(id))])
    for (const row of known) again.push({ originId: row.origin_id, messageId: row.message_id ?? 0, again: true })
  }
  return [...stored, ...again]
}

/**
 * The id here of the message a node's send returned `originId` for; undefined when none forwarded it.
 *
 * @example
 * const id = yield* resolveOrigin(1125904201809921)
 */
export function* resolveOrigin(originId: number): Program<number | undefined> {
  const row = yield* first<{ message_id: number }>(sql.resolve, [originId])
  return row?.message_id
}
