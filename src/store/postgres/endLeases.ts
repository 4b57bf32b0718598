// Leases that end without an outcome (the owner died, its lease ran out, its receiver went away,
// the broker closed), decided as on SQLite (store/sqlite/endLeases.ts says how attempts count):
// back in line, or to the dead letters when the ended attempt used up maxAttempts. Runs inside
// the caller's transaction, on rows it has locked (FOR UPDATE).

import { leaseEndReason } from '../sqlite/endLeases.js'
import type { LeaseEnd } from '../sqlite/endLeases.js'
import type { Channels } from './channels.js'
import { count, run } from './program.js'
import type { Program } from './program.js'

/** A lease about to end: what endLeases needs of its row. */
export interface LeaseRow {
  id: number
  channel: string
  lease_owner: string
  attempts: number
  started: boolean
}

/** The columns of a LeaseRow, for the statements that select leases. */
export const leaseColumns = 'id, channel, lease_owner, attempts, started'

const sql = {
  deadLetterEnded: `INSERT INTO durable_ipc_dead_letters
      (id, channel, subscription, kind, payload, payload_text, key, attempts, last_error, created_at, failed_at, priority, progress)
    SELECT id, channel, subscription, kind, payload, payload_text, key, $3::int, $4::text, created_at, $5::bigint, priority, progress
    FROM durable_ipc_messages WHERE id = $1 AND lease_owner = $2`,
  deleteLeased: 'DELETE FROM durable_ipc_messages WHERE id = $1 AND lease_owner = $2',
  // Claimable again where it stood in line, or now if another node's clock put that ahead of ours.
  releaseEnded: `UPDATE durable_ipc_messages SET lease_owner = NULL, lease_until = NULL, visible_at = LEAST(visible_at, $3),
      attempts = $4, started = false, careful = careful OR $5, last_error = COALESCE($6, last_error)
    WHERE id = $1 AND lease_owner = $2`,
} as const

/**
 * Ends the given leases; returns how many.
 *
 * @example
 * yield* endLeases(channels, rows, 'expired', now)
 */
export function* endLeases(channels: Channels, rows: readonly LeaseRow[], end: LeaseEnd, now: number, detail?: string): Program<number> {
  const limits = new Map<string, number>()
  let ended = 0
  for (const { id, channel, lease_owner: owner, attempts, started } of rows) {
    const attempted = end === 'abandoned' || started
    const counted = attempts - (started ? 1 : 0) + (attempted ? 1 : 0)
    const error = attempted ? leaseEndReason(end, counted, owner, detail) : null
    if (!limits.has(channel)) limits.set(channel, (yield* channels.get(channel))?.maxAttempts ?? Number.POSITIVE_INFINITY)
    if (error !== null && counted >= limits.get(channel)!) {
      if ((yield* count(sql.deadLetterEnded, [id, owner, counted, error, now])) > 0) yield* run(sql.deleteLeased, [id, owner])
    } else {
      yield* run(sql.releaseEnded, [id, owner, now, counted, !attempted, error])
    }
    ended++
  }
  return ended
}
