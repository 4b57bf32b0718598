// The job control plane's store operations: cancel a job, tell which of some jobs were cancelled,
// store running jobs' progress, and read a job's outcome with its state (pause: channels.ts). Its own
// statements, prepared once when the store opens; each operation runs inside one store
// transaction (sqliteStore.ts wires them).

import type Database from 'better-sqlite3'
import { cancelledFailure, encodeJobFailure } from '../../protocol/jobOutcome.js'
import type { OutcomeState } from '../../protocol/jobOutcome.js'
import type { JobResultRow } from '../types.js'
import type { Command, Query } from './statements.js'

/** A message row as cancel reads it: the job's info, kept in its outcome. */
type CancelledRow = {
  id: number
  channel: string
  subscription: string
  attempts: number
  priority: number
  createdAt: number
  visibleAt: number
  lastError: string | null
}

const sql = {
  // Any stored message is delayed, waiting or active (leased): each can be cancelled.
  messageInfo: `SELECT id, channel, subscription, attempts, priority, created_at AS createdAt, visible_at AS visibleAt,
      last_error AS lastError
    FROM durable_ipc_messages WHERE id = @id`,
  // The outcome row keeps the id taken (statements.ts: nextId reads the job results' highest id,
  // and pruning raises the high-water mark past it).
  insertCancelled: `INSERT INTO durable_ipc_job_results
      (id, ok, payload, completed_at, state, channel, subscription, attempts, priority, created_at, run_at, last_error)
    VALUES (@id, 0, @payload, @now, 'cancelled', @channel, @subscription, @attempts, @priority, @createdAt, @visibleAt, @lastError)
    ON CONFLICT (id) DO UPDATE SET ok = 0, payload = excluded.payload, completed_at = excluded.completed_at, state = 'cancelled',
      channel = excluded.channel, subscription = excluded.subscription, attempts = excluded.attempts,
      priority = excluded.priority, created_at = excluded.created_at, run_at = excluded.run_at, last_error = excluded.last_error`,
  deleteMessage: 'DELETE FROM durable_ipc_messages WHERE id = @id',
  cancelledAmong: `SELECT id FROM durable_ipc_job_results
    WHERE state = 'cancelled' AND id IN (SELECT value FROM json_each(@ids))`,
  setProgress: 'UPDATE durable_ipc_messages SET progress = @payload WHERE id = @id AND lease_owner = @owner',
  jobResult: `SELECT id, ok, payload, completed_at AS completedAt, state FROM durable_ipc_job_results WHERE id = @id`,
} as const

/**
 * Prepares the job control statements. Call once per open, after migrating.
 *
 * @example
 * const control = prepareJobControl(db)
 * cancelJob(control, 42, Date.now())
 */
export function prepareJobControl(db: Database.Database) {
  // An application's handle may have defaultSafeIntegers(true); the store's numbers are plain.
  const command = <P extends Record<string, unknown>>(source: string): Command<P> => db.prepare<[P]>(source).safeIntegers(false)
  const query = <P extends Record<string, unknown>, R>(source: string): Query<P, R> => db.prepare<[P], R>(source).safeIntegers(false)
  const pluck = <P extends Record<string, unknown>, R>(source: string): Query<P, R> => db.prepare<[P], R>(source).safeIntegers(false).pluck()
  return {
    messageInfo: query<{ id: number }, CancelledRow>(sql.messageInfo),
    insertCancelled: command<CancelledRow & { payload: Uint8Array; now: number }>(sql.insertCancelled),
    deleteMessage: command<{ id: number }>(sql.deleteMessage),
    cancelledAmong: pluck<{ ids: string }, number>(sql.cancelledAmong),
    setProgress: command<{ id: number; owner: string; payload: Uint8Array }>(sql.setProgress),
    jobResult: query<{ id: number }, { id: number; ok: number; payload: Buffer; completedAt: number; state: OutcomeState }>(sql.jobResult),
  }
}

/** The prepared job control statements of one open store. */
export type JobControlStatements = ReturnType<typeof prepareJobControl>

/**
 * Cancels a stored job (delayed, waiting or active): its message is deleted and a 'cancelled'
 * outcome written under its id, with the job's info. An owner that holds it finds nothing left to
 * acknowledge or fail, so whatever its delivery does afterwards is ignored. Returns false, writing
 * nothing, when no message has this id (dead, completed, cancelled, acknowledged or unknown).
 *
 * @example
 * cancelJob(c, 42, Date.now()) // true
 */
export function cancelJob(c: JobControlStatements, id: number, now: number): boolean {
  const row = c.messageInfo.get({ id })
  if (row === undefined) return false
  c.insertCancelled.run({ ...row, payload: encodeJobFailure(cancelledFailure(id)), now })
  c.deleteMessage.run({ id })
  return true
}

/**
 * Which of `ids` have a 'cancelled' outcome.
 *
 * @example
 * cancelledAmong(c, [41, 42]) // [42]
 */
export function cancelledAmong(c: JobControlStatements, ids: readonly number[]): number[] {
  if (ids.length === 0) return []
  return c.cancelledAmong.all({ ids: JSON.stringify(ids) })
}

/**
 * Writes the latest progress of each delivery `owner` still holds; returns how many it wrote.
 *
 * @example
 * setProgress(c, owner, [{ id: 42, payload }]) // 1
 */
export function setProgress(c: JobControlStatements, owner: string, updates: ReadonlyArray<{ id: number; payload: Uint8Array }>): number {
  let written = 0
  for (const { id, payload } of updates) written += c.setProgress.run({ id, owner, payload }).changes
  return written
}

/**
 * The stored outcome of a job, with what it is (completed, failed, cancelled).
 *
 * @example
 * jobOutcomeRow(c, 42)?.state // 'cancelled'
 */
export function jobOutcomeRow(c: JobControlStatements, id: number): JobResultRow | undefined {
  const row = c.jobResult.get({ id })
  return row === undefined ? undefined : { id: row.id, ok: row.ok === 1, payload: row.payload, completedAt: row.completedAt, state: row.state }
}
