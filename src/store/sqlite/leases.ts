// Leases: claiming messages, settling them (ack, ack with a job result, fail) and handing back the
// leases of owners that are done or dead. Each function runs inside one store transaction. A
// message in hand (inHand.ts) is acknowledged where it is and moved into the queue before anything
// else touches it.

import type { Channels } from './channels.js'
import { endLeases } from './endLeases.js'
import { acknowledgeInHand, demoteExpired, demoteIds, demoteOwner } from './inHand.js'
import { isOwnerGone } from './owners.js'
import type { Statements } from './statements.js'
import type { ClaimedMessage, FailInput } from '../types.js'

/**
 * Leases up to `limit` claimable messages, highest priority first and oldest visible first within
 * one: each gets `owner` and is held
 * until `now + leaseMs`. The first `start` of them (those the caller delivers at once) have
 * their attempt counted now; the others are counted when they start (see `startDeliveries`).
 * Leases of other owners that ran out are ended first (endLeases.ts), so a dead claimer's
 * messages come back by themselves; a message with a live lease, or this owner's own, is never
 * claimed. A paused channel gives nothing; a rate-limited one at most what its window allows, all
 * started at once (nothing is claimed ahead: a start is what the limit counts).
 *
 * @example
 * claim(s, channels, 'jobs', 'main', owner, Date.now(), 30_000, 16, 1)
 */
export function claim(
  s: Statements,
  channels: Channels,
  channel: string,
  subscription: string,
  owner: string,
  now: number,
  leaseMs: number,
  limit: number,
  start: number = limit,
): ClaimedMessage[] {
  demoteExpired(s, channel, subscription, owner, now)
  const expired = s.expiredLeases.all({ channel, subscription, owner, now })
  if (expired.length > 0) endLeases(s, channels, expired, 'expired', now)
  const state = s.claimState.get({ channel })
  if (state === undefined || state.paused === 1) return []
  const rateLimit = channels.parse(channel, state.config).rateLimit
  if (rateLimit !== null) {
    limit = Math.min(limit, start, rateAllowance(s, channel, rateLimit, now))
    start = limit
    if (limit <= 0) return []
  }
  const claimed = claimable(s, channel, subscription, now, limit, start)
  if (claimed.length === 0) return []
  const leaseUntil = now + leaseMs
  if (claimed.length === 1) s.lease.run({ id: claimed[0]!.id, owner, leaseUntil })
  else s.leaseMany.run({ ids: JSON.stringify(claimed.map((message) => message.id)), owner, leaseUntil })
  if (start > 0) startQueued(s, claimed.slice(0, start).map((message) => message.id), owner)
  if (rateLimit !== null) s.recordRateStarts.run({ channel, now, ids: JSON.stringify(claimed.map((message) => message.id)) })
  return claimed
}

// Priority by priority, highest first, each one's ready rows in line order: one index seek per
// priority, however many delayed rows wait at a higher one. Select, then update by id: UPDATE ...
// RETURNING would not keep the order.
function claimable(s: Statements, channel: string, subscription: string, now: number, limit: number, start: number): ClaimedMessage[] {
  const claimed: ClaimedMessage[] = []
  let priority = s.topPriority.get({ channel, subscription })
  while (priority !== undefined && claimed.length < limit) {
    for (const [id, kind, payload, attempts, createdAt, careful] of s.claimable.all({ channel, subscription, priority, now, limit: limit - claimed.length })) {
      claimed.push({ id, channel, subscription, kind, payload, attempt: attempts + 1, priority, createdAt, started: claimed.length < start, careful: careful === 1 })
    }
    if (claimed.length < limit) priority = s.nextPriority.get({ channel, subscription, below: priority })
  }
  return claimed
}

// How many deliveries may start now: the limit less the starts still inside the sliding window.
function rateAllowance(s: Statements, channel: string, rateLimit: { max: number; intervalMs: number }, now: number): number {
  const before = now - rateLimit.intervalMs
  s.pruneRateStarts.run({ channel, before })
  return rateLimit.max - (s.rateStarts.get({ channel, before }) ?? 0)
}

/**
 * Counts the attempt of deliveries that started (or start right after this commits) and whose
 * start is not counted yet. Returns how many were counted.
 *
 * @example
 * startDeliveries(s, [7], owner) // 1
 */
export function startDeliveries(s: Statements, ids: readonly number[], owner: string): number {
  if (ids.length === 0) return 0
  demoteIds(s, ids, owner)
  return startQueued(s, ids, owner)
}

// startDeliveries of messages known to be in the queue (just claimed from it).
function startQueued(s: Statements, ids: readonly number[], owner: string): number {
  return ids.length === 1 ? s.start.run({ id: ids[0]!, owner }).changes : s.startMany.run({ ids: JSON.stringify(ids), owner }).changes
}

/**
 * Writes a consumer's report: its acknowledgements, then the starts of deliveries still running
 * (a start of one acknowledged in the same report has nothing left to count). `storedId`: a
 * message this transaction stored (see ack). Returns how many messages were acknowledged.
 *
 * @example
 * recordReport(s, [41], [41, 42], owner) // 1: 41 deleted, 42's attempt counted
 */
export function recordReport(s: Statements, acks: readonly number[], starts: readonly number[], owner: string, storedId?: number): number {
  const acknowledged = ack(s, acks, owner, storedId)
  if (starts.length > 0) {
    const done = new Set(acks)
    startDeliveries(s, acks.length === 0 ? starts : starts.filter((id) => !done.has(id)), owner)
  }
  return acknowledged
}

/**
 * Deletes the messages that `owner` still holds; a message whose lease passed to another owner is
 * left to that owner. `storedId`: the id of a message this transaction stored; while it is above
 * every acknowledged one, new ids stay above them without a high-water write. Returns how many
 * were deleted.
 *
 * @example
 * ack(s, [1, 2, 3], owner) // 3
 */
export function ack(s: Statements, ids: readonly number[], owner: string, storedId?: number): number {
  if (ids.length === 0) return 0
  let highest = 0
  for (const id of ids) if (id > highest) highest = id
  let deleted = acknowledgeInHand(s, ids, owner)
  if (deleted < ids.length) {
    deleted += ids.length === 1 ? s.deleteLeased.run({ id: ids[0]!, owner }).changes : s.deleteLeasedMany.run({ ids: JSON.stringify(ids), owner }).changes
  }
  // Once per batch: keeps the ids just freed from ever being given again.
  if (deleted > 0 && !(storedId !== undefined && storedId > highest)) s.raiseHighWater.run({ id: highest })
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
  demoteIds(s, [id], owner)
  if (s.upsertJobResult.run({ id, owner, ok: ok ? 1 : 0, payload, now, error: null }).changes === 0) return
  s.deleteLeased.run({ id, owner })
}

/**
 * Records a failed attempt of a message `owner` still holds (counting it, if its start was not
 * counted yet): back in line at `retryAt`, or, when `retryAt` is null, moved to the dead letters
 * with its error and attempt count. A job's failure outcome (`result`) is stored with it, for its
 * caller and jobResult, and stays while the job is a dead letter.
 *
 * @example
 * fail(s, { id, owner, error: String(err.stack), retryAt: null, now: Date.now() })
 */
export function fail(s: Statements, input: FailInput): void {
  const { id, owner, error, retryAt, now } = input
  demoteIds(s, [id], owner)
  if (retryAt !== null) {
    s.reschedule.run({ id, owner, retryAt, error })
    return
  }
  if (s.deadLetterLeased.run({ id, owner, error, now }).changes === 0) return
  if (input.result !== undefined) s.upsertJobResult.run({ id, owner, ok: 0, payload: input.result, now, error })
  s.deleteLeased.run({ id, owner })
}

/**
 * Ends every lease `owner` holds (optionally of one subscription) as if the owner had died:
 * counted starts count, unrecorded ones make the message careful (see endLeases.ts). Returns how
 * many.
 *
 * @example
 * release(s, channels, 'other-host/4242/9f1c', Date.now())
 */
export function release(s: Statements, channels: Channels, owner: string, now: number, subscription?: string): number {
  demoteOwner(s, owner, subscription)
  const rows = subscription === undefined ? s.leasesOf.all({ owner }) : s.leasesOfInSubscription.all({ owner, subscription })
  return endLeases(s, channels, rows, 'crashed', now)
}

/**
 * Hands messages that `owner` still holds back at their place in line. `attempted` false: they
 * were claimed in a batch but never reached a receiver (the consumer stopped first), and a start
 * the claim counted is taken back. `attempted` true: their deliveries started and are given up
 * (the receiver went away, close() stopped waiting; `detail` says why): the attempt counts, and a
 * message whose attempts are used up goes to the dead letters. Returns how many.
 *
 * @example
 * handBack(s, channels, [7, 8], owner, Date.now(), false)
 */
export function handBack(
  s: Statements,
  channels: Channels,
  ids: readonly number[],
  owner: string,
  now: number,
  attempted: boolean,
  detail?: string,
): number {
  if (ids.length === 0) return 0
  demoteIds(s, ids, owner)
  const param = JSON.stringify(ids)
  if (!attempted) return s.handBackUnattempted.run({ ids: param, owner, now }).changes
  return endLeases(s, channels, s.leasesByIds.all({ ids: param, owner }), 'abandoned', now, detail)
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
  const params = { ids: JSON.stringify(ids), owner, leaseUntil }
  const inHand = s.inHandRenew.all(params)
  const queued = inHand.length < ids.length ? s.renewLeases.all(params) : []
  return inHand.length === 0 ? queued : [...inHand, ...queued]
}

/**
 * The lease owners of messages that ran on this host in a process that no longer exists. A read
 * only, so that looking (on open, and now and then while idle) takes no write lock.
 *
 * @example
 * deadOwners(s) // ['build-box/4242/9f1c2ab07d3e']
 */
export function deadOwners(s: Statements): string[] {
  return [...new Set([...s.leaseOwners.all(), ...s.inHandOwners.all()])].filter(isOwnerGone)
}

/**
 * Ends the leases of owners that ran on this host in a process that no longer exists, so a
 * restart (or a surviving process) gets a crashed process's deliveries at once instead of after
 * the lease (endLeases.ts says how their attempts count). Returns how many leases ended.
 *
 * @example
 * releaseDeadOwners(s, channels, Date.now())
 */
export function releaseDeadOwners(s: Statements, channels: Channels, now: number): number {
  let released = 0
  for (const owner of deadOwners(s)) {
    demoteOwner(s, owner)
    released += endLeases(s, channels, s.leasesOf.all({ owner }), 'crashed', now)
  }
  return released
}

/**
 * When the subscription's next message becomes claimable: the first one in line without a lease
 * (of any priority), or the first lease of an owner other than `owner` to run out; null when none,
 * and while the channel is paused. On a rate-limited channel whose window is full, not before a
 * start leaves the window.
 *
 * @example
 * nextVisibleAt(s, channels, 'jobs', 'main', owner, Date.now()) // 1732530000000
 */
export function nextVisibleAt(s: Statements, channels: Channels, channel: string, subscription: string, owner: string, now: number): number | null {
  const state = s.claimState.get({ channel })
  if (state?.paused === 1) return null
  let next = s.nextLeaseEnd.get({ channel, subscription, owner }) ?? null
  const inHandEnd = s.inHandNextLeaseEnd.get({ channel, subscription, owner }) ?? null
  if (inHandEnd !== null && (next === null || inHandEnd < next)) next = inHandEnd
  let priority = s.topPriority.get({ channel, subscription })
  while (priority !== undefined) {
    const at = s.nextUnleasedAt.get({ channel, subscription, priority })
    if (at !== undefined && (next === null || at < next)) next = at
    priority = s.nextPriority.get({ channel, subscription, below: priority })
  }
  const rateLimit = state === undefined ? null : channels.parse(channel, state.config).rateLimit
  if (next === null || rateLimit === null) return next
  const before = now - rateLimit.intervalMs
  if ((s.rateStarts.get({ channel, before }) ?? 0) < rateLimit.max) return next
  // Full: claimable again once the oldest start in the window leaves it.
  const oldest = s.oldestRateStart.get({ channel, before }) ?? now - rateLimit.intervalMs
  return Math.max(next, oldest + rateLimit.intervalMs)
}
