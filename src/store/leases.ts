// Leases: claiming messages, settling them (ack, ack with a job result, fail) and handing back the
// leases of owners that are done or dead. Each function runs inside one store transaction.

import { isOwnerGone } from './owners.js'
import type { Statements } from './statements.js'
import type { ClaimedMessage, FailInput } from './types.js'

/**
 * Leases up to `limit` claimable messages, oldest visible first: each gets `owner`, becomes
 * invisible until `now + leaseMs` and counts one more attempt. An expired lease is claimable
 * again, so a crashed claimer's messages come back by themselves.
 *
 * @example
 * claim(s, 'jobs', 'main', owner, Date.now(), 30_000, 16)
 */
export function claim(
  s: Statements,
  channel: string,
  subscription: string,
  owner: string,
  now: number,
  leaseMs: number,
  limit: number,
): ClaimedMessage[] {
  // Select, then update by id: UPDATE ... RETURNING would not keep the (visible_at, id) order.
  const rows = s.claimable.all({ channel, subscription, now, limit })
  if (rows.length === 0) return []
  const leaseUntil = now + leaseMs
  const claimed = rows.map(([id, kind, payload, attempts, createdAt]): ClaimedMessage => ({
    id, channel, subscription, kind, payload, attempt: attempts + 1, createdAt,
  }))
  if (claimed.length === 1) s.lease.run({ id: claimed[0]!.id, owner, leaseUntil })
  else s.leaseMany.run({ ids: JSON.stringify(claimed.map((message) => message.id)), owner, leaseUntil })
  return claimed
}

/**
 * Deletes the messages that `owner` still holds; a message whose lease passed to another owner is
 * left to that owner. Returns how many were deleted.
 *
 * @example
 * ack(s, [1, 2, 3], owner) // 3
 */
export function ack(s: Statements, ids: readonly number[], owner: string): number {
  if (ids.length === 0) return 0
  let highest = 0
  for (const id of ids) if (id > highest) highest = id
  const deleted =
    ids.length === 1 ? s.deleteLeased.run({ id: ids[0]!, owner }).changes : s.deleteLeasedMany.run({ ids: JSON.stringify(ids), owner }).changes
  // Once per batch: keeps the ids just freed from ever being given again.
  if (deleted > 0) s.raiseHighWater.run({ id: highest })
  return deleted
}

/**
 * Acknowledges an invoke request and stores its outcome. When the lease has passed to another
 * owner, nothing is stored: that owner's attempt will settle the job.
 *
 * @example
 * ackWithResult(s, id, owner, true, serialize(value), Date.now())
 */
export function ackWithResult(s: Statements, id: number, owner: string, ok: boolean, payload: Uint8Array, now: number): void {
  if (s.deleteLeased.run({ id, owner }).changes === 0) return
  s.upsertJobResult.run({ id, ok: ok ? 1 : 0, payload, now })
}

/**
 * Records a failed attempt of a message `owner` still holds: back in line at `retryAt`, or, when
 * `retryAt` is null, moved to the dead letters with its error and attempt count.
 *
 * @example
 * fail(s, { id, owner, error: String(err.stack), retryAt: null, now: Date.now() })
 */
export function fail(s: Statements, input: FailInput): void {
  const { id, owner, error, retryAt, now } = input
  if (retryAt !== null) {
    s.reschedule.run({ id, owner, retryAt, error })
    return
  }
  if (s.deadLetterLeased.run({ id, owner, error, now }).changes === 0) return
  s.deleteLeased.run({ id, owner })
}

/**
 * Makes every message leased by `owner` (optionally of one subscription) claimable now, back at
 * its place in line (the visible_at it had before the lease), keeping its attempt count: the
 * attempt was made. Returns how many.
 *
 * @example
 * release(s, owner, Date.now()) // on shutdown
 */
export function release(s: Statements, owner: string, now: number, subscription?: string): number {
  return subscription === undefined
    ? s.releaseOwner.run({ owner, now }).changes
    : s.releaseOwnerSubscription.run({ owner, now, subscription }).changes
}

/**
 * Hands claimed messages that `owner` still holds back at their place in line (as `release`
 * does, but by id). `attempted` false also takes back the attempt their claim counted: they were
 * claimed in a batch but never reached a listener (the consumer stopped first). Returns how many.
 *
 * @example
 * handBack(s, [7, 8], owner, Date.now(), false)
 */
export function handBack(s: Statements, ids: readonly number[], owner: string, now: number, attempted: boolean): number {
  if (ids.length === 0) return 0
  const params = { ids: JSON.stringify(ids), owner, now }
  return (attempted ? s.handBackAttempted : s.handBackUnattempted).run(params).changes
}

/**
 * Extends the leases `owner` still holds on `ids` to `leaseUntil`, and returns the ids it still
 * held: a message claimed in a batch waits its turn, and must not be taken over meanwhile by
 * another process because the lease ran out before its delivery even started.
 *
 * @example
 * renew(s, [7, 8], owner, Date.now() + 30_000) // [7, 8]
 */
export function renew(s: Statements, ids: readonly number[], owner: string, leaseUntil: number): number[] {
  if (ids.length === 0) return []
  return s.renewLeases.all({ ids: JSON.stringify(ids), owner, leaseUntil })
}

/**
 * The lease owners of messages that ran on this host in a process that no longer exists. A read
 * only, so that looking (on open, and now and then while idle) takes no write lock.
 *
 * @example
 * deadOwners(s) // ['build-box/4242/9f1c2ab07d3e']
 */
export function deadOwners(s: Statements): string[] {
  return s.leaseOwners.all().filter(isOwnerGone)
}

/**
 * Releases the leases of owners that ran on this host in a process that no longer exists, so a
 * restart (or a surviving process) gets a crashed process's deliveries at once instead of after
 * the lease. Returns how many messages were released.
 *
 * @example
 * releaseDeadOwners(s, Date.now())
 */
export function releaseDeadOwners(s: Statements, now: number): number {
  let released = 0
  for (const owner of deadOwners(s)) released += s.releaseOwner.run({ owner, now }).changes
  return released
}

/**
 * When the subscription's next message becomes claimable (a leased one when its lease expires);
 * null when it has none.
 *
 * @example
 * nextVisibleAt(s, 'jobs', 'main') // 1732530000000
 */
export function nextVisibleAt(s: Statements, channel: string, subscription: string): number | null {
  return s.nextVisibleAt.get({ channel, subscription }) ?? null
}
