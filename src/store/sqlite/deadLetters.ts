// Dead letters (list, replay, purge) and job results (pruned; read in jobControl.ts): reading and
// clearing what failed or settled.

import type { Statements } from './statements.js'
import type { DeadLetterRow } from '../types.js'

// undefined: every dead letter of the channel; an empty list selects none.
function idsParam(ids: readonly number[]): string {
  return JSON.stringify(ids)
}

/**
 * The channel's dead letters, oldest first; only those with the given ids when `ids` is given.
 *
 * @example
 * listDeadLetters(s, 'jobs').map((d) => d.lastError)
 */
export function listDeadLetters(s: Statements, channel: string, ids?: readonly number[]): DeadLetterRow[] {
  return ids === undefined ? s.deadLetters.all({ channel }) : s.deadLettersByIds.all({ channel, ids: idsParam(ids) })
}

/**
 * Moves dead letters back to their subscriptions as fresh messages (attempts 0, visible now),
 * keeping their ids, idempotency keys (unless taken meanwhile) and createdAt, in their original
 * order. A job's stored failure outcome is deleted: the job is waiting again, and its next outcome
 * is stored under the same id. Returns how many.
 *
 * @example
 * replayDeadLetters(s, 'jobs', undefined, Date.now()) // all of them
 */
export function replayDeadLetters(s: Statements, channel: string, ids: readonly number[] | undefined, now: number): number {
  if (ids === undefined) {
    s.forgetReplayedResults.run({ channel })
    const replayed = s.replay.run({ channel, now }).changes
    s.purge.run({ channel })
    return replayed
  }
  const param = idsParam(ids)
  s.forgetReplayedResultsByIds.run({ channel, ids: param })
  const replayed = s.replayByIds.run({ channel, now, ids: param }).changes
  s.purgeByIds.run({ channel, ids: param })
  return replayed
}

/**
 * Deletes the channel's dead letters (only those with the given ids when `ids` is given).
 * Returns how many.
 *
 * @example
 * purgeDeadLetters(s, 'jobs', [12, 13]) // 2
 */
export function purgeDeadLetters(s: Statements, channel: string, ids?: readonly number[]): number {
  // The purged ids are never given again (see the high-water mark in migrations/sqlite/001_init.sql).
  const highest = ids === undefined ? s.deadMax.get({ channel }) : ids.reduce((a, b) => Math.max(a, b), 0)
  if (highest) s.raiseHighWater.run({ id: highest })
  return ids === undefined ? s.purge.run({ channel }).changes : s.purgeByIds.run({ channel, ids: idsParam(ids) }).changes
}

/**
 * Deletes up to `limit` job results stored before `before` (epoch ms), oldest first. Their ids stay
 * used: the high-water mark is raised past them. Returns how many were deleted.
 *
 * @example
 * pruneJobResults(s, Date.now() - 7 * 86_400_000, 1000)
 */
export function pruneJobResults(s: Statements, before: number, limit: number): number {
  const ids = s.expiredJobResults.all({ before, limit })
  if (ids.length === 0) return 0
  const deleted = s.deleteJobResults.run({ ids: JSON.stringify(ids) }).changes
  s.raiseHighWater.run({ id: Math.max(...ids) })
  return deleted
}
