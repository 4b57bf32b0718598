// Reads for tools and stats: per-subscription counts (broker.stats(), the CLI), and what observers
// poll (the CLI's tail and dead): messages and dead letters after an id, and the highest id given.

import { InvalidArgumentError } from '../../errors.js'
import { deadLetterColumns, deadLetterRow } from './deadLetters.js'
import type { DeadLetterDbRow } from './deadLetters.js'
import { readPayload } from './payloads.js'
import { first, rows } from './program.js'
import type { Program } from './program.js'
import type { DeadLetterRow, MessageKind, StoredMessage, SubscriptionStats } from '../types.js'
import { statsTable } from '../subscriptionStats.js'

const sql = {
  subscriptions: 'SELECT channel, name AS subscription FROM durable_ipc_subscriptions',
  pausedChannels: 'SELECT name FROM durable_ipc_channels WHERE paused',
  // An expired lease counts as ready, since claim would take it. The oldest waiting message is the
  // one with the lowest id among those not in flight (ids grow with time): its created_at costs one
  // look-up by primary key, as on SQLite.
  messageCounts: `WITH counts AS (SELECT channel, subscription,
        count(*) FILTER (WHERE visible_at <= $1 AND NOT (lease_owner IS NOT NULL AND lease_until > $1))::int AS ready,
        count(*) FILTER (WHERE visible_at > $1 AND NOT (lease_owner IS NOT NULL AND lease_until > $1))::int AS delayed,
        count(*) FILTER (WHERE lease_owner IS NOT NULL AND lease_until > $1)::int AS "inFlight",
        min(id) FILTER (WHERE NOT (lease_owner IS NOT NULL AND lease_until > $1)) AS oldest_id
      FROM durable_ipc_messages GROUP BY channel, subscription)
    SELECT c.channel, c.subscription, c.ready, c.delayed, c."inFlight", m.created_at AS "oldestCreatedAt"
    FROM counts AS c LEFT JOIN durable_ipc_messages AS m ON m.id = c.oldest_id`,
  // Per channel; a channel with one subscription gets its count whole under that one's name.
  deadCounts: `WITH multi AS (SELECT channel FROM durable_ipc_subscriptions GROUP BY channel HAVING count(*) > 1)
    SELECT channel, COALESCE((SELECT min(name COLLATE "C") FROM durable_ipc_subscriptions AS s WHERE s.channel = d.channel), 'main') AS subscription,
      count(*)::int AS dead
    FROM durable_ipc_dead_letters AS d WHERE channel NOT IN (SELECT channel FROM multi) GROUP BY channel
    UNION ALL
    SELECT channel, subscription, count(*)::int AS dead FROM durable_ipc_dead_letters
    WHERE channel IN (SELECT channel FROM multi) GROUP BY channel, subscription`,
  messagesAfter: `SELECT id, channel, subscription, kind, payload, payload_text, key, attempts, created_at AS "createdAt",
      CASE WHEN lease_owner IS NULL THEN visible_at ELSE GREATEST(visible_at, lease_until) END AS "visibleAt",
      lease_owner IS NOT NULL AS leased
    FROM durable_ipc_messages WHERE id > $1 AND ($2::text IS NULL OR channel = $2::text) ORDER BY id LIMIT $3`,
  deadLettersAfter: `SELECT ${deadLetterColumns} FROM durable_ipc_dead_letters
    WHERE id > $1 AND ($2::text IS NULL OR channel = $2::text) ORDER BY id LIMIT $3`,
  // The sequence's last value: the highest id ever given (0 before the first).
  lastMessageId: 'SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS id FROM durable_ipc_message_ids',
} as const

/**
 * Counts of every subscription, sorted by channel then subscription; run it as a snapshot.
 *
 * @example
 * const stats = yield* collectStats(Date.now())
 */
export function* collectStats(now: number): Program<SubscriptionStats[]> {
  const paused = new Set((yield* rows<{ name: string }>(sql.pausedChannels)).map((row) => row.name))
  const { entry, sorted } = statsTable(paused)
  for (const row of yield* rows<{ channel: string; subscription: string }>(sql.subscriptions)) entry(row.channel, row.subscription)
  for (const row of yield* rows<{ channel: string; subscription: string; ready: number; delayed: number; inFlight: number; oldestCreatedAt: number | null }>(sql.messageCounts, [now])) {
    const stats = entry(row.channel, row.subscription)
    stats.ready = row.ready
    stats.delayed = row.delayed
    stats.inFlight = row.inFlight
    stats.oldestCreatedAt = row.oldestCreatedAt
  }
  for (const row of yield* rows<{ channel: string; subscription: string; dead: number }>(sql.deadCounts)) entry(row.channel, row.subscription).dead = row.dead
  return sorted()
}

function checkPage(afterId: number, limit: number): void {
  if (!Number.isSafeInteger(afterId)) throw new InvalidArgumentError(`Expected afterId to be an integer, but found ${String(afterId)}`)
  if (!Number.isSafeInteger(limit) || limit < 1) throw new InvalidArgumentError(`Expected limit to be a positive integer, but found ${String(limit)}`)
}

/** Up to `limit` messages with an id above `afterId`, oldest first; of `channel` only when given. */
export function* messagesAfter(afterId: number, channel: string | undefined, limit: number): Program<StoredMessage[]> {
  checkPage(afterId, limit)
  const found = yield* rows<Omit<StoredMessage, 'payload'> & { payload: Uint8Array; payload_text: boolean }>(sql.messagesAfter, [afterId, channel ?? null, limit])
  return found.map(({ payload_text: isText, ...row }) => ({ ...row, kind: row.kind as MessageKind, payload: readPayload(row.payload, isText) }))
}

/** Up to `limit` dead letters with an id above `afterId`, oldest first, of every channel or of `channel`. */
export function* deadLettersAfter(afterId: number, channel: string | undefined, limit: number): Program<DeadLetterRow[]> {
  checkPage(afterId, limit)
  return (yield* rows<DeadLetterDbRow>(sql.deadLettersAfter, [afterId, channel ?? null, limit])).map(deadLetterRow)
}

/** The highest id a message was ever given; 0 for none. */
export function* lastMessageId(): Program<number> {
  return (yield* first<{ id: number }>(sql.lastMessageId))?.id ?? 0
}
