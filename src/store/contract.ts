// The store's contract: the `Store` interface every backend implements, in plain data (the shapes
// are in store/types.ts) and with nothing of any one database in it. One implementation today
// (SQLite, store/sqlite/); a PostgreSQL store behind the same interface is how brokers on several
// machines will share durable channels. Every backend passes the contract suite
// (test/store/contract/). No actors and no Electron names here: which subscriptions a publish
// without one reaches is data (a subscription's `fanOut`), not a name.
//
// What answers synchronously, and what may not. For a backend that talks to a server, the
// consumer side may complete asynchronously: claim, report, ack, ackWithResult, fail, release,
// handBack, renew, releaseDeadOwners, nextVisibleAt, setProgress and cancelledAmong return
// `Answer<T>`, a value or a promise of one. Their callers (actors/durable/) take a plain value at
// once and a promise when it settles (actors/durable/answer.ts), so a synchronous backend (SQLite:
// `SyncStore`, its methods typed as plain values) pays nothing for the option. `publish` stays
// synchronous: a send is stored before it returns (with PostgreSQL, into this process's local
// SQLite outbox, which a forwarder moves on; see DESIGN.md). So do the probes that are polled
// (changeToken, mayWrite, openTransaction), the channel declarations that broker.channel() reads
// and writes as it returns (declareChannel, getChannel, listChannels, ensureSubscription), and what
// the public API answers as it returns (cancel, setPaused, isPaused, job, jobs, stats, the
// schedules, the dead letters). The scheduler's fireSchedule, and the tools' reads and repairs,
// will follow when the PostgreSQL store shows which of them need to.

import type { BoardReads } from './boardTypes.js'
import type { ForwardingSide } from './forwarding/forwardingSide.js'
import type { ChannelConfig, ClaimedMessage, ClaimedPublish, PublishClaim, DeadLetterRow, FailInput, JobResultRow, JobRow, JobsQuery, PublishInput, PublishResult, ReportInput, ScheduleInput, ScheduleRow, StoredMessage, SubscriptionOptions, SubscriptionStats } from './types.js'

/** A value, or a promise of one: what the consumer-side methods of a Store answer (see above). */
export type Answer<T> = T | Promise<T>

/**
 * Durable persistence. Every method is one transaction (or one read); the consumer side's may
 * answer asynchronously (see the header of this file, and why publish never will).
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
   * Claim-at-publish, the trickle path: publishes as `publish` does (synchronously, one
   * transaction) with the new row of `claim.subscription` leased to `claim.owner` as it is stored
   * (unstarted: its attempt is counted when its delivery starts), and writes that owner's `report`
   * (acknowledgements and starts, as `report` does) in the same transaction: one commit for a
   * message a consumer of this process takes at once, and for the acknowledgements before it. Only
   * at top level, never inside an application's transaction (the acknowledgements would roll back
   * with it): throws StoreError there. On a failure nothing of it is written, the report included.
   * Optional: without it a consumer claims what was published.
   *
   * @example
   * const { claimed } = store.publishClaimed!(input, { subscription: 'main', owner, leaseUntil: now + 30_000 }, { acks: [41], starts: [] })
   */
  publishClaimed?(input: PublishInput, claim: PublishClaim, report: ReportInput): ClaimedPublish
  /**
   * Group commit: runs `fn` in one write transaction of the store's own, in which every write is a
   * savepoint (one that throws is undone alone; `fn` catches it), committed when `fn` returns;
   * rolled back, and thrown, when `fn` throws or the commit fails. Only at top level: throws
   * StoreError inside an application's transaction. Optional: without it each write commits alone.
   *
   * @example
   * store.writeTogether!(() => { for (const input of inputs) try { store.publish(input) } catch (e) { failed(e) } })
   */
  writeTogether?(fn: () => void): void
  /**
   * `count` write transactions were committed to this store's file by other connections of this
   * process (worker renderers storing their sends): paces the store's checkpoints as its own
   * commits do. Optional: a store without a file of its own ignores it.
   *
   * @example
   * store.noteCommits?.(12)
   */
  noteCommits?(count: number): void
  /**
   * Leases up to `limit` visible messages of one subscription, oldest visible first (after ending
   * other owners' leases that ran out), and counts the attempt of the first `start` (default all).
   */
  claim(channel: string, subscription: string, owner: string, now: number, leaseMs: number, limit: number, start?: number): Answer<ClaimedMessage[]>
  /** Acknowledges, counts starts and renews leases in one transaction; returns the renewed ids `owner` still held. */
  report(owner: string, input: ReportInput): Answer<number[]>
  /** Acknowledges (deletes) messages leased by `owner`; returns how many were still held. */
  ack(ids: readonly number[], owner: string): Answer<number>
  /** Acknowledges an invoke request and stores its result, in one transaction. */
  ackWithResult(id: number, owner: string, ok: boolean, payload: Uint8Array, now: number): Answer<void>
  /** Records a failed attempt: reschedules at retryAt, or moves the message to the dead letters. */
  fail(input: FailInput): Answer<void>
  /**
   * Ends every lease of `owner` (optionally only of one subscription) as if it had died: a
   * recorded start counts, an unrecorded one marks the message careful (SQLite: sqlite/endLeases.ts).
   */
  release(owner: string, now: number, subscription?: string): Answer<number>
  /**
   * Hands messages `owner` still holds back at their place in line. `attempted` false: never
   * delivered (a start the claim counted is taken back). `attempted` true: started and given up
   * (`detail` says why, e.g. 'The broker closed'): the attempt counts, and one that used up its
   * attempts is dead-lettered.
   */
  handBack(ids: readonly number[], owner: string, now: number, attempted: boolean, detail?: string): Answer<number>
  /** Extends the leases `owner` still holds on `ids` to `leaseUntil`; returns the ids it still held. */
  renew(ids: readonly number[], owner: string, leaseUntil: number): Answer<number[]>
  /**
   * Ends, as `release` does, the leases of owners the backend can prove gone (SQLite: an owner id
   * of this host whose pid is not alive), so their messages come back before the leases run out;
   * returns how many. Writes nothing, and waits for no other writer, when there is no such owner.
   */
  releaseDeadOwners(now: number): Answer<number>
  /**
   * Epoch ms at which the next message of the subscription becomes claimable (one without a lease,
   * or one whose lease by an owner other than `owner` runs out); null when none waits or the channel
   * is paused. A rate-limited channel whose window is full (at `now`) says when a start leaves it.
   */
  nextVisibleAt(channel: string, subscription: string, owner?: string, now?: number): Answer<number | null>

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
  // --- Job control: cancellation and progress (store/sqlite/jobControl.ts) ---
  /**
   * Cancels job `id` if it is delayed, waiting or active (leased, in a batch or running), in one
   * transaction: its message is deleted and a 'cancelled' outcome stored under its id (a failure
   * that reads as JobCancelledError), with the job's channel, subscription, attempts, priority,
   * times and last error. The owner of an active one finds nothing held any more: its answer and
   * its failure are ignored, so it is never retried. False, writing nothing, for a job that is
   * dead, completed, cancelled or unknown.
   *
   * @example
   * if (store.cancel(42, Date.now())) console.log('cancelled')
   */
  cancel(id: number, now: number): boolean
  /**
   * Of `ids`, those cancelled (a 'cancelled' outcome is stored): a consumer asks about its long
   * deliveries and claimed batch, to abort what another process cancelled.
   *
   * @example
   * store.cancelledAmong([41, 42, 43]) // [42]
   */
  cancelledAmong(ids: readonly number[]): Answer<number[]>
  /**
   * Stores the latest progress value (serialized) of deliveries `owner` holds, all in one
   * transaction; a message no longer held by `owner` is skipped. Returns how many were written.
   *
   * @example
   * store.setProgress(owner, [{ id: 42, payload: encodeValue({ done: 0.5 }) }]) // 1
   */
  setProgress(owner: string, updates: ReadonlyArray<{ id: number; payload: Uint8Array }>): Answer<number>
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

  /**
   * Only for a store-and-forward backend (store/forwarding/: sends stored in a local SQLite file,
   * forwarded to PostgreSQL): what its forwarder drives. Others leave it out.
   */
  forwarding?: ForwardingSide

  /** Closes the database, unless it was handed in by the application. */
  close(): void
}

/**
 * A store whose every method answers synchronously (SQLite): the consumer side typed as plain
 * values, for callers that hold this backend and want them so (the command-line tool, tests).
 *
 * @example
 * const store: SyncStore = openSqliteStore({ path: 'app.db' })
 * const claimed = store.claim('jobs', 'main', owner, Date.now(), 30_000, 10) // ClaimedMessage[]
 */
export interface SyncStore extends Store {
  claim(channel: string, subscription: string, owner: string, now: number, leaseMs: number, limit: number, start?: number): ClaimedMessage[]
  report(owner: string, input: ReportInput): number[]
  ack(ids: readonly number[], owner: string): number
  ackWithResult(id: number, owner: string, ok: boolean, payload: Uint8Array, now: number): void
  fail(input: FailInput): void
  release(owner: string, now: number, subscription?: string): number
  handBack(ids: readonly number[], owner: string, now: number, attempted: boolean, detail?: string): number
  renew(ids: readonly number[], owner: string, leaseUntil: number): number[]
  releaseDeadOwners(now: number): number
  nextVisibleAt(channel: string, subscription: string, owner?: string, now?: number): number | null
  cancelledAmong(ids: readonly number[]): number[]
  setProgress(owner: string, updates: ReadonlyArray<{ id: number; payload: Uint8Array }>): number
}
