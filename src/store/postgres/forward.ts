// Store and forward, the PostgreSQL half: registering a node (one SQLite file that forwards here),
// storing a batch of its messages exactly once under their origin keys, and resolving the id a
// node's send returned to the message's id here. Programs (program.ts), run by postgresStore.ts.

import type { Channels } from './channels.js'
import { newMessageColumns, pushMessage } from './payloads.js'
import { alone, first, rows } from './program.js'
import type { Program } from './program.js'
import { publishMany } from './publish.js'
import { payloadBytes } from '../types.js'
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

// A batch of plain messages (no key, no subscription of their own) to one channel with one fan-out
// subscription and no maxDepth, in one statement: the origin keys forwarded before are looked up,
// the other rows inserted (ids from the sequence in the order of the rows: ORDER BY n) and their
// origin rows written with the ids they got. ok false: the channel is not so (or unknown, or a row
// too large), nothing was done, and the batch goes the whole way (forwardBatch). A forward of the
// same rows committing meanwhile makes the origin insert fail on its key, with nothing stored: the
// runner runs it again (pgErrors.ts, isRetryable), and it then finds them.
// $1 node, $2 origin ids, $3 now, $4 channel, $5-$10 the rows' columns, $11 the largest payload's
// bytes, $12/$13 the notification.
const forwardPlain = {
  name: 'durable_ipc_forward',
  text: `WITH plan AS (SELECT c.config::jsonb AS config,
        ARRAY(SELECT s.name FROM durable_ipc_subscriptions AS s WHERE s.channel = c.name AND s.fan_out) AS fan_out
      FROM durable_ipc_channels AS c WHERE c.name = $4),
    g AS (SELECT COALESCE((SELECT cardinality(fan_out) = 1 AND config ->> 'maxDepth' IS NULL
        AND (config ->> 'maxMessageBytes' IS NULL OR $11::bigint <= (config ->> 'maxMessageBytes')::bigint) FROM plan), false) AS ok,
      (SELECT fan_out[1] FROM plan) AS target),
    known AS (SELECT origin_id, message_id FROM durable_ipc_origins
      WHERE origin_node = $1 AND origin_id = ANY($2::bigint[]) AND (SELECT ok FROM g)),
    fresh AS (SELECT * FROM unnest($2::bigint[], $5::text[], $6::bytea[], $7::boolean[], $8::bigint[], $9::bigint[], $10::bigint[])
        WITH ORDINALITY AS r (origin_id, kind, payload, payload_text, created_at, visible_at, priority, n)
      WHERE (SELECT ok FROM g) AND r.origin_id NOT IN (SELECT origin_id FROM known)),
    stored AS (INSERT INTO durable_ipc_messages (channel, subscription, kind, payload, payload_text, created_at, visible_at, priority)
      SELECT $4, (SELECT target FROM g), kind, payload, payload_text, created_at, visible_at, priority FROM fresh ORDER BY n RETURNING id),
    origins AS (INSERT INTO durable_ipc_origins (origin_node, origin_id, message_id, forwarded_at)
      SELECT $1, f.origin_id, s.id, $3 FROM (SELECT origin_id, row_number() OVER (ORDER BY n) AS k FROM fresh) AS f
      JOIN (SELECT id, row_number() OVER (ORDER BY id) AS k FROM stored) AS s USING (k)
      RETURNING origin_id, message_id),
    noted AS MATERIALIZED (SELECT pg_notify($12, $13))
    SELECT g.ok, x.origin_id, x.message_id, x.again FROM g CROSS JOIN noted LEFT JOIN (
      SELECT origin_id, message_id, false AS again FROM origins UNION ALL SELECT origin_id, message_id, true FROM known) AS x ON true`,
}

// The one-statement forward of a plain batch; undefined when the batch is not plain or the channel says no.
function* forwardPlainBatch(nodeId: string, batch: readonly ForwardRow[], now: number): Program<Forwarded[] | undefined> {
  const channel = batch[0]?.input.channel
  if (batch.some(({ input }) => input.channel !== channel || (input.key ?? null) !== null || input.subscription !== undefined)) return undefined
  const columns = newMessageColumns()
  let largest = 0
  for (const { input } of batch) {
    largest = Math.max(largest, payloadBytes(input.payload))
    pushMessage(columns, input)
  }
  const answer = yield* alone<{ ok: boolean; origin_id: number | null; message_id: number | null; again: boolean }>(
    forwardPlain, [nodeId, batch.map((row) => row.originId), now, channel, ...columns, largest])
  if (answer[0]?.ok !== true) return undefined
  const forwarded = answer.flatMap((row) => (row.origin_id === null ? [] : [{ originId: row.origin_id, messageId: row.message_id ?? 0, again: row.again }]))
  return [...forwarded.filter((row) => !row.again).sort((a, b) => a.originId - b.originId), ...forwarded.filter((row) => row.again)]
}

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
  if (batch.length === 0) return []
  const plain = yield* forwardPlainBatch(nodeId, batch, now)
  if (plain !== undefined) return plain
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

// One step of a node's sweep of its own origin rows: up to $4 of them above the cursor $2 and below
// $3, the lowest id the node may still forward (its outbox's lowest row; above every id it gave
// when the outbox is empty), so that no batch it could send again loses its keys. Of those, the
// rows whose message is gone (no message, dead letter or job result has the id any more) go: no
// forward needs them, and no id resolves through them to anything. last: the cursor's next value
// (null: the sweep reached the end).
const pruneSql = `WITH candidates AS (SELECT origin_id, message_id FROM durable_ipc_origins
      WHERE origin_node = $1 AND origin_id > $2 AND origin_id < $3 ORDER BY origin_id LIMIT $4),
    gone AS (DELETE FROM durable_ipc_origins AS o USING candidates AS c
      WHERE o.origin_node = $1 AND o.origin_id = c.origin_id
        AND NOT EXISTS (SELECT 1 FROM durable_ipc_messages WHERE id = c.message_id)
        AND NOT EXISTS (SELECT 1 FROM durable_ipc_dead_letters WHERE id = c.message_id)
        AND NOT EXISTS (SELECT 1 FROM durable_ipc_job_results WHERE id = c.message_id)
      RETURNING 1)
    SELECT (SELECT max(origin_id) FROM candidates) AS last, (SELECT count(*)::int FROM gone) AS pruned`

/** What a step of the origin sweep did. */
export interface PruneStep {
  /** The cursor for the next step; null when this one reached the end (the next starts over). */
  last: number | null
  pruned: number
}

/**
 * Deletes node `nodeId`'s origin rows in (after, below) whose message is gone, up to `limit` rows
 * looked at (see pruneSql): `below` must be the lowest id the node may still forward.
 *
 * @example
 * const { last, pruned } = yield* pruneOrigins(nodeId, 0, outbox.lowestPending(), 1000)
 */
export function* pruneOrigins(nodeId: string, after: number, below: number, limit: number): Program<PruneStep> {
  const row = yield* first<PruneStep>(pruneSql, [nodeId, after, below, limit])
  return { last: row?.last ?? null, pruned: row?.pruned ?? 0 }
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
