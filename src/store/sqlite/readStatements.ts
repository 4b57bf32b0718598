// The store's reads for tools and stats: per-subscription counts, and what observers poll (the
// CLI's tail and dead): messages and dead letters after an id, and the highest id given.

import type Database from 'better-sqlite3'
import type { DeadLetterRow, StoredMessage } from '../types.js'
import { deadLetterColumns, nextId, preparers } from './sqlFragments.js'

export interface MessageCountsRow {
  channel: string
  subscription: string
  ready: number
  delayed: number
  inFlight: number
  oldestCreatedAt: number | null
}

/** A StoredMessage as SQLite returns it: `leased` is 0 or 1. */
export type StoredMessageDbRow = Omit<StoredMessage, 'leased'> & { leased: number }

const sql = {
  // Stats read only the claim index (covering: no table rows, whose payloads may fill overflow
  // pages) plus the few live leases from the partial lease index, so their cost is one pass over
  // index entries however large the payloads. An expired lease counts as ready, since claim would
  // take it. The oldest waiting message is the one with the lowest id (ids grow with time), so its
  // created_at costs one look-up by id; a replayed message keeps its old created_at under a new
  // id, so the age may be understated while one waits behind newer messages.
  messageCounts: `WITH live AS (SELECT id FROM durable_ipc_messages WHERE lease_owner IS NOT NULL AND lease_until > @now),
    counts AS (SELECT channel, subscription, COUNT(*) AS total, SUM(visible_at <= @now AND id NOT IN live) AS ready,
        SUM(id IN live) AS inFlight,
        MIN(CASE WHEN id NOT IN live THEN id END) AS oldestId
      FROM durable_ipc_messages GROUP BY channel, subscription)
    SELECT c.channel, c.subscription, c.ready, c.total - c.ready - c.inFlight AS delayed, c.inFlight,
      m.created_at AS oldestCreatedAt
    FROM counts AS c LEFT JOIN durable_ipc_messages AS m ON m.id = c.oldestId`,
  // Per channel from the covering (channel, id) index. Only channels with several subscriptions
  // need each row's subscription; a channel with one gets its count whole, under that one's name
  // (every subscription a message can have has a row: declare, publish and ensureSubscription make
  // it, so the 'main' fallback, the subscription declareChannel makes, is for a hand-made file).
  deadCounts: `WITH multi AS (SELECT channel FROM durable_ipc_subscriptions GROUP BY channel HAVING COUNT(*) > 1)
    SELECT channel, COALESCE((SELECT MIN(name) FROM durable_ipc_subscriptions AS s WHERE s.channel = d.channel), 'main') AS subscription,
      COUNT(*) AS dead
    FROM durable_ipc_dead_letters AS d WHERE channel NOT IN multi GROUP BY channel
    UNION ALL
    SELECT channel, subscription, COUNT(*) AS dead FROM durable_ipc_dead_letters
    WHERE channel IN multi GROUP BY channel, subscription`,

  // Read-only observers (the CLI's tail, dead): by id, which is store order. A search of the
  // primary key from @after, so polling for what is new reads only what is new.
  // With the few messages in hand (inHand.ts: leased, no key, no attempt yet).
  messagesAfter: `SELECT * FROM (SELECT id, channel, subscription, kind, payload, key, attempts, created_at AS createdAt,
        CASE WHEN lease_owner IS NULL THEN visible_at ELSE MAX(visible_at, lease_until) END AS visibleAt,
        lease_owner IS NOT NULL AS leased
      FROM durable_ipc_messages WHERE id > @after AND (@channel IS NULL OR channel = @channel) ORDER BY id LIMIT @limit)
    UNION ALL
    SELECT id, channel, subscription, kind, payload, NULL, 0, created_at, MAX(visible_at, lease_until), 1
      FROM durable_ipc_in_hand WHERE id > @after AND (@channel IS NULL OR channel = @channel)
    ORDER BY id LIMIT @limit`,
  deadLettersAfter: `SELECT ${deadLetterColumns} FROM durable_ipc_dead_letters WHERE id > @after ORDER BY id LIMIT @limit`,
  deadLettersAfterInChannel: `SELECT ${deadLetterColumns} FROM durable_ipc_dead_letters
    WHERE channel = @channel AND id > @after ORDER BY id LIMIT @limit`,
  lastMessageId: `SELECT ${nextId}`,
} as const

/**
 * Prepares the read statements; part of prepareStatements (statements.ts).
 *
 * @example
 * prepareReadStatements(db).lastMessageId.get()
 */
export function prepareReadStatements(db: Database.Database) {
  const { query, bare, barePluck } = preparers(db)
  type Channel = { channel: string }
  return {
    messageCounts: query<{ now: number }, MessageCountsRow>(sql.messageCounts),
    deadCounts: bare<{ channel: string; subscription: string; dead: number }>(sql.deadCounts),

    messagesAfter: query<{ after: number; channel: string | null; limit: number }, StoredMessageDbRow>(sql.messagesAfter),
    deadLettersAfter: query<{ after: number; limit: number }, DeadLetterRow>(sql.deadLettersAfter),
    deadLettersAfterInChannel: query<Channel & { after: number; limit: number }, DeadLetterRow>(sql.deadLettersAfterInChannel),
    lastMessageId: barePluck<number>(sql.lastMessageId),

  }
}
