// The store's contract: plain data in, plain data out, and nothing of any one database in its
// shape. One implementation today (SQLite, store/sqlite/); a PostgreSQL store behind the same
// interface is how brokers on several machines will share durable channels. Every backend passes
// the contract suite (test/store/contract/). No actors and no Electron names here: which
// subscriptions a publish without one reaches is data (a subscription's `fanOut`), not a name.
//
// Synchronous today, and what may change. Every method answers synchronously now. For a backend
// that talks to a server, the consumer side will be allowed to complete asynchronously: claim,
// report, ack, ackWithResult, fail, release, handBack, renew, releaseDeadOwners and nextVisibleAt
// will return `T | Promise<T>`, and so may the tools' reads and repairs (stats, deadLetters,
// messagesAfter, deadLettersAfter, lastMessageId, jobResult, replay, purgeDeadLetters,
// pruneJobResults). A synchronous backend (SQLite) keeps returning plain values, and its callers
// take them without a detour through a microtask, so it pays nothing for the option. `publish`
// stays synchronous: a send is stored before it returns (with PostgreSQL, into this process's
// local SQLite outbox, which a forwarder moves on; see DESIGN.md). So do the probes that are
// polled (changeToken, mayWrite, openTransaction) and the channel declarations that
// broker.channel() reads and writes as it returns (declareChannel, getChannel, listChannels,
// ensureSubscription).

/** Settings of one durable channel, as persisted. */
import type { SubscriptionCounts } from '../protocol/stats.js'
import type { JobState } from '../types.js'
import type { BoardReads } from './boardTypes.js'

export interface ChannelConfig {
  maxAttempts: number
  backoffInitialMs: number
  backoffMaxMs: number
  concurrency: number
  leaseMs: number
  /** null: no limit. */
  maxMessageBytes: number | null
  /** null: no limit. Counts messages waiting or in flight for one subscription. */
  maxDepth: number | null
  /** null: none. An attempt running longer fails with JobTimeoutError (retried as any failure). */
  timeoutMs: number | null
  /** null: none. At most `max` deliveries of the channel start within any `intervalMs`, across processes. */
  rateLimit: { max: number; intervalMs: number } | null
}

/**
 * A message as stored: JSON text, or bytes (V8's serialization format, or whatever a caller of the
 * store chose). Text is what most messages are, and SQLite hands text to JavaScript as a string
 * that JSON.parse reads directly: no Buffer on the way in or out (~1 µs a message).
 */
export type Payload = Uint8Array | string

/** The size of a payload in bytes, as stored (text counts in UTF-8). */
export function payloadBytes(payload: Payload): number {
  return typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.byteLength
}

/** What kind of message a row is: a plain message, or a stored invoke request (a job). */
export type MessageKind = 'message' | 'invoke'

export interface PublishInput {
  channel: string
  /**
   * The one subscription the message is for, created if new. Without it the message goes to every
   * fan-out subscription of the channel (`main`, and any other created with `fanOut` true).
   */
  subscription?: string
  /**
   * Only with `subscription`, and only when this publish creates it: whether the new subscription
   * is a fan-out one (also receives the channel's publishes without a subscription). Default true,
   * as for `ensureSubscription`. An inbox that gets only what is addressed to it passes false.
   */
  fanOut?: boolean
  payload: Payload
  kind: MessageKind
  /** Idempotency key: while a message with this key is pending on the subscription, no second one is stored. */
  key?: string | null
  /** Epoch ms; not claimable before then. */
  visibleAt: number
  /** Higher is claimed first; FIFO within a priority. Default 0. A safe integer. */
  priority?: number
  now: number
}

export interface PublishResult {
  /** The message id (the existing message's id when duplicate). */
  id: number
  duplicate: boolean
}

export interface ClaimedMessage {
  id: number
  channel: string
  subscription: string
  kind: MessageKind
  payload: Payload
  /** This attempt's number, 1 for the first delivery. */
  attempt: number
  priority: number
  createdAt: number
  /** The claim counted this attempt (it starts at once); otherwise `report` counts it when it starts. */
  started: boolean
  /**
   * An earlier lease of it ended without an outcome and without a recorded start (its consumer
   * died): its start must be recorded before it is delivered, so that a message that takes the
   * process down uses up its attempts.
   */
  careful: boolean
}

export interface FailInput {
  id: number
  owner: string
  /** The error as text: message and stack. */
  error: string
  /** Epoch ms of the next attempt, or null to dead-letter the message now. */
  retryAt: number | null
  now: number
  /** A job's failure outcome, stored with the dead letter (for its caller and jobResult). */
  result?: Uint8Array
}

/** What a consumer reports in one transaction: answers, starts, and leases to keep. */
export interface ReportInput {
  /** Acknowledged: deleted. */
  acks: readonly number[]
  /** Deliveries that started, whose attempt is counted now (see ClaimedMessage.started). */
  starts: readonly number[]
  /** Leases extended to `leaseUntil`: messages waiting in a claimed batch, and deliveries in flight. */
  renew?: { ids: readonly number[]; leaseUntil: number }
}

export interface DeadLetterRow {
  id: number
  channel: string
  subscription: string
  kind: MessageKind
  payload: Payload
  attempts: number
  lastError: string
  createdAt: number
  failedAt: number
}

export interface JobResultRow {
  id: number
  ok: boolean
  /** Serialized result value (ok) or serialized error (not ok). */
  payload: Uint8Array
  completedAt: number
}

/** One subscription's counts (ready: visible now and not leased; delayed: not visible yet). */
export type SubscriptionStats = SubscriptionCounts

/** A message as it sits in the queue, for tools that watch without consuming (the CLI's tail). */
export interface StoredMessage {
  id: number
  channel: string
  subscription: string
  kind: MessageKind
  payload: Payload
  key: string | null
  /** Attempts made so far (0 until first claimed). */
  attempts: number
  createdAt: number
  /** Epoch ms from which it can be claimed; for a leased message, its lease expiry. */
  visibleAt: number
  /** Held by a consumer right now (its lease may have expired). */
  leased: boolean
}

/** Where a job is (the public type: src/types.ts says what each state means). */
export type { JobState }

/** One job as the store knows it, wherever it is (queue, dead letters, outcomes). Times in epoch ms. */
export interface JobRow {
  id: number
  /** '' for an outcome stored before schema 006, which did not record it. */
  channel: string
  subscription: string
  /** What it was stored as, and its arguments: null once it ended with an outcome (which keeps neither). */
  kind: MessageKind | null
  payload: Payload | null
  state: JobState
  /** Attempts that started. */
  attempts: number
  priority: number
  /** The latest progress value (serialized), null when none. */
  progress: Uint8Array | null
  createdAt: number
  /** When it may run (delayed, waiting), runs since (active: its place in line), or last ran (ended). */
  runAt: number
  lastError: string | null
}

/** Which jobs `Store.jobs` lists: id order, keyset paginated (`afterId`). */
export interface JobsQuery {
  state?: JobState
  limit: number
  afterId: number
}

// --- Schedules (persisted; fired by the scheduler actor of every broker on the store) ---

/**
 * A persisted schedule, as stored: what to publish (an encoded payload, a priority) to a channel's
 * fan-out subscriptions, and when. Exactly one of `cron` (with its zone `tz`) or `everyMs` is set;
 * the store does not read either: the layers above compute the slots and hand it plain epoch ms.
 */
export interface ScheduleRow {
  name: string
  cron: string | null
  everyMs: number | null
  /** The cron expression's IANA time zone; null with everyMs. */
  tz: string | null
  channel: string
  payload: Payload
  priority: number
  /** Epoch ms of the next slot: the schedule is due once the clock reaches it. */
  nextRunAt: number
  /** Epoch ms at which it last fired (null: never). */
  lastRunAt: number | null
}

/** What upsertSchedule takes: a schedule's definition and its first slot. */
export type ScheduleInput = Omit<ScheduleRow, 'lastRunAt'>

/** How a subscription takes part in its channel's publishes. */
export interface SubscriptionOptions {
  /**
   * True (the default): it receives every publish of the channel without a subscription, as
   * `main` does. False: only messages published to it by name (an inbox).
   */
  fanOut?: boolean
}

/**
 * Durable persistence. Every method is one transaction (or one read), synchronous for now (see the
 * header of this file for which ones may become asynchronous, and why publish never will).
 *
 * @example
 * const store: Store = openSqliteStore({ path: 'app.db' })
 * store.declareChannel('jobs', config)
 * store.publish({ channel: 'jobs', payload: '"hi"', kind: 'message', visibleAt: Date.now(), now: Date.now() })
 * const [job] = store.claim('jobs', 'main', owner, Date.now(), config.leaseMs, 1)
 */
export interface Store {
  /** Creates or updates a channel and its `main` subscription (a fan-out one). */
  declareChannel(name: string, config: ChannelConfig): void
  getChannel(name: string): ChannelConfig | undefined
  listChannels(): Array<{ name: string; config: ChannelConfig }>
  /**
   * Ensures the subscription exists, and is a fan-out one or not as `fanOut` says (default true:
   * it receives the channel's publishes without a subscription). Throws UnknownChannelError for an
   * undeclared channel.
   *
   * @example
   * store.ensureSubscription('notice', 'inbox-7', { fanOut: false }) // gets only what is sent to it
   */
  ensureSubscription(channel: string, subscription: string, options?: SubscriptionOptions): void

  /** Stores a message (one transaction, a savepoint inside an open application transaction). Enforces maxMessageBytes and maxDepth. */
  publish(input: PublishInput): PublishResult
  /**
   * Leases up to `limit` visible messages of one subscription, oldest visible first (after ending
   * other owners' leases that ran out), and counts the attempt of the first `start` (default all).
   */
  claim(channel: string, subscription: string, owner: string, now: number, leaseMs: number, limit: number, start?: number): ClaimedMessage[]
  /** Acknowledges, counts starts and renews leases in one transaction; returns the renewed ids `owner` still held. */
  report(owner: string, input: ReportInput): number[]
  /** Acknowledges (deletes) messages leased by `owner`; returns how many were still held. */
  ack(ids: readonly number[], owner: string): number
  /** Acknowledges an invoke request and stores its result, in one transaction. */
  ackWithResult(id: number, owner: string, ok: boolean, payload: Uint8Array, now: number): void
  /** Records a failed attempt: reschedules at retryAt, or moves the message to the dead letters. */
  fail(input: FailInput): void
  /**
   * Ends every lease of `owner` (optionally only of one subscription) as if it had died: a
   * recorded start counts, an unrecorded one marks the message careful (SQLite: sqlite/endLeases.ts).
   */
  release(owner: string, now: number, subscription?: string): number
  /**
   * Hands messages `owner` still holds back at their place in line. `attempted` false: never
   * delivered (a start the claim counted is taken back). `attempted` true: started and given up
   * (`detail` says why, e.g. 'The broker closed'): the attempt counts, and one that used up its
   * attempts is dead-lettered.
   */
  handBack(ids: readonly number[], owner: string, now: number, attempted: boolean, detail?: string): number
  /** Extends the leases `owner` still holds on `ids` to `leaseUntil`; returns the ids it still held. */
  renew(ids: readonly number[], owner: string, leaseUntil: number): number[]
  /**
   * Ends, as `release` does, the leases of owners the backend can prove gone (SQLite: an owner id
   * of this host whose pid is not alive), so their messages come back before the leases run out;
   * returns how many. Writes nothing, and waits for no other writer, when there is no such owner.
   */
  releaseDeadOwners(now: number): number
  /**
   * Epoch ms at which the next message of the subscription becomes claimable (one without a lease,
   * or one whose lease by an owner other than `owner` runs out); null when none waits or the channel
   * is paused. A rate-limited channel whose window is full (at `now`) says when a start leaves it.
   */
  nextVisibleAt(channel: string, subscription: string, owner?: string, now?: number): number | null

  deadLetters(channel: string, ids?: readonly number[]): DeadLetterRow[]
  /** Moves dead letters back to their subscription as fresh messages (same ids and keys, attempts 0); returns how many. */
  replay(channel: string, ids: readonly number[] | undefined, now: number): number
  purgeDeadLetters(channel: string, ids?: readonly number[]): number
  jobResult(id: number): JobResultRow | undefined
  /** Deletes up to `limit` job results completed before `before` (epoch ms), oldest first; returns how many. */
  pruneJobResults(before: number, limit: number): number

  /**
   * Messages with an id above `afterId`, in id order (the order they were stored), at most
   * `limit`; only those of `channel` when given. For read-only observers: ids only grow, so
   * polling with the last id seen returns what was stored since.
   */
  messagesAfter(afterId: number, channel: string | undefined, limit: number): StoredMessage[]
  /** Dead letters with an id above `afterId` (of every channel, or of `channel`), in id order, at most `limit`. */
  deadLettersAfter(afterId: number, channel: string | undefined, limit: number): DeadLetterRow[]
  /** The highest id any message was ever given (0 for none): where an observer of new messages starts. */
  lastMessageId(): number

  /**
   * Stores several messages in one transaction (a savepoint inside an application's): all or
   * nothing; the first failure (limits, unknown channel) throws and stores none. Results in order.
   */
  publishMany(inputs: readonly PublishInput[]): PublishResult[]
  /** Job `id` wherever it is; undefined when nothing is left of it (an acknowledged message). */
  job(id: number, now: number): JobRow | undefined
  /** Jobs of `channel` (every subscription) with an id above `query.afterId`, in id order, at most `query.limit`. */
  jobs(channel: string, query: JobsQuery, now: number): JobRow[]
  /** Pauses or resumes a channel for every process on the store (claims start nothing while paused). Throws UnknownChannelError. */
  setPaused(channel: string, paused: boolean): void
  isPaused(channel: string): boolean

  /** `now` (epoch ms, default Date.now()) decides ready versus delayed and expired leases: pass the actors' clock. */
  stats(now?: number): SubscriptionStats[]
  /**
   * The change probe: a token that differs from an earlier one whenever another connection or
   * process committed to the store in between, so that watchers (idle consumers, the CLI's tail)
   * look again only then. Compare tokens for equality only. This store's own writes need not
   * change it (its callers know of them); a change with nothing new only costs the caller a look.
   * Cheap enough to poll every few milliseconds. SQLite: PRAGMA data_version; PostgreSQL will
   * count LISTEN/NOTIFY notifications.
   *
   * @example
   * const seen = store.changeToken()
   * // later: if (store.changeToken() !== seen) look again
   */
  changeToken(): number
  /**
   * Whether the broker's own writes (claims, acknowledgements, renewals, sweeps, pruning) may run
   * now: false while the application holds a transaction open on a handle it shares with the store
   * (the outbox), since they would join it and roll back with it; they wait until it ends. Always
   * true for a backend that shares no handle with the application.
   *
   * @example
   * if (store.mayWrite()) store.report(owner, { acks, starts: [] })
   */
  mayWrite(): boolean
  /**
   * Only for a backend with an outbox (the store writes through the application's own handle;
   * SQLite's `database` option); others leave it out, which reads as `none` always. The
   * application's transaction as this call sees it: `none` (no transaction open), `inside` (called
   * synchronously inside the application's `database.transaction(fn)`: a publish now joins it),
   * `outside` (a transaction is open that this call is not part of, e.g. a BEGIN held across an
   * await: a publish now would join a transaction it was not made in).
   *
   * @example
   * if (store.openTransaction?.() === 'outside') throw new TransactionOpenError(channel)
   */
  openTransaction?(): 'none' | 'inside' | 'outside'

  // --- Schedules: plain data and epoch ms; the slots are computed above the store. upsert, list
  // and delete answer as broker.schedule()/schedules()/unschedule() return; fireSchedule is the
  // scheduler's, and may complete asynchronously on a server backend, as the consumer side may. ---
  /**
   * Creates or replaces schedule `row.name` in one transaction and returns it as stored. A row
   * whose definition (cron, everyMs, tz, channel, payload, priority) equals the stored one keeps
   * the stored nextRunAt and lastRunAt, so that every process may upsert its schedules on start-up
   * without moving their slots; a changed one takes `row.nextRunAt` (lastRunAt stays). Throws
   * UnknownChannelError for an undeclared channel, storing nothing.
   *
   * @example
   * store.upsertSchedule({ name: 'nightly', cron: '0 3 * * *', everyMs: null, tz: 'UTC', channel: 'report', payload, priority: 0, nextRunAt })
   */
  upsertSchedule(row: ScheduleInput): ScheduleRow
  /** Every schedule, by name. Cheap (a small table): the scheduler reads it about once a second. */
  listSchedules(): ScheduleRow[]
  /** Deletes schedule `name`; true when it existed. */
  deleteSchedule(name: string): boolean
  /**
   * Fires the slot `expectedNextRunAt` of schedule `name`, exactly once across every store open on
   * the database: in one transaction, moves the schedule to `nextRunAt` (lastRunAt `now`) only if
   * its nextRunAt is still `expectedNextRunAt` (compare-and-set), and then publishes its payload
   * with its priority to the channel's fan-out subscriptions (as `publish` without a subscription,
   * limits applied), visible from the slot's time. Returns undefined, writing nothing, when
   * another store fired that slot first, the schedule was changed or deleted since. A failed
   * publish (UnknownChannelError, QueueFullError, ...) is thrown and leaves the schedule as it was.
   *
   * @example
   * const fired = store.fireSchedule('nightly', due.nextRunAt, following, Date.now()) // undefined: lost the race
   */
  fireSchedule(name: string, expectedNextRunAt: number, nextRunAt: number, now: number): PublishResult | undefined

  // --- Board (src/board/): reads shaped for the web board's pages (store/boardTypes.ts) ---
  /** The board's index-driven reads; a backend without them leaves this out (the board then uses the reads above). */
  boardReads?(): BoardReads

  /** Closes the database, unless it was handed in by the application. */
  close(): void
}
