// Reading jobs wherever they are: in the queue (delayed, waiting, active), in the dead letters, or as
// a stored outcome (completed, cancelled, a handler job's failure); as SQLite's jobReads.ts.

import { readPayload } from './payloads.js'
import { first, rows } from './program.js'
import type { Program } from './program.js'
import type { JobRow, JobsQuery } from '../types.js'
import { toJobRow } from '../jobRows.js'
import type { JobColumns } from '../jobRows.js'

interface JobDbRow extends JobColumns {
  payload: Uint8Array | null
  payload_text: boolean | null
}

// $1: now. A live lease is 'active'; an expired one reads as waiting, since the next claim takes it.
const queueState = `CASE WHEN lease_owner IS NOT NULL AND lease_until > $1 THEN 'active'
    WHEN visible_at > $1 THEN 'delayed' ELSE 'waiting' END`
const queueColumns = `id, channel, subscription, kind, payload, payload_text, attempts, priority, progress, created_at AS "createdAt",
  visible_at AS "runAt", last_error AS "lastError", ${queueState} AS state`
const deadColumns = `id, channel, subscription, kind, payload, payload_text, attempts, priority, progress, created_at AS "createdAt",
  failed_at AS "runAt", last_error AS "lastError", 'dead' AS state`
const outcomeColumns = `id, channel, subscription, NULL AS kind, NULL::bytea AS payload, NULL::boolean AS payload_text, attempts, priority,
  NULL::bytea AS progress, created_at AS "createdAt", COALESCE(run_at, completed_at) AS "runAt", last_error AS "lastError",
  CASE state WHEN 'failed' THEN 'dead' ELSE state END AS state`

// Pages: $1 now (unused by some, kept so every page binds alike), $2 channel, $3 after, $4 limit.
const page = `channel = $2 AND id > $3`
const sql = {
  job: `SELECT * FROM (SELECT ${queueColumns} FROM durable_ipc_messages WHERE id = $2
      UNION ALL SELECT ${deadColumns} FROM durable_ipc_dead_letters WHERE id = $2
      UNION ALL SELECT ${outcomeColumns} FROM durable_ipc_job_results WHERE id = $2 AND $1::bigint IS NOT NULL) AS j LIMIT 1`,
  queued: `SELECT ${queueColumns} FROM durable_ipc_messages WHERE ${page} ORDER BY id LIMIT $4`,
  active: `SELECT ${queueColumns} FROM durable_ipc_messages
    WHERE ${page} AND lease_owner IS NOT NULL AND lease_until > $1 ORDER BY id LIMIT $4`,
  waiting: `SELECT ${queueColumns} FROM durable_ipc_messages
    WHERE ${page} AND visible_at <= $1 AND (lease_owner IS NULL OR lease_until <= $1) ORDER BY id LIMIT $4`,
  delayed: `SELECT ${queueColumns} FROM durable_ipc_messages
    WHERE ${page} AND visible_at > $1 AND (lease_owner IS NULL OR lease_until <= $1) ORDER BY id LIMIT $4`,
  dead: `SELECT ${deadColumns} FROM durable_ipc_dead_letters WHERE ${page} AND $1::bigint IS NOT NULL ORDER BY id LIMIT $4`,
  // $5: one outcome state, or null for all; a failure whose dead letter is there is listed as that.
  outcome: `SELECT ${outcomeColumns} FROM durable_ipc_job_results AS r
    WHERE ${page} AND ($5::text IS NULL OR state = $5::text) AND $1::bigint IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM durable_ipc_dead_letters AS d WHERE d.id = r.id)
    ORDER BY id LIMIT $4`,
} as const

/** Job `id` wherever it is (queue first, then dead letters, then outcomes). */
export function* job(id: number, now: number): Program<JobRow | undefined> {
  const row = yield* first<JobDbRow>(sql.job, [now, id])
  return row && fromDb(row)
}

/** A page of a channel's jobs in id order (see Store.jobs); run it as a snapshot. */
export function* jobs(channel: string, { state, limit, afterId }: JobsQuery, now: number): Program<JobRow[]> {
  const p = [now, channel, afterId, limit]
  const lists: JobDbRow[][] = []
  if (state === undefined) lists.push(yield* rows(sql.queued, p), yield* rows(sql.dead, p), yield* rows(sql.outcome, [...p, null]))
  else if (state === 'active' || state === 'waiting' || state === 'delayed') lists.push(yield* rows(sql[state], p))
  else if (state === 'dead') lists.push(yield* rows(sql.dead, p), yield* rows(sql.outcome, [...p, 'failed']))
  else lists.push(yield* rows(sql.outcome, [...p, state]))
  return lists.flat().sort((a, b) => a.id - b.id).slice(0, limit).map(fromDb)
}

// Its payload decoded as written (text or bytes).
function fromDb(row: JobDbRow): JobRow {
  return toJobRow(row, row.payload === null ? null : readPayload(row.payload, row.payload_text))
}
