// The job control plane on PostgreSQL: cancel a job, tell which of some jobs were cancelled, store
// running jobs' progress, and read a job's outcome with its state (pause: channels.ts).

import { cancelledFailure, encodeJobFailure } from '../../protocol/jobOutcome.js'
import type { OutcomeState } from '../../protocol/jobOutcome.js'
import { toBuffer } from './payloads.js'
import { count, first, rows, run } from './program.js'
import type { Program } from './program.js'
import type { JobResultRow } from '../types.js'

/** How long cancel waits for the job's row (see shortLockWait). */
export const CANCEL_LOCK_WAIT_MS = 250

const sql = {
  // A claim or settlement of the job under way holds its row for a few milliseconds; cancel waits
  // that long at most. Longer means a transaction of this very process that cannot go on while the
  // synchronous cancel blocks its thread: failing busy then beats freezing the thread.
  shortLockWait: `SET LOCAL lock_timeout = '${CANCEL_LOCK_WAIT_MS}ms'`,
  // Locked: an owner settling it at the same moment waits, then finds nothing held.
  lockMessage: 'SELECT id FROM durable_ipc_messages WHERE id = $1 FOR UPDATE',
  insertCancelled: `INSERT INTO durable_ipc_job_results
      (id, ok, payload, completed_at, state, channel, subscription, attempts, priority, created_at, run_at, last_error)
    SELECT id, false, $2::bytea, $3::bigint, 'cancelled', channel, subscription, attempts, priority, created_at, visible_at, last_error
    FROM durable_ipc_messages WHERE id = $1
    ON CONFLICT (id) DO UPDATE SET ok = false, payload = excluded.payload, completed_at = excluded.completed_at, state = 'cancelled',
      channel = excluded.channel, subscription = excluded.subscription, attempts = excluded.attempts,
      priority = excluded.priority, created_at = excluded.created_at, run_at = excluded.run_at, last_error = excluded.last_error`,
  deleteMessage: 'DELETE FROM durable_ipc_messages WHERE id = $1',
  cancelledAmong: `SELECT id FROM durable_ipc_job_results WHERE state = 'cancelled' AND id = ANY($1::bigint[]) ORDER BY id`,
  setProgress: 'UPDATE durable_ipc_messages SET progress = $3 WHERE id = $1 AND lease_owner = $2',
  jobResult: `SELECT id, ok, payload, completed_at AS "completedAt", state FROM durable_ipc_job_results WHERE id = $1`,
} as const

/** Cancels a stored job (see Store.cancel); false, writing nothing, when no message has this id. */
export function* cancelJob(id: number, now: number): Program<boolean> {
  yield* run(sql.shortLockWait)
  if ((yield* first<{ id: number }>(sql.lockMessage, [id])) === undefined) return false
  yield* count(sql.insertCancelled, [id, encodeJobFailure(cancelledFailure(id)), now])
  yield* count(sql.deleteMessage, [id])
  return true
}

/** Which of `ids` have a 'cancelled' outcome. */
export function* cancelledAmong(ids: readonly number[]): Program<number[]> {
  if (ids.length === 0) return []
  return (yield* rows<{ id: number }>(sql.cancelledAmong, [ids])).map((row) => row.id)
}

/** Writes the latest progress of each delivery `owner` still holds; returns how many. */
export function* setProgress(owner: string, updates: ReadonlyArray<{ id: number; payload: Uint8Array }>): Program<number> {
  let written = 0
  for (const { id, payload } of updates) written += yield* count(sql.setProgress, [id, owner, payload])
  return written
}

/** The stored outcome of a job, with its state. */
export function* jobOutcomeRow(id: number): Program<JobResultRow | undefined> {
  const row = yield* first<{ id: number; ok: boolean; payload: Uint8Array; completedAt: number; state: OutcomeState }>(sql.jobResult, [id])
  return row === undefined ? undefined : { ...row, payload: toBuffer(row.payload) }
}
