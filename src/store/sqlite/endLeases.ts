// Leases that end without an outcome: the owner died (same host), its lease ran out (another
// host, a blocked event loop), its receiver went away, or the broker closed before the delivery
// settled. Whether the attempt counts, whether the message goes to the dead letters, and what its
// lastError says, decided in one place. Runs inside one store transaction.

import type { Channels } from './channels.js'
import type { LeaseRow, Statements } from './statements.js'

/**
 * Why the leases end:
 * - `crashed`: the owner's process is gone. A recorded start counts; an unrecorded one may have
 *   been the delivery that took the process down, or may never have started: the message is
 *   marked careful (each later delivery records its start first), its count left alone.
 * - `expired`: the owner stopped renewing; as `crashed`.
 * - `abandoned`: the owner knows the deliveries started and gives up on them (its receiver went
 *   away, or close() stopped waiting): the attempt counts. `detail` says why ('The broker closed').
 */
export type LeaseEnd = 'crashed' | 'expired' | 'abandoned'

/**
 * Ends the given leases: each message goes back to its place in line, or to the dead letters when
 * the attempt that ended used up the channel's maxAttempts. Returns how many leases ended.
 *
 * @example
 * endLeases(s, channels, s.leasesOf.all({ owner }), 'crashed', Date.now())
 */
export function endLeases(s: Statements, channels: Channels, rows: readonly LeaseRow[], end: LeaseEnd, now: number, detail?: string): number {
  let ended = 0
  for (const [id, channel, owner, attempts, started] of rows) {
    const attempted = end === 'abandoned' || started === 1
    const count = attempts - started + (attempted ? 1 : 0)
    const error = attempted ? leaseEndReason(end, count, owner, detail) : null
    const maxAttempts = channels.get(channel)?.maxAttempts ?? Number.POSITIVE_INFINITY
    if (error !== null && count >= maxAttempts) {
      if (s.deadLetterEnded.run({ id, owner, attempts: count, error, now }).changes > 0) s.deleteLeased.run({ id, owner })
    } else {
      s.releaseEnded.run({ id, owner, now, attempts: count, careful: attempted ? 0 : 1, error })
    }
    ended++
  }
  return ended
}

/**
 * The lastError of a lease that ended with its attempt counted (shared with the PostgreSQL store,
 * so both backends word it alike).
 *
 * @example
 * leaseEndReason('crashed', 2, 'box/42/ab12', undefined) // 'The process ended during attempt 2 (lease owner box/42/ab12)'
 */
export function leaseEndReason(end: LeaseEnd, attempt: number, owner: string, detail: string | undefined): string {
  switch (end) {
    case 'crashed':
      return `The process ended during attempt ${attempt} (lease owner ${owner})`
    case 'expired':
      return `The lease ran out during attempt ${attempt}: its owner ${owner} stopped renewing it (it ended on another host, or its event loop was blocked for longer than leaseMs)`
    case 'abandoned':
      return `${detail ?? 'The delivery was abandoned'} during attempt ${attempt}, before it settled`
  }
}
