// The consumer's hot writes on PostgreSQL as one statement each (data-modifying CTEs), run outside a
// transaction with the store's notification inside (program.ts, Sql.alone), prepared once per
// connection: a claim, a report (acks, starts, renewals), an ack, an ack with a job result. One
// round trip and one commit each, where the same work as separate statements in a transaction took
// four to six. The claim's one statement covers the common case (no other owner's lease to take
// over, no rate limit); otherwise it changes nothing and leases.ts runs the whole claim.

import { alone } from './program.js'
import type { Prepared, Program } from './program.js'
import type { ReportInput } from '../types.js'
import type { ClaimableRow } from './leases.js'

const prepared = <K extends string>(statements: Record<K, string>): Record<K, Prepared> =>
  Object.fromEntries(Object.entries<string>(statements).map(([key, text]) => [key, { name: `durable_ipc_${key}`, text }])) as Record<K, Prepared>

const sql = prepared({
  // $1 channel, $2 subscription, $3 now, $4 owner, $5 lease end, $6 limit, $7 how many start, $8/$9 the notification.
  // mode: 'go' (claimed here), 'stop' (paused or unknown: nothing), 'full' (another owner's lease ran
  // out, or a rate limit: nothing was done, the whole claim runs). The rows are leased in the claim
  // index's order (as leases.ts's claimable, priority by priority); n numbers them in that order.
  claim: `WITH ch AS (SELECT paused, (config::jsonb ->> 'rateLimit') IS NOT NULL AS limited FROM durable_ipc_channels WHERE name = $1),
    g AS (SELECT CASE
        WHEN EXISTS (SELECT 1 FROM durable_ipc_messages WHERE lease_owner IS NOT NULL AND lease_until <= $3 AND lease_owner <> $4
          AND channel = $1 AND subscription = $2) THEN 'full'
        WHEN COALESCE((SELECT paused FROM ch), true) THEN 'stop'
        WHEN (SELECT limited FROM ch) THEN 'full'
        ELSE 'go' END AS mode),
    picked AS (SELECT c.*, row_number() OVER (ORDER BY c.priority DESC, c.visible_at, c.id) AS n FROM (
      WITH RECURSIVE p AS (
        (SELECT priority FROM durable_ipc_messages WHERE channel = $1 AND subscription = $2 ORDER BY priority DESC LIMIT 1)
        UNION ALL
        SELECT (SELECT m.priority FROM durable_ipc_messages AS m WHERE m.channel = $1 AND m.subscription = $2 AND m.priority < p.priority
          ORDER BY m.priority DESC LIMIT 1) FROM p WHERE p.priority IS NOT NULL)
      SELECT c.* FROM p CROSS JOIN LATERAL (
        SELECT id, kind, payload, payload_text, attempts, created_at, careful, priority, visible_at FROM durable_ipc_messages AS m
        WHERE m.channel = $1 AND m.subscription = $2 AND m.priority = p.priority AND m.visible_at <= $3 AND m.lease_owner IS NULL
        ORDER BY m.visible_at, m.id LIMIT $6 FOR UPDATE SKIP LOCKED) AS c
      WHERE p.priority IS NOT NULL AND (SELECT mode FROM g) = 'go' LIMIT $6) AS c),
    leased AS (UPDATE durable_ipc_messages AS m SET lease_owner = $4, lease_until = $5, started = k.n <= $7,
        attempts = m.attempts + CASE WHEN k.n <= $7 THEN 1 ELSE 0 END
      FROM picked AS k WHERE m.id = k.id
      RETURNING k.id, k.kind, k.payload, k.payload_text, k.attempts, k.created_at, k.careful, k.priority, k.n),
    noted AS MATERIALIZED (SELECT pg_notify($8, $9))
    SELECT g.mode, l.* FROM g CROSS JOIN noted LEFT JOIN leased AS l ON true`,
  // $1 acks, $2 owner, $3 starts, $4 renewals, $5 their lease end, $6/$7 the notification. The acked
  // rows are left out of the update (one statement changes a row once); a start is counted once.
  report: `WITH acked AS (DELETE FROM durable_ipc_messages WHERE id = ANY($1::bigint[]) AND lease_owner = $2),
    touched AS (UPDATE durable_ipc_messages SET
        attempts = attempts + CASE WHEN id = ANY($3::bigint[]) AND NOT started THEN 1 ELSE 0 END,
        started = started OR id = ANY($3::bigint[]),
        lease_until = CASE WHEN id = ANY($4::bigint[]) THEN $5::bigint ELSE lease_until END
      WHERE (id = ANY($3::bigint[]) OR id = ANY($4::bigint[])) AND NOT id = ANY($1::bigint[]) AND lease_owner = $2
      RETURNING id, id = ANY($4::bigint[]) AS renewed),
    noted AS MATERIALIZED (SELECT pg_notify($6, $7))
    SELECT t.id FROM noted LEFT JOIN touched AS t ON t.renewed`,
  // $1 ids, $2 owner, $3/$4 the notification.
  ack: `WITH acked AS (DELETE FROM durable_ipc_messages WHERE id = ANY($1::bigint[]) AND lease_owner = $2 RETURNING 1),
    noted AS MATERIALIZED (SELECT pg_notify($3, $4))
    SELECT (SELECT count(*)::int FROM acked) AS n FROM noted`,
  // $1 id, $2 owner, $3 ok, $4 payload, $5 now, $6/$7 the notification: the outcome (as leases.ts's
  // upsertJobResult) and the delete, both only while `owner` still holds the message.
  ackWithResult: `WITH result AS (INSERT INTO durable_ipc_job_results
        (id, ok, payload, completed_at, state, channel, subscription, attempts, priority, created_at, run_at, last_error)
      SELECT id, $3::boolean, $4::bytea, $5::bigint, CASE WHEN $3::boolean THEN 'completed' ELSE 'failed' END, channel, subscription,
        attempts + 1 - started::int, priority, created_at, visible_at, NULL
      FROM durable_ipc_messages WHERE id = $1 AND lease_owner = $2
      ON CONFLICT (id) DO UPDATE SET ok = excluded.ok, payload = excluded.payload, completed_at = excluded.completed_at,
        state = excluded.state, channel = excluded.channel, subscription = excluded.subscription, attempts = excluded.attempts,
        priority = excluded.priority, created_at = excluded.created_at, run_at = excluded.run_at, last_error = excluded.last_error
      RETURNING id),
    acked AS (DELETE FROM durable_ipc_messages WHERE id IN (SELECT id FROM result) AND lease_owner = $2),
    noted AS MATERIALIZED (SELECT pg_notify($6, $7))
    SELECT 1 FROM noted`,
})

/** A claimed row as the one-statement claim answers it (n: its place in the claim's order, from 1). */
export interface QuickClaimRow extends Omit<ClaimableRow, 'id'> {
  mode: 'go' | 'stop' | 'full'
  id: number | null
  n: number
}

/**
 * Claims in one statement (see the top of this file): the rows leased, in the claim's order, or
 * 'full' when the whole claim must run (nothing was done), or 'stop' (paused or unknown channel).
 *
 * @example
 * const quick = yield* quickClaim('jobs', 'main', owner, now, now + 30_000, 16, 16)
 */
export function* quickClaim(
  channel: string, subscription: string, owner: string, now: number, leaseUntil: number, limit: number, start: number,
): Program<QuickClaimRow[] | 'stop' | 'full'> {
  const found = yield* alone<QuickClaimRow>(sql.claim, [channel, subscription, now, owner, leaseUntil, limit, start])
  const mode = found[0]?.mode ?? 'stop'
  if (mode !== 'go') return mode
  return found.filter((row) => row.id !== null).sort((a, b) => a.n - b.n)
}

/** Acknowledgements, starts and renewals in one statement (see Store.report); returns the renewed ids. */
export function* quickReport(owner: string, input: ReportInput): Program<number[]> {
  const renewed = yield* alone<{ id: number | null }>(sql.report, [input.acks, owner, input.starts, input.renew?.ids ?? [], input.renew?.leaseUntil ?? null])
  return renewed.flatMap((row) => (row.id === null ? [] : [row.id])).sort((a, b) => a - b)
}

/** Deletes the messages `owner` still holds, in one statement; returns how many. */
export function* quickAck(ids: readonly number[], owner: string): Program<number> {
  return (yield* alone<{ n: number }>(sql.ack, [ids, owner]))[0]?.n ?? 0
}

/** Stores an invoke request's outcome and acknowledges it, in one statement; nothing when the lease passed to another owner. */
export function* quickAckWithResult(id: number, owner: string, ok: boolean, payload: Uint8Array, now: number): Program<void> {
  yield* alone(sql.ackWithResult, [id, owner, ok, payload, now])
}
