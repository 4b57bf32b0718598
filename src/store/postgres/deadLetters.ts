// Dead letters (list, replay, purge) and job results (pruned): reading and clearing what failed or
// settled. Ids are never given twice here without a high-water mark: they come from a sequence.

import { readPayload } from './payloads.js'
import { count, rows, run } from './program.js'
import type { Program } from './program.js'
import type { DeadLetterRow, MessageKind } from '../types.js'

/** The columns of a dead letter as DeadLetterRow wants them (payload decoded by deadLetterRow). */
export const deadLetterColumns = `id, channel, subscription, kind, payload, payload_text, attempts, last_error AS "lastError",
  created_at AS "createdAt", failed_at AS "failedAt"`

/** A dead letter as selected with deadLetterColumns. */
export type DeadLetterDbRow = Omit<DeadLetterRow, 'payload'> & { payload: Uint8Array; payload_text: boolean }

/** A selected dead letter as the contract gives it. */
export function deadLetterRow(row: DeadLetterDbRow): DeadLetterRow {
  const { payload_text: isText, ...rest } = row
  return { ...rest, kind: rest.kind as MessageKind, payload: readPayload(row.payload, isText) }
}

// $2: the ids, or null for every dead letter of the channel.
const byIds = '($2::bigint[] IS NULL OR id = ANY($2::bigint[]))'
// A dead letter's key as it is replayed (d: the dead letter): kept unless taken.
const replayKey = `CASE WHEN d.key IS NULL OR EXISTS (SELECT 1 FROM durable_ipc_messages AS m
      WHERE m.channel = d.channel AND m.subscription = d.subscription AND m.key = d.key)
    OR row_number() OVER (PARTITION BY d.subscription, d.key ORDER BY d.id) > 1 THEN NULL ELSE d.key END`

const sql = {
  list: `SELECT ${deadLetterColumns} FROM durable_ipc_dead_letters WHERE channel = $1 AND ${byIds} ORDER BY id`,
  forgetReplayedResults: `DELETE FROM durable_ipc_job_results
    WHERE id IN (SELECT id FROM durable_ipc_dead_letters WHERE channel = $1 AND ${byIds})`,
  replay: `INSERT INTO durable_ipc_messages (id, channel, subscription, kind, payload, payload_text, key, created_at, visible_at, last_error, priority)
    SELECT id, channel, subscription, kind, payload, payload_text, ${replayKey}, created_at, $3::bigint, last_error, priority
    FROM durable_ipc_dead_letters AS d WHERE channel = $1 AND ${byIds} ORDER BY id`,
  purge: `DELETE FROM durable_ipc_dead_letters WHERE channel = $1 AND ${byIds}`,
  pruneJobResults: `DELETE FROM durable_ipc_job_results WHERE id IN
    (SELECT id FROM durable_ipc_job_results WHERE completed_at < $1 ORDER BY completed_at LIMIT $2)`,
} as const

/** The channel's dead letters, oldest first; only those with the given ids when `ids` is given. */
export function* listDeadLetters(channel: string, ids?: readonly number[]): Program<DeadLetterRow[]> {
  return (yield* rows<DeadLetterDbRow>(sql.list, [channel, ids ?? null])).map(deadLetterRow)
}

/** Moves dead letters back as fresh messages (same ids and keys, attempts 0); returns how many. */
export function* replayDeadLetters(channel: string, ids: readonly number[] | undefined, now: number): Program<number> {
  yield* run(sql.forgetReplayedResults, [channel, ids ?? null])
  const replayed = yield* count(sql.replay, [channel, ids ?? null, now])
  yield* run(sql.purge, [channel, ids ?? null])
  return replayed
}

/** Deletes the channel's dead letters (those with the given ids when given); returns how many. */
export function* purgeDeadLetters(channel: string, ids?: readonly number[]): Program<number> {
  return yield* count(sql.purge, [channel, ids ?? null])
}

/** Deletes up to `limit` job results completed before `before`, oldest first; returns how many. */
export function* pruneJobResults(before: number, limit: number): Program<number> {
  return yield* count(sql.pruneJobResults, [before, limit])
}
