// Leases on PostgreSQL: claiming messages (FOR UPDATE SKIP LOCKED, so that stores claiming at once
// never take the same row and never wait for each other), settling them (ack, ack with a job
// result, fail) and ending the leases of owners that are done or dead. Each function runs inside
// one transaction of the caller (runners.ts); the decisions are SQLite's (store/sqlite/leases.ts).

import { isOwnerGone } from '../sqlite/owners.js'
import type { Channels } from './channels.js'
import { endLeases, leaseColumns } from './endLeases.js'
import type { LeaseRow } from './endLeases.js'
import { readPayload } from './payloads.js'
import { count, first, rows, run } from './program.js'
import type { Program } from './program.js'
import { quickAck, quickAckWithResult, quickClaim, quickReport } from './quickLeases.js'
import type { ClaimedMessage, FailInput, MessageKind, ReportInput } from '../types.js'

const sql = {
  // Other owners' leases of the subscription that ran out; rows another claimer is ending are skipped.
  expiredLeases: `SELECT ${leaseColumns} FROM durable_ipc_messages
    WHERE lease_owner IS NOT NULL AND lease_until <= $3 AND lease_owner <> $4 AND channel = $1 AND subscription = $2
    ORDER BY id FOR UPDATE SKIP LOCKED`,
  // The claim index's order (001_init.sql), priority by priority: a skip scan finds the priorities
  // present (one seek each), and each one's ready rows are read from its own part of the index, so
  // delayed rows at a higher priority cost nothing (as on SQLite). The outer LIMIT stops the scan as
  // soon as enough rows are locked. Rows locked by another claim are skipped, not waited for.
  claimable: `WITH RECURSIVE p AS (
      (SELECT priority FROM durable_ipc_messages WHERE channel = $1 AND subscription = $2 ORDER BY priority DESC LIMIT 1)
      UNION ALL
      SELECT (SELECT m.priority FROM durable_ipc_messages AS m WHERE m.channel = $1 AND m.subscription = $2 AND m.priority < p.priority
        ORDER BY m.priority DESC LIMIT 1) FROM p WHERE p.priority IS NOT NULL)
    SELECT c.* FROM p CROSS JOIN LATERAL (
      SELECT id, kind, payload, payload_text, attempts, created_at, careful, priority FROM durable_ipc_messages AS m
      WHERE m.channel = $1 AND m.subscription = $2 AND m.priority = p.priority AND m.visible_at <= $3 AND m.lease_owner IS NULL
      ORDER BY m.visible_at, m.id LIMIT $4 FOR UPDATE SKIP LOCKED) AS c
    WHERE p.priority IS NOT NULL LIMIT $4`,
  // Leases the claimed rows; those among $4 start now (their attempt is counted).
  lease: `UPDATE durable_ipc_messages SET lease_owner = $2, lease_until = $3, started = (id = ANY($4::bigint[])),
      attempts = attempts + CASE WHEN id = ANY($4::bigint[]) THEN 1 ELSE 0 END
    WHERE id = ANY($1::bigint[])`,
  // Claims of a rate-limited channel take turns on a transaction-level advisory lock of the channel,
  // not on its row: setPaused and declareChannel (synchronous, through the bridge) never wait for
  // a claim of this process that is between two statements (its next one waits for this thread).
  rateTurn: "SELECT pg_advisory_xact_lock(hashtext('durable_ipc rate ' || current_schema() || '.' || $1))",
  pruneRateStarts: 'DELETE FROM durable_ipc_rate_starts WHERE channel = $1 AND started_at <= $2',
  rateWindow: `SELECT count(*)::int AS n, min(started_at) AS oldest FROM durable_ipc_rate_starts WHERE channel = $1 AND started_at > $2`,
  recordRateStarts: 'INSERT INTO durable_ipc_rate_starts (channel, started_at) SELECT $1, $2::bigint FROM generate_series(1, $3::int)',
  deleteLeased: 'DELETE FROM durable_ipc_messages WHERE id = $1 AND lease_owner = $2',
  reschedule: `UPDATE durable_ipc_messages SET visible_at = $3, lease_owner = NULL, lease_until = NULL, last_error = $4,
      attempts = attempts + 1 - started::int, started = false
    WHERE id = $1 AND lease_owner = $2`,
  deadLetterLeased: `INSERT INTO durable_ipc_dead_letters
      (id, channel, subscription, kind, payload, payload_text, key, attempts, last_error, created_at, failed_at, priority, progress)
    SELECT id, channel, subscription, kind, payload, payload_text, key, attempts + 1 - started::int, $3::text, created_at, $4::bigint, priority, progress
    FROM durable_ipc_messages WHERE id = $1 AND lease_owner = $2`,
  // A job's outcome with what the job was, from its row while `owner` still holds it.
  upsertJobResult: `INSERT INTO durable_ipc_job_results
      (id, ok, payload, completed_at, state, channel, subscription, attempts, priority, created_at, run_at, last_error)
    SELECT id, $3::boolean, $4::bytea, $5::bigint, CASE WHEN $3::boolean THEN 'completed' ELSE 'failed' END, channel, subscription,
      attempts + 1 - started::int, priority, created_at, visible_at, CASE WHEN $3::boolean THEN NULL ELSE $6::text END
    FROM durable_ipc_messages WHERE id = $1 AND lease_owner = $2
    ON CONFLICT (id) DO UPDATE SET ok = excluded.ok, payload = excluded.payload, completed_at = excluded.completed_at,
      state = excluded.state, channel = excluded.channel, subscription = excluded.subscription, attempts = excluded.attempts,
      priority = excluded.priority, created_at = excluded.created_at, run_at = excluded.run_at, last_error = excluded.last_error`,
  leasesOf: `SELECT ${leaseColumns} FROM durable_ipc_messages WHERE lease_owner = $1 ORDER BY id FOR UPDATE`,
  leasesOfInSubscription: `SELECT ${leaseColumns} FROM durable_ipc_messages WHERE lease_owner = $1 AND subscription = $2 ORDER BY id FOR UPDATE`,
  leasesByIds: `SELECT ${leaseColumns} FROM durable_ipc_messages WHERE id = ANY($1::bigint[]) AND lease_owner = $2 ORDER BY id FOR UPDATE`,
  handBackUnattempted: `UPDATE durable_ipc_messages SET lease_owner = NULL, lease_until = NULL, visible_at = LEAST(visible_at, $3),
      attempts = attempts - started::int, started = false
    WHERE id = ANY($1::bigint[]) AND lease_owner = $2`,
  renewLeases: `UPDATE durable_ipc_messages SET lease_until = $3 WHERE id = ANY($1::bigint[]) AND lease_owner = $2 RETURNING id`,
  leaseOwners: 'SELECT DISTINCT lease_owner FROM durable_ipc_messages WHERE lease_owner IS NOT NULL',
  // The first message in line without a lease (of any priority), and the first other owner's lease to run out.
  // Priority by priority (a skip scan of the claim index: one seek per priority, as on SQLite), the
  // earliest of each one's first unleased row; a plain min() would read every row of the subscription.
  nextUnleasedAt: `WITH RECURSIVE p AS (
      (SELECT priority FROM durable_ipc_messages WHERE channel = $1 AND subscription = $2 ORDER BY priority DESC LIMIT 1)
      UNION ALL
      SELECT (SELECT m.priority FROM durable_ipc_messages AS m WHERE m.channel = $1 AND m.subscription = $2 AND m.priority < p.priority
        ORDER BY m.priority DESC LIMIT 1) FROM p WHERE p.priority IS NOT NULL)
    SELECT min((SELECT m.visible_at FROM durable_ipc_messages AS m
        WHERE m.channel = $1 AND m.subscription = $2 AND m.priority = p.priority AND m.lease_owner IS NULL ORDER BY m.visible_at LIMIT 1)) AS at
    FROM p WHERE p.priority IS NOT NULL`,
  nextLeaseEnd: `SELECT min(GREATEST(visible_at, lease_until)) AS at FROM durable_ipc_messages
    WHERE lease_owner IS NOT NULL AND lease_owner <> $3 AND channel = $1 AND subscription = $2`,
} as const

/** A claimable row as the claim reads it. */
export interface ClaimableRow {
  id: number
  kind: MessageKind
  payload: Uint8Array
  payload_text: boolean
  attempts: number
  created_at: number
  careful: boolean
  priority: number
}

/**
 * Leases up to `limit` claimable messages (see Store.claim): other owners' expired leases are
 * ended first, a paused channel gives nothing, a rate-limited one at most what its window allows
 * (all started at once).
 *
 * @example
 * const claimed = yield* claim(channels, 'jobs', 'main', owner, now, 30_000, 16, 1)
 */
export function* claim(
  channels: Channels, channel: string, subscription: string, owner: string, now: number, leaseMs: number, limit: number, start: number = limit,
): Program<ClaimedMessage[]> {
  if (limit <= 0) return []
  // The common case in one statement; 'full' (nothing done by it): the whole claim, below.
  const quick = yield* quickClaim(channel, subscription, owner, now, now + leaseMs, limit, start)
  if (quick === 'stop') return []
  if (quick !== 'full') {
    return quick.map((row) => ({
      id: row.id!, channel, subscription, kind: row.kind, payload: readPayload(row.payload, row.payload_text),
      attempt: row.attempts + 1, priority: row.priority, createdAt: row.created_at, started: row.n <= start, careful: row.careful,
    }))
  }
  const expired = yield* rows<LeaseRow>(sql.expiredLeases, [channel, subscription, now, owner])
  if (expired.length > 0) yield* endLeases(channels, expired, 'expired', now)
  let state = yield* channels.claimState(channel)
  if (state === undefined || state.paused) return []
  const rateLimit = state.config.rateLimit
  if (rateLimit !== null) {
    // Claims of a rate-limited channel take turns, so two never count the same free slot; each
    // statement after the lock reads what the previous holder committed (READ COMMITTED).
    yield* run(sql.rateTurn, [channel])
    state = yield* channels.claimState(channel)
    if (state === undefined || state.paused) return []
    const before = now - rateLimit.intervalMs
    yield* run(sql.pruneRateStarts, [channel, before])
    const window = yield* first<{ n: number }>(sql.rateWindow, [channel, before])
    limit = Math.min(limit, start, rateLimit.max - (window?.n ?? 0))
    start = limit
    if (limit <= 0) return []
  }
  const found = yield* rows<ClaimableRow>(sql.claimable, [channel, subscription, now, limit])
  if (found.length === 0) return []
  const ids = found.map((row) => row.id)
  yield* run(sql.lease, [ids, owner, now + leaseMs, ids.slice(0, Math.max(0, start))])
  if (rateLimit !== null) yield* run(sql.recordRateStarts, [channel, now, found.length])
  return found.map((row, i) => ({
    id: row.id, channel, subscription, kind: row.kind, payload: readPayload(row.payload, row.payload_text),
    attempt: row.attempts + 1, priority: row.priority, createdAt: row.created_at, started: i < start, careful: row.careful,
  }))
}

/** Deletes the messages `owner` still holds (one statement); returns how many. */
export function* ack(ids: readonly number[], owner: string): Program<number> {
  if (ids.length === 0) return 0
  return yield* quickAck(ids, owner)
}

/** Acknowledgements, starts and renewals in one statement (see Store.report); returns the renewed ids. */
export function* report(owner: string, input: ReportInput): Program<number[]> {
  if (input.acks.length === 0 && input.starts.length === 0 && (input.renew?.ids.length ?? 0) === 0) return []
  return yield* quickReport(owner, input)
}

/** Acknowledges an invoke request and stores its outcome (one statement); nothing when the lease passed to another owner. */
export function* ackWithResult(id: number, owner: string, ok: boolean, payload: Uint8Array, now: number): Program<void> {
  yield* quickAckWithResult(id, owner, ok, payload, now)
}

/** Records a failed attempt: back in line at retryAt, or to the dead letters (with a job's failure outcome). */
export function* fail(input: FailInput): Program<void> {
  const { id, owner, error, retryAt, now } = input
  if (retryAt !== null) {
    yield* run(sql.reschedule, [id, owner, retryAt, error])
    return
  }
  if ((yield* count(sql.deadLetterLeased, [id, owner, error, now])) === 0) return
  if (input.result !== undefined) yield* run(sql.upsertJobResult, [id, owner, false, input.result, now, error])
  yield* run(sql.deleteLeased, [id, owner])
}

/** Ends every lease of `owner` (optionally of one subscription) as if it had died; returns how many. */
export function* release(channels: Channels, owner: string, now: number, subscription?: string): Program<number> {
  const held = subscription === undefined
    ? yield* rows<LeaseRow>(sql.leasesOf, [owner])
    : yield* rows<LeaseRow>(sql.leasesOfInSubscription, [owner, subscription])
  return yield* endLeases(channels, held, 'crashed', now)
}

/** Hands messages `owner` still holds back at their place in line (see Store.handBack); returns how many. */
export function* handBack(channels: Channels, ids: readonly number[], owner: string, now: number, attempted: boolean, detail?: string): Program<number> {
  if (ids.length === 0) return 0
  if (!attempted) return yield* count(sql.handBackUnattempted, [ids, owner, now])
  return yield* endLeases(channels, yield* rows<LeaseRow>(sql.leasesByIds, [ids, owner]), 'abandoned', now, detail)
}

/** Extends the leases `owner` still holds on `ids`; returns the ids it still held. */
export function* renew(ids: readonly number[], owner: string, leaseUntil: number): Program<number[]> {
  if (ids.length === 0) return []
  const renewed = yield* rows<{ id: number }>(sql.renewLeases, [ids, owner, leaseUntil])
  return renewed.map((row) => row.id).sort((a, b) => a - b)
}

/**
 * The owners of leases that ran on this host in a process that no longer exists (owner ids as on
 * SQLite: host/pid/random, store/sqlite/owners.ts). Other hosts' owners are never gone: their
 * leases run out, and the next claim takes them over. A read only.
 */
export function* deadOwners(): Program<string[]> {
  const owners = yield* rows<{ lease_owner: string }>(sql.leaseOwners)
  return owners.map((row) => row.lease_owner).filter(isOwnerGone)
}

/** Ends the leases of `owners` (found gone by deadOwners) as crashed; returns how many. */
export function* releaseOwners(channels: Channels, owners: readonly string[], now: number): Program<number> {
  let released = 0
  for (const owner of owners) released += yield* release(channels, owner, now)
  return released
}

/**
 * When the subscription's next message becomes claimable (see Store.nextVisibleAt); null when none
 * waits or the channel is paused.
 */
export function* nextVisibleAt(channels: Channels, channel: string, subscription: string, owner: string, now: number): Program<number | null> {
  const state = yield* channels.claimState(channel)
  if (state?.paused === true) return null
  const leaseEnd = (yield* first<{ at: number | null }>(sql.nextLeaseEnd, [channel, subscription, owner]))?.at ?? null
  const unleased = (yield* first<{ at: number | null }>(sql.nextUnleasedAt, [channel, subscription]))?.at ?? null
  const next = leaseEnd === null ? unleased : unleased === null ? leaseEnd : Math.min(leaseEnd, unleased)
  const rateLimit = state?.config.rateLimit ?? null
  if (next === null || rateLimit === null) return next
  const before = now - rateLimit.intervalMs
  const window = yield* first<{ n: number; oldest: number | null }>(sql.rateWindow, [channel, before])
  if ((window?.n ?? 0) < rateLimit.max) return next
  // Full: claimable again once the oldest start in the window leaves it.
  const oldest = window?.oldest ?? before
  return Math.max(next, oldest + rateLimit.intervalMs)
}
