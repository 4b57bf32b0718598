// Every SQL statement of the store, named and prepared once when the store opens. Callers bind
// named parameters and never spell out SQL; lists of ids are bound as one JSON text (json_each).

import type Database from 'better-sqlite3'
import type { DeadLetterRow, MessageKind, Payload } from '../types.js'
import { prepareInHandStatements } from './inHand.js'
import { prepareReadStatements } from './readStatements.js'
import { deadLetterColumns, nextId, preparers } from './sqlFragments.js'
export type { Command, Query } from './sqlFragments.js'

/** What a publish binds, in insertMessage's order. */
type MessageColumns = [channel: string, subscription: string, kind: MessageKind, payload: Payload, key: string | null, now: number, visibleAt: number, priority: number]

/** A claimable row as an array (id, kind, payload, attempts, created_at, careful): cheaper than an object per row. */
export type ClaimableRow = [id: number, kind: MessageKind, payload: Payload, attempts: number, createdAt: number, careful: number]

/** What a claim reads of its channel first: pause, and the config (its rate limit). */
export interface ClaimStateRow {
  paused: number
  config: string
}

/** A lease about to end without an outcome (see endLeases in leases.ts). */
export type LeaseRow = [id: number, channel: string, owner: string, attempts: number, started: number]

// A dead letter's key as it is replayed (d: the dead letter): kept unless taken.
const replayKey = `CASE WHEN d.key IS NULL OR EXISTS (SELECT 1 FROM durable_ipc_messages AS m
      WHERE m.channel = d.channel AND m.subscription = d.subscription AND m.key = d.key)
    OR row_number() OVER (PARTITION BY d.subscription, d.key ORDER BY d.id) > 1 THEN NULL ELSE d.key END`

const sql = {
  upsertChannel: `INSERT INTO durable_ipc_channels (name, config, created_at) VALUES (@name, @config, @now)
    ON CONFLICT (name) DO UPDATE SET config = excluded.config`,
  channelConfig: 'SELECT config FROM durable_ipc_channels WHERE name = @name',
  channels: 'SELECT name, config FROM durable_ipc_channels ORDER BY name',
  // Created with its fan_out, which an existing subscription keeps (a publish creating its target).
  insertSubscription: `INSERT INTO durable_ipc_subscriptions (channel, name, fan_out, created_at)
    VALUES (@channel, @name, @fanOut, @now) ON CONFLICT DO NOTHING`,
  // Created, or its fan_out set (ensureSubscription says what it is).
  upsertSubscription: `INSERT INTO durable_ipc_subscriptions (channel, name, fan_out, created_at)
    VALUES (@channel, @name, @fanOut, @now) ON CONFLICT (channel, name) DO UPDATE SET fan_out = excluded.fan_out`,
  // Where a publish without a subscription goes: a column (005), not a name pattern.
  fanOutSubscriptions: `SELECT name FROM durable_ipc_subscriptions
    WHERE channel = @channel AND fan_out = 1 ORDER BY name`,
  subscriptions: 'SELECT channel, name AS subscription FROM durable_ipc_subscriptions',

  idByKey: 'SELECT id FROM durable_ipc_messages WHERE channel = @channel AND subscription = @subscription AND key = @key',
  // LIMIT bounds the count's work to maxDepth index entries, however long the queue.
  depth: `SELECT COUNT(*) FROM (SELECT 1 FROM durable_ipc_messages
    WHERE channel = @channel AND subscription = @subscription LIMIT @max)`,
  // Positional parameters, as the trickle path's insert (inHand.ts): a publish is the hot path.
  insertMessage: `INSERT INTO durable_ipc_messages (id, channel, subscription, kind, payload, key, created_at, visible_at, priority)
    VALUES (${nextId} + 1, ?, ?, ?, ?, ?, ?, ?, ?)`,
  // Claim-at-publish (publishClaimed) of a keyed message, or on a channel with a maxDepth (whose
  // checks read the queue): the row goes in leased to the consumer that takes it, unstarted. The
  // others go in hand (inHand.ts).
  insertLeasedMessage: `INSERT INTO durable_ipc_messages (id, channel, subscription, kind, payload, key, created_at, visible_at, priority, lease_owner, lease_until)
    VALUES (${nextId} + 1, @channel, @subscription, @kind, @payload, @key, @now, @visibleAt, @priority, @owner, @leaseUntil)`,
  // A bulk publish takes the next id once and counts on from it (four look-ups less per message).
  insertMessageWithId: `INSERT INTO durable_ipc_messages (id, channel, subscription, kind, payload, key, created_at, visible_at, priority)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,

  claimState: 'SELECT paused, config FROM durable_ipc_channels WHERE name = @channel',
  setPaused: 'UPDATE durable_ipc_channels SET paused = @paused WHERE name = @channel',
  pausedChannels: 'SELECT name FROM durable_ipc_channels WHERE paused = 1',
  // The priorities in line, highest first, one index seek each (006: the claim index leads with it).
  topPriority: `SELECT priority FROM durable_ipc_messages WHERE channel = @channel AND subscription = @subscription
    ORDER BY priority DESC LIMIT 1`,
  nextPriority: `SELECT priority FROM durable_ipc_messages WHERE channel = @channel AND subscription = @subscription
    AND priority < @below ORDER BY priority DESC LIMIT 1`,
  // One priority's rows in line order; leased rows are skipped where they stand (in flight: a few).
  // Expired leases are ended first (claim in leases.ts), so a row with any lease is never claimed:
  // least of all by the owner that is still running it.
  claimable: `SELECT id, kind, payload, attempts, created_at, careful FROM durable_ipc_messages
    WHERE channel = @channel AND subscription = @subscription AND priority = @priority AND visible_at <= @now
      AND lease_owner IS NULL
    ORDER BY visible_at, id LIMIT @limit`,
  // The sliding window of a rate-limited channel's starts (006).
  pruneRateStarts: 'DELETE FROM durable_ipc_rate_starts WHERE channel = @channel AND started_at <= @before',
  rateStarts: 'SELECT COUNT(*) FROM durable_ipc_rate_starts WHERE channel = @channel AND started_at > @before',
  oldestRateStart: 'SELECT MIN(started_at) FROM durable_ipc_rate_starts WHERE channel = @channel AND started_at > @before',
  recordRateStarts: `INSERT INTO durable_ipc_rate_starts (channel, started_at) SELECT @channel, @now FROM json_each(@ids)`,
  // Leases of other owners of the subscription that ran out: from the lease index (in-flight rows only).
  expiredLeases: `SELECT id, channel, lease_owner, attempts, started FROM durable_ipc_messages INDEXED BY durable_ipc_messages_lease
    WHERE lease_owner IS NOT NULL AND lease_until <= @now AND lease_owner <> @owner
      AND channel = @channel AND subscription = @subscription`,
  leasesOf: `SELECT id, channel, lease_owner, attempts, started FROM durable_ipc_messages WHERE lease_owner = @owner`,
  leasesOfInSubscription: `SELECT id, channel, lease_owner, attempts, started FROM durable_ipc_messages
    WHERE lease_owner = @owner AND subscription = @subscription`,
  leasesByIds: `SELECT id, channel, lease_owner, attempts, started FROM durable_ipc_messages
    WHERE id IN (SELECT value FROM json_each(@ids)) AND lease_owner = @owner`,
  // A lease leaves visible_at (the place in line) alone: the claim index is not touched. It counts
  // no attempt: start does, for the deliveries that start.
  lease: `UPDATE durable_ipc_messages SET lease_owner = @owner, lease_until = @leaseUntil, started = 0 WHERE id = @id`,
  // Whole batches in one statement each: a claim or an ack of 256 messages is one step, not 256.
  leaseMany: `UPDATE durable_ipc_messages SET lease_owner = @owner, lease_until = @leaseUntil, started = 0
    WHERE id IN (SELECT value FROM json_each(@ids))`,
  start: `UPDATE durable_ipc_messages SET attempts = attempts + 1, started = 1 WHERE id = @id AND lease_owner = @owner AND started = 0`,
  startMany: `UPDATE durable_ipc_messages SET attempts = attempts + 1, started = 1
    WHERE id IN (SELECT value FROM json_each(@ids)) AND lease_owner = @owner AND started = 0`,
  deleteLeasedMany: `DELETE FROM durable_ipc_messages
    WHERE id IN (SELECT value FROM json_each(@ids)) AND lease_owner = @owner`,
  deleteLeased: 'DELETE FROM durable_ipc_messages WHERE id = @id AND lease_owner = @owner',
  // A failed attempt counts (if its start was not recorded yet, it is now).
  reschedule: `UPDATE durable_ipc_messages SET visible_at = @retryAt, lease_owner = NULL, lease_until = NULL, last_error = @error,
      attempts = attempts + 1 - started, started = 0
    WHERE id = @id AND lease_owner = @owner`,
  deadLetterLeased: `INSERT INTO durable_ipc_dead_letters
      (id, channel, subscription, kind, payload, key, attempts, last_error, created_at, failed_at, priority, progress)
    SELECT id, channel, subscription, kind, payload, key, attempts + 1 - started, @error, created_at, @now, priority, progress
    FROM durable_ipc_messages WHERE id = @id AND lease_owner = @owner`,
  // A lease that ended without an outcome, with its attempts as endLeases (leases.ts) decided.
  deadLetterEnded: `INSERT INTO durable_ipc_dead_letters
      (id, channel, subscription, kind, payload, key, attempts, last_error, created_at, failed_at, priority, progress)
    SELECT id, channel, subscription, kind, payload, key, @attempts, @error, created_at, @now, priority, progress
    FROM durable_ipc_messages WHERE id = @id AND lease_owner = @owner`,
  // Claimable again where it stood in line (visible_at never moved), or now if another process's
  // clock put that ahead of ours.
  releaseEnded: `UPDATE durable_ipc_messages SET lease_owner = NULL, lease_until = NULL, visible_at = MIN(visible_at, @now),
      attempts = @attempts, started = 0, careful = MAX(careful, @careful), last_error = COALESCE(@error, last_error)
    WHERE id = @id AND lease_owner = @owner`,
  // Claimed in a batch, never delivered: back in line, and a start the claim recorded is taken back.
  handBackUnattempted: `UPDATE durable_ipc_messages SET lease_owner = NULL, lease_until = NULL, visible_at = MIN(visible_at, @now),
      attempts = attempts - started, started = 0
    WHERE id IN (SELECT value FROM json_each(@ids)) AND lease_owner = @owner`,
  renewLeases: `UPDATE durable_ipc_messages SET lease_until = @leaseUntil
    WHERE id IN (SELECT value FROM json_each(@ids)) AND lease_owner = @owner RETURNING id`,
  leaseOwners: 'SELECT DISTINCT lease_owner FROM durable_ipc_messages WHERE lease_owner IS NOT NULL',
  // Per priority (leases.ts takes the earliest): the first row in line without a lease (past the
  // few in flight at the front).
  nextUnleasedAt: `SELECT visible_at FROM durable_ipc_messages
    WHERE channel = @channel AND subscription = @subscription AND priority = @priority AND lease_owner IS NULL
    ORDER BY visible_at LIMIT 1`,
  // The first lease of another owner to run out (from the lease index: in-flight rows only; the
  // asking owner's own leases end with its deliveries, not by running out).
  nextLeaseEnd: `SELECT MIN(MAX(visible_at, lease_until)) FROM durable_ipc_messages INDEXED BY durable_ipc_messages_lease
    WHERE lease_owner IS NOT NULL AND lease_owner <> @owner AND channel = @channel AND subscription = @subscription`,

  // A job's outcome with what the job was (006), from its row while `owner` still holds it: written
  // before the row is deleted. The attempt that ends now counts, recorded or not.
  upsertJobResult: `INSERT INTO durable_ipc_job_results
      (id, ok, payload, completed_at, state, channel, subscription, attempts, priority, created_at, run_at, last_error)
    SELECT id, @ok, @payload, @now, CASE @ok WHEN 1 THEN 'completed' ELSE 'failed' END, channel, subscription,
      attempts + 1 - started, priority, created_at, visible_at, CASE @ok WHEN 1 THEN NULL ELSE @error END
    FROM durable_ipc_messages WHERE id = @id AND lease_owner = @owner
    ON CONFLICT (id) DO UPDATE SET ok = excluded.ok, payload = excluded.payload, completed_at = excluded.completed_at,
      state = excluded.state, channel = excluded.channel, subscription = excluded.subscription, attempts = excluded.attempts,
      priority = excluded.priority, created_at = excluded.created_at, run_at = excluded.run_at, last_error = excluded.last_error`,
  // Oldest first, from the completed_at index (003).
  expiredJobResults: `SELECT id FROM durable_ipc_job_results WHERE completed_at < @before ORDER BY completed_at LIMIT @limit`,
  deleteJobResults: 'DELETE FROM durable_ipc_job_results WHERE id IN (SELECT value FROM json_each(@ids))',

  deadLetters: `SELECT ${deadLetterColumns} FROM durable_ipc_dead_letters WHERE channel = @channel ORDER BY id`,
  deadLettersByIds: `SELECT ${deadLetterColumns} FROM durable_ipc_dead_letters
    WHERE channel = @channel AND id IN (SELECT value FROM json_each(@ids)) ORDER BY id`,
  // A replayed message keeps its id (a caller waiting for job 42 sees its new outcome) and its key,
  // unless a message with that key is pending again (or an earlier dead letter of this replay has
  // it): then it comes back without one rather than not at all.
  replay: `INSERT INTO durable_ipc_messages (id, channel, subscription, kind, payload, key, created_at, visible_at, last_error, priority)
    SELECT id, channel, subscription, kind, payload, ${replayKey}, created_at, @now, last_error, priority
    FROM durable_ipc_dead_letters AS d WHERE channel = @channel ORDER BY id`,
  replayByIds: `INSERT INTO durable_ipc_messages (id, channel, subscription, kind, payload, key, created_at, visible_at, last_error, priority)
    SELECT id, channel, subscription, kind, payload, ${replayKey}, created_at, @now, last_error, priority
    FROM durable_ipc_dead_letters AS d WHERE channel = @channel AND id IN (SELECT value FROM json_each(@ids)) ORDER BY id`,
  // The failure outcome of a replayed job is gone: the job is waiting again.
  forgetReplayedResults: `DELETE FROM durable_ipc_job_results WHERE id IN (SELECT id FROM durable_ipc_dead_letters WHERE channel = @channel)`,
  forgetReplayedResultsByIds: `DELETE FROM durable_ipc_job_results
    WHERE id IN (SELECT id FROM durable_ipc_dead_letters WHERE channel = @channel AND id IN (SELECT value FROM json_each(@ids)))`,
  // Only when no message left holds a higher id (else the next id is above it anyway): an UPDATE
  // that matches no row writes no page, which keeps an acknowledgement's commit small.
  raiseHighWater: `UPDATE durable_ipc_high_water SET id = @id
    WHERE id < @id AND @id > coalesce((SELECT max(id) FROM durable_ipc_messages), 0)
      AND @id > coalesce((SELECT max(id) FROM durable_ipc_in_hand), 0)`,
  deadMax: 'SELECT max(id) FROM durable_ipc_dead_letters WHERE channel = @channel',
  purge: 'DELETE FROM durable_ipc_dead_letters WHERE channel = @channel',
  purgeByIds: 'DELETE FROM durable_ipc_dead_letters WHERE channel = @channel AND id IN (SELECT value FROM json_each(@ids))',

} as const

/**
 * Prepares every statement of the store. Call once per open, after migrating.
 *
 * @example
 * const s = prepareStatements(db)
 * s.channelConfig.get({ name: 'jobs' })
 */
export function prepareStatements(db: Database.Database) {
  const { command, query, rows, pluck, bare, barePluck, positional } = preparers(db)
  type Channel = { channel: string }
  type Sub = { channel: string; subscription: string }

  return {
    upsertChannel: command<{ name: string; config: string; now: number }>(sql.upsertChannel),
    channelConfig: pluck<{ name: string }, string>(sql.channelConfig),
    channels: bare<{ name: string; config: string }>(sql.channels),
    insertSubscription: command<{ channel: string; name: string; fanOut: 0 | 1; now: number }>(sql.insertSubscription),
    upsertSubscription: command<{ channel: string; name: string; fanOut: 0 | 1; now: number }>(sql.upsertSubscription),
    fanOutSubscriptions: pluck<Channel, string>(sql.fanOutSubscriptions),
    subscriptions: bare<{ channel: string; subscription: string }>(sql.subscriptions),

    idByKey: pluck<Sub & { key: string }, number>(sql.idByKey),
    depth: pluck<Sub & { max: number }, number>(sql.depth),
    insertMessage: positional<MessageColumns>(sql.insertMessage),
    insertLeasedMessage: command<Sub & { kind: MessageKind; payload: Payload; key: string | null; now: number; visibleAt: number; priority: number; owner: string; leaseUntil: number }>(
      sql.insertLeasedMessage,
    ),
    insertMessageWithId: positional<[id: number, ...MessageColumns]>(sql.insertMessageWithId),

    claimState: query<Channel, ClaimStateRow>(sql.claimState),
    setPaused: command<Channel & { paused: 0 | 1 }>(sql.setPaused),
    pausedChannels: barePluck<string>(sql.pausedChannels),
    topPriority: pluck<Sub, number>(sql.topPriority),
    nextPriority: pluck<Sub & { below: number }, number>(sql.nextPriority),
    claimable: rows<Sub & { priority: number; now: number; limit: number }, ClaimableRow>(sql.claimable),
    pruneRateStarts: command<Channel & { before: number }>(sql.pruneRateStarts),
    rateStarts: pluck<Channel & { before: number }, number>(sql.rateStarts),
    oldestRateStart: pluck<Channel & { before: number }, number | null>(sql.oldestRateStart),
    recordRateStarts: command<Channel & { now: number; ids: string }>(sql.recordRateStarts),
    expiredLeases: rows<Sub & { owner: string; now: number }, LeaseRow>(sql.expiredLeases),
    leasesOf: rows<{ owner: string }, LeaseRow>(sql.leasesOf),
    leasesOfInSubscription: rows<{ owner: string; subscription: string }, LeaseRow>(sql.leasesOfInSubscription),
    leasesByIds: rows<{ ids: string; owner: string }, LeaseRow>(sql.leasesByIds),
    lease: command<{ id: number; owner: string; leaseUntil: number }>(sql.lease),
    start: command<{ id: number; owner: string }>(sql.start),
    startMany: command<{ ids: string; owner: string }>(sql.startMany),
    deleteLeased: command<{ id: number; owner: string }>(sql.deleteLeased),
    leaseMany: command<{ ids: string; owner: string; leaseUntil: number }>(sql.leaseMany),
    deleteLeasedMany: command<{ ids: string; owner: string }>(sql.deleteLeasedMany),
    reschedule: command<{ id: number; owner: string; retryAt: number; error: string }>(sql.reschedule),
    deadLetterLeased: command<{ id: number; owner: string; error: string; now: number }>(sql.deadLetterLeased),
    deadLetterEnded: command<{ id: number; owner: string; attempts: number; error: string; now: number }>(sql.deadLetterEnded),
    releaseEnded: command<{ id: number; owner: string; now: number; attempts: number; careful: number; error: string | null }>(
      sql.releaseEnded,
    ),
    handBackUnattempted: command<{ ids: string; owner: string; now: number }>(sql.handBackUnattempted),
    renewLeases: pluck<{ ids: string; owner: string; leaseUntil: number }, number>(sql.renewLeases),
    leaseOwners: barePluck<string>(sql.leaseOwners),
    nextUnleasedAt: pluck<Sub & { priority: number }, number>(sql.nextUnleasedAt),
    nextLeaseEnd: pluck<Sub & { owner: string }, number | null>(sql.nextLeaseEnd),

    upsertJobResult: command<{ id: number; owner: string; ok: number; payload: Uint8Array; now: number; error: string | null }>(
      sql.upsertJobResult,
    ),
    expiredJobResults: pluck<{ before: number; limit: number }, number>(sql.expiredJobResults),
    deleteJobResults: command<{ ids: string }>(sql.deleteJobResults),

    deadLetters: query<Channel, DeadLetterRow>(sql.deadLetters),
    deadLettersByIds: query<Channel & { ids: string }, DeadLetterRow>(sql.deadLettersByIds),
    replay: command<Channel & { now: number }>(sql.replay),
    replayByIds: command<Channel & { now: number; ids: string }>(sql.replayByIds),
    forgetReplayedResults: command<Channel>(sql.forgetReplayedResults),
    forgetReplayedResultsByIds: command<Channel & { ids: string }>(sql.forgetReplayedResultsByIds),
    raiseHighWater: command<{ id: number }>(sql.raiseHighWater),
    deadMax: pluck<Channel, number | null>(sql.deadMax),
    purge: command<Channel>(sql.purge),
    purgeByIds: command<Channel & { ids: string }>(sql.purgeByIds),

    ...prepareReadStatements(db),
    ...prepareInHandStatements(db, nextId),

    // Changes whenever another connection commits: the cross-process wake-up probe.
    dataVersion: barePluck<number>('PRAGMA data_version'),
  }
}

/** The prepared statements of one open store. */
export type Statements = ReturnType<typeof prepareStatements>
