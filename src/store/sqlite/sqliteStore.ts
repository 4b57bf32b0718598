// The SQLite Store: wires the prepared statements and operations into the Store contract, each
// write in one IMMEDIATE transaction (a savepoint inside an application's transaction), each
// failure as a typed error.

import { resolve } from 'node:path'
import { StoreError } from '../../errors.js'
import { retryWhileBusy } from './busyWait.js'
import { createChannels } from './channels.js'
import { Checkpointer } from './checkpointer.js'
import { listDeadLetters, pruneJobResults, purgeDeadLetters, replayDeadLetters } from './deadLetters.js'
import { cancelJob, cancelledAmong, jobOutcomeRow, prepareJobControl, setProgress } from './jobControl.js'
import type { JobControlStatements } from './jobControl.js'
import { ack, ackWithResult, claim, deadOwners, fail, handBack, nextVisibleAt, recordReport, release, releaseDeadOwners, renew } from './leases.js'
import { demoteId, demoteIds } from './inHand.js'
import { prepareJobReads } from './jobReads.js'
import type { JobReads } from './jobReads.js'
import { deadLettersAfter, lastMessageId, messagesAfter } from './observe.js'
import { openDatabase } from './openDatabase.js'
import type { StoreOpenOptions } from './openDatabase.js'
import { checkBusyTimeout } from './pragmas.js'
import { publish, publishClaimed } from './publish.js'
import { preparePublishAll } from './publishMany.js'
import type { PublishAll } from './publishMany.js'
import { deleteSchedule, fireSchedule, listSchedules, prepareScheduleStatements, upsertSchedule } from './schedules.js'
import type { ScheduleStatements } from './schedules.js'
import { translateError } from './sqliteErrors.js'
import { prepareStatements } from './statements.js'
import type { Statements } from './statements.js'
import { collectStats } from './stats.js'
import { insideTransactionFunction } from './transactionScope.js'
import type { SyncStore } from '../contract.js'
import type { JobsQuery, PublishClaim, PublishInput, ReportInput, ScheduleInput, SubscriptionOptions } from '../types.js'
import { prepareBoardReads } from './boardReads.js'
import { WriteLock } from './writeLock.js'
import type { BoardReads } from '../boardTypes.js'

/**
 * Opens a SQLite store: a file (`path`, default `':memory:'`) it owns and closes, or the
 * application's own better-sqlite3 handle (`database`, the outbox) that it never closes. Applies
 * the migrations unless `readonly`. Throws StoreError (`ERR_STORE_NOT_A_DATABASE`,
 * `ERR_STORE_NEWER_SCHEMA`, ...) without touching a file it refuses.
 *
 * @example
 * const store = openSqliteStore({ path: 'app.db' })
 * store.declareChannel('jobs', config)
 * store.publish({ channel: 'jobs', payload, kind: 'message', visibleAt: Date.now(), now: Date.now() })
 * store.close()
 */
export function openSqliteStore(options: StoreOpenOptions = {}): SyncStore {
  const opened = openDatabase(options)
  const { db, label } = opened
  let s: Statements
  let jobs: JobReads
  let publishAll: PublishAll
  let sch: ScheduleStatements
  let control: JobControlStatements
  try {
    s = prepareStatements(db)
    publishAll = preparePublishAll(db)
    jobs = prepareJobReads(db)
    sch = prepareScheduleStatements(db)
    control = prepareJobControl(db)
  } catch (err) {
    if (opened.owned) db.close()
    throw translateError(err, `open ${label}`)
  }
  const channels = createChannels(s)
  // Our own file (not :memory:, not the application's handle): its WAL is copied back from a worker.
  const checkpointer = opened.owned && !opened.readonly && !db.memory && options.backgroundCheckpoints !== false ? new Checkpointer(resolve(db.name)) : undefined
  let closed = false
  let boardReads: BoardReads | undefined

  // On our own connection SQLite answers busy at once and retryWhileBusy does the waiting (see
  // busyWait.ts); only at top level: inside a transaction a busy statement is the caller's to handle.
  const waitForLocks = opened.owned && !opened.readonly
  if (waitForLocks) db.pragma('busy_timeout = 0')
  const busyTimeoutMs = checkBusyTimeout(options.busyTimeoutMs)
  const guard = <R>(operation: string, run: () => R): R => {
    if (closed) throw new StoreError('ERR_STORE_CLOSED', `Cannot ${operation}: the store is closed`)
    try {
      return waitForLocks && !db.inTransaction ? retryWhileBusy(run, busyTimeoutMs) : run()
    } catch (err) {
      throw translateError(err, operation)
    }
  }

  // Around a write at top level: the lock the process's other connections to this file take too.
  const writeLock = options.writeLock && !opened.readonly ? new WriteLock(options.writeLock) : undefined
  const locked = <R>(run: () => R): R => (writeLock && !db.inTransaction ? writeLock.hold(run) : run())

  // IMMEDIATE takes the write lock up front: a deferred transaction that reads and then writes can
  // fail with SQLITE_BUSY_SNAPSHOT at once, past the busy timeout, when another process wrote first.
  const write = <A extends unknown[], R>(operation: string, fn: (...args: A) => R): ((...args: A) => R) => {
    const transaction = db.transaction(fn)
    return (...args) =>
      locked(() => guard(operation, () => {
        if (opened.readonly) throw new StoreError('ERR_STORE_READONLY', `Cannot ${operation}: the store was opened readonly`)
        const result = transaction.immediate(...args) as R
        checkpointer?.committed()
        return result
      }))
  }
  // Several reads that must agree (stats) share one snapshot.
  const snapshot = <A extends unknown[], R>(operation: string, fn: (...args: A) => R): ((...args: A) => R) => {
    const transaction = db.transaction(fn)
    return (...args) => guard(operation, () => transaction.deferred(...args) as R)
  }
  const read = <A extends unknown[], R>(operation: string, fn: (...args: A) => R): ((...args: A) => R) =>
    (...args) => guard(operation, () => fn(...args))

  // Group commit (writeTogether): the store's own transaction, its writes savepoints of it.
  let together = false
  const begin = db.prepare('BEGIN IMMEDIATE')
  const commit = db.prepare('COMMIT')
  const rollback = db.prepare('ROLLBACK')

  const publishInTransaction = write('publish', (input: PublishInput, cached: boolean) => publish(s, channels, input, cached))
  const publishClaimedInTransaction = write('publish', (input: PublishInput, claim: PublishClaim, report: ReportInput) => {
    // The acknowledgements go after the insert (the acknowledged ids are then below it: no
    // high-water write), unless a maxDepth must not count them.
    // Read once: in the transaction only this connection writes, and its own writes leave it as is.
    const version = s.dataVersion.get() ?? 0
    const plan = channels.publishPlan(input.channel, true, version)
    const acksFirst = plan.config.maxDepth !== null
    if (acksFirst) recordReport(s, report.acks, report.starts, claim.owner)
    // A paused channel starts nothing, however empty it looked to the consumer.
    const unchanged = claim.token === undefined || version === claim.token
    const published = unchanged && !plan.paused ? publishClaimed(s, channels, input, claim, plan) : { ...publish(s, channels, input, true), claimed: undefined }
    // Every id acknowledged here is below the one just stored: no high-water write needed.
    if (!acksFirst) recordReport(s, report.acks, report.starts, claim.owner, published.duplicate ? undefined : published.id)
    return published
  })
  const publishAllInTransaction = write('publish', (inputs: readonly PublishInput[], cached: boolean) => publishAll(s, channels, inputs, cached))
  const releaseDeadOwnersNow = write('release dead owners', (now: number) => releaseDeadOwners(s, channels, now))
  const fireInTransaction = write('fire a schedule', (name: string, expected: number, next: number, now: number, cached: boolean) =>
    fireSchedule(sch, s, channels, name, expected, next, now, cached),
  )

  return {
    declareChannel: write('declare a channel', (name: string, config) => channels.declare(name, config, Date.now())),
    getChannel: read('read a channel', (name: string) => channels.get(name)),
    listChannels: read('list channels', () => channels.list()),
    ensureSubscription: write('create a subscription', (channel: string, subscription: string, options?: SubscriptionOptions) =>
      channels.ensureSubscription(channel, subscription, options?.fanOut ?? true, Date.now()),
    ),

    // At top level the transaction is the store's own: the channel cache may be used.
    publish: (input) => publishInTransaction(input, !db.inTransaction || together),
    publishMany: (inputs) => publishAllInTransaction(inputs, !db.inTransaction || together),
    writeTogether(fn: () => void) {
      if (opened.readonly) throw new StoreError('ERR_STORE_READONLY', 'Cannot store writes together: the store was opened readonly')
      if (db.inTransaction) throw new StoreError('ERR_STORE', 'writeTogether inside an application transaction: its writes would commit or roll back with it')
      locked(() => {
        // Begun by hand, so that only the BEGIN waits out a busy file (retrying fn would store twice).
        guard('store writes together', () => begin.run())
        together = true
        try {
          fn()
          guard('store writes together', () => commit.run())
        } catch (err) {
          if (db.inTransaction) rollback.run()
          throw err
        } finally {
          together = false
        }
      })
      checkpointer?.committed()
    },
    publishClaimed: (input, claim, report) => {
      if (db.inTransaction) throw new StoreError('ERR_STORE', 'publishClaimed inside an application transaction: its acknowledgements would roll back with it')
      return publishClaimedInTransaction(input, claim, report)
    },
    claim: write('claim', (channel: string, subscription: string, owner: string, now: number, leaseMs: number, limit: number, start?: number) =>
      limit > 0 ? claim(s, channels, channel, subscription, owner, now, leaseMs, limit, start) : [],
    ),
    report: write('record deliveries', (owner: string, input: ReportInput) => {
      recordReport(s, input.acks, input.starts, owner)
      return input.renew ? renew(s, input.renew.ids, owner, input.renew.leaseUntil) : []
    }),
    ack: write('ack', (ids: readonly number[], owner: string) => ack(s, ids, owner)),
    ackWithResult: write('store a job result', (id: number, owner: string, ok: boolean, payload: Uint8Array, now: number) =>
      ackWithResult(s, id, owner, ok, payload, now),
    ),
    fail: write('record a failed attempt', (input) => fail(s, input)),
    release: write('release leases', (owner: string, now: number, subscription?: string) => release(s, channels, owner, now, subscription)),
    handBack: write('hand back claims', (ids: readonly number[], owner: string, now: number, attempted: boolean, detail?: string) =>
      handBack(s, channels, ids, owner, now, attempted, detail),
    ),
    renew: write('renew leases', (ids: readonly number[], owner: string, leaseUntil: number) => renew(s, ids, owner, leaseUntil)),
    // Looks first without the write lock: this runs on every open and now and then while idle, and
    // must not fail (busy) or block behind another process's writes when nobody died.
    releaseDeadOwners: (now: number) =>
      read('look for dead owners', () => deadOwners(s).length)() === 0 ? 0 : releaseDeadOwnersNow(now),
    nextVisibleAt: read('read the next visible time', (channel: string, subscription: string, owner?: string, now?: number) =>
      nextVisibleAt(s, channels, channel, subscription, owner ?? '', now ?? Date.now()),
    ),

    deadLetters: read('list dead letters', (channel: string, ids?: readonly number[]) => listDeadLetters(s, channel, ids)),
    replay: write('replay dead letters', (channel: string, ids: readonly number[] | undefined, now: number) =>
      replayDeadLetters(s, channel, ids, now),
    ),
    purgeDeadLetters: write('purge dead letters', (channel: string, ids?: readonly number[]) => purgeDeadLetters(s, channel, ids)),
    // With its state (jobControl.ts): a cancelled outcome reads as such.
    jobResult: read('read a job result', (id: number) => jobOutcomeRow(control, id)),
    pruneJobResults: write('prune job results', (before: number, limit: number) => pruneJobResults(s, before, limit)),

    messagesAfter: read('read messages', (afterId: number, channel: string | undefined, limit: number) =>
      messagesAfter(s, afterId, channel, limit),
    ),
    deadLettersAfter: read('list dead letters', (afterId: number, channel: string | undefined, limit: number) =>
      deadLettersAfter(s, afterId, channel, limit),
    ),
    lastMessageId: read('read the last message id', () => lastMessageId(s)),

    job: read('read a job', (id: number, now: number) => jobs.job(id, now)),
    jobs: snapshot('list jobs', (channel: string, query: JobsQuery, now: number) => jobs.jobs(channel, query, now)),
    setPaused: write('pause a channel', (channel: string, paused: boolean) => channels.setPaused(channel, paused)),
    isPaused: read('read whether a channel is paused', (channel: string) => channels.isPaused(channel)),
    // --- Job control (jobControl.ts) ---
    // A job in hand (inHand.ts) is moved into the queue first, where these find it.
    cancel: write('cancel a job', (id: number, now: number) => {
      demoteId(s, id)
      return cancelJob(control, id, now)
    }),
    cancelledAmong: read('read cancelled jobs', (ids: readonly number[]) => cancelledAmong(control, ids)),
    setProgress: write('store progress', (owner: string, updates: ReadonlyArray<{ id: number; payload: Uint8Array }>) => {
      demoteIds(s, updates.map((update) => update.id), owner)
      return setProgress(control, owner, updates)
    }),

    stats: snapshot('read stats', (now?: number) => collectStats(s, now ?? Date.now())),
    // Another connection's commit changes data_version; our own do not.
    changeToken: read('read the data version', () => s.dataVersion.get() ?? 0),
    // Our writes are savepoints of any transaction open on the handle: only the application's can be.
    mayWrite: read('check for a transaction', () => !db.inTransaction),
    // Only when a transaction is open does this look at the stack (the outbox; never our own file).
    // Inside writeTogether the transaction is the store's own: a publish joins it.
    openTransaction: () => (!db.inTransaction ? 'none' : together || insideTransactionFunction() ? 'inside' : 'outside'),

    // Schedules (schedules.ts). A fire publishes, so at top level it may use the channel cache as publish does.
    upsertSchedule: write('store a schedule', (row: ScheduleInput) => upsertSchedule(sch, channels, row)),
    listSchedules: read('list schedules', () => listSchedules(sch)),
    deleteSchedule: write('delete a schedule', (name: string) => deleteSchedule(sch, name)),
    fireSchedule: (name, expected, next, now) => fireInTransaction(name, expected, next, now, !db.inTransaction),

    // --- Board: prepared on first use (src/board/ only) ---
    boardReads: () => (boardReads ??= prepareBoardReads(db, (fn) => snapshot('read the board', fn)())),
    noteCommits(count) {
      for (let i = 0; i < count; i++) checkpointer?.committed()
    },
    close() {
      if (closed) return
      closed = true
      checkpointer?.close()
      if (!opened.owned || !db.open) return
      try {
        // SQLite's advice for a closing connection: refresh the planner's statistics if useful.
        // Best effort: a busy file must not stop the close.
        if (!opened.readonly) db.pragma('optimize')
      } catch {
        // ignored: optimize only tunes query plans
      }
      try {
        db.close()
      } catch (err) {
        throw translateError(err, `close ${label}`)
      }
    },
  }
}
