// The PostgreSQL Store: the operations (programs, program.ts) wired into the Store contract. What
// the contract keeps synchronous runs through the bridge's worker and its own connection, the
// calling thread blocked until it answers (syncBridge.ts); the consumer side runs on a pool and
// answers by promises. Each call is one transaction; each failure a typed error with no secret in it.

import { randomBytes } from 'node:crypto'
import { StoreError } from '../../errors.js'
import type { Store } from '../contract.js'
import type { JobsQuery, PublishInput, ReportInput, ScheduleInput } from '../types.js'
import { createChannels } from './channels.js'
import { checkOptions, loadPg, notifyChannel, openPool, sessionSetup } from './connection.js'
import type { PostgresStoreOptions } from './connection.js'
import { listDeadLetters, pruneJobResults, purgeDeadLetters, replayDeadLetters } from './deadLetters.js'
import { cancelJob, cancelledAmong, jobOutcomeRow, setProgress } from './jobControl.js'
import { job, jobs } from './jobReads.js'
import { ack, ackWithResult, claim, deadOwners, fail, handBack, nextVisibleAt, release, releaseOwners, renew, report } from './leases.js'
import { assertCurrent, assertNotNewer, loadPostgresMigrations, migrate, readSchemaVersion } from './migrate.js'
import { collectStats, deadLettersAfter, lastMessageId, messagesAfter } from './observe.js'
import { CHANGES, pgWorkerSource } from './pgWorker.js'
import type { PgBatch, PgWorkerData } from './pgWorker.js'
import { secretScrubber, translatePgError } from './pgErrors.js'
import type { Program, Result, Sql } from './program.js'
import { publish, publishMany } from './publish.js'
import { forwardBatch, pruneOrigins, registerNode, resolveOrigin } from './forward.js'
import type { Forwarded, ForwardRow, PruneStep } from './forward.js'
import { runAsync, runSync } from './runners.js'
import type { Notice, RunKind } from './runners.js'
import { deleteSchedule, fireSchedule, listSchedules, upsertSchedule } from './schedules.js'
import { SyncBridge } from './syncBridge.js'
import { watchReachability } from './reachability.js'

/** How long opening waits for the migrations (one transaction) to be applied. */
const MIGRATION_TIMEOUT_MS = 10 * 60_000

/**
 * Opens a PostgreSQL store on `connectionString`, in `schema` (default 'public'), creating and
 * migrating the schema unless `readonly`. Synchronous, as openSqliteStore is: it returns once the
 * schema is ready and the change notifications are listened to. Throws StoreError
 * (`ERR_STORE_NEWER_SCHEMA`, `ERR_STORE_UNAVAILABLE`, `ERR_STORE_TIMEOUT`, `ERR_STORE_NO_DRIVER`,
 * ...), never quoting the connection string or its password.
 *
 * @example
 * const store = openPostgresStore({ connectionString: 'postgres://app:secret@db:5432/app', schema: 'jobs' })
 * store.declareChannel('jobs', config)
 * store.publish({ channel: 'jobs', payload, kind: 'message', visibleAt: Date.now(), now: Date.now() })
 * const claimed = await store.claim('jobs', 'main', newOwnerId(), Date.now(), 30_000, 10)
 * store.close()
 */
export function openPostgresStore(options: PostgresStoreOptions): Store {
  return openPostgresParts(options).store
}

/**
 * What a forwarding node uses of a PostgreSQL store (store/forwarding/): its node registration and
 * origin look-ups (synchronous, through the bridge), and the forwarder's batches (on the pool,
 * never the bridge), committed with a notification of their own, so that this process's idle
 * consumers hear of them as they hear of any other process's commits.
 */
export interface PostgresNodeSide {
  /** The node's number (registered if new). */
  registerNode(nodeId: string, now: number): number
  /** The message id here of a send's id, undefined when not forwarded. */
  resolveOrigin(originId: number): number | undefined
  forward(nodeId: string, batch: readonly ForwardRow[], now: number): Promise<Forwarded[]>
  /** A step of the sweep of the node's origin rows (forward.ts, pruneOrigins), on the pool. */
  pruneOrigins(nodeId: string, after: number, below: number, limit: number): Promise<PruneStep>
}

/**
 * Opens a PostgreSQL store, as openPostgresStore does, with its node side for a forwarding broker.
 *
 * @example
 * const { store, node } = openPostgresParts({ connectionString })
 * const number = node.registerNode(nodeId, Date.now())
 */
export function openPostgresParts(options: PostgresStoreOptions): { store: Store; node: PostgresNodeSide } {
  const checked = checkOptions(options)
  const scrub = secretScrubber(checked.connectionString)
  const label = `schema '${checked.schema}'`
  const driver = loadPg()
  const storeId = randomBytes(8).toString('hex')
  const notice: Notice = { channel: notifyChannel(checked.schema), storeId }
  const data: PgWorkerData = {
    driver: driver.path,
    connectionString: checked.connectionString,
    setup: [...sessionSetup(checked), `LISTEN "${notice.channel.replace(/"/g, '""')}"`],
    storeId,
    connectTimeoutMs: checked.timeoutMs,
  }
  const bridge = new SyncBridge({ source: pgWorkerSource, data, sharedInts: 1, timeoutMs: checked.timeoutMs, label: 'PostgreSQL' })
  const exec = (batch: readonly Sql[], continues: boolean): Result[] => bridge.call({ batch, continues } satisfies PgBatch) as Result[]
  // Migrating may take longer than a call (a later migration may rewrite a large table).
  const execMigration = (batch: readonly Sql[], continues: boolean): Result[] => bridge.call({ batch, continues } satisfies PgBatch, MIGRATION_TIMEOUT_MS) as Result[]
  const channels = createChannels()

  try {
    const version = runSync(exec, 'read', notice, readSchemaVersion)
    if (checked.readonly) assertCurrent(version, label)
    else {
      assertNotNewer(version, label)
      if (version < loadPostgresMigrations().length) runSync(execMigration, 'write', notice, () => migrate(checked.schema, label))
    }
  } catch (err) {
    bridge.close()
    throw translatePgError(err, `open ${label}`, scrub)
  }
  const pool = openPool(driver, checked)
  // While the server is out of reach, calls fail fast and one probe at a time reconnects.
  const reach = watchReachability(() => pool.query('SELECT 1'))
  let closed = false

  const refuse = (operation: string, kind: RunKind): void => {
    if (closed) throw new StoreError('ERR_STORE_CLOSED', `Cannot ${operation}: the store is closed`)
    if (kind === 'write' && checked.readonly) throw new StoreError('ERR_STORE_READONLY', `Cannot ${operation}: the store was opened readonly`)
  }
  const translate = (err: unknown, operation: string): Error => {
    const error = translatePgError(err, operation, scrub)
    reach.failed(err, error)
    return error
  }
  // The synchronous side: through the bridge, the caller blocked until it answers.
  const sync = <A extends unknown[], R>(kind: RunKind, operation: string, make: (...args: A) => Program<R>) =>
    (...args: A): R => {
      refuse(operation, kind)
      reach.check(operation)
      try {
        return runSync(exec, kind, notice, () => make(...args))
      } catch (err) {
        throw translate(err, operation)
      }
    }
  // The consumer side: on the pool, answered by a promise.
  const async = <A extends unknown[], R>(kind: RunKind, operation: string, make: (...args: A) => Program<R>) =>
    async (...args: A): Promise<R> => {
      refuse(operation, kind)
      reach.check(operation)
      try {
        return await runAsync(pool, kind, notice, () => make(...args))
      } catch (err) {
        throw translate(err, operation)
      }
    }

  const findDeadOwners = async('read', 'look for dead owners', deadOwners)
  const releaseDead = async('write', 'release dead owners', (owners: string[], now: number) => releaseOwners(channels, owners, now))

  const forwardNotice: Notice = { channel: notice.channel, storeId: `${storeId}.forward` }
  const node: PostgresNodeSide = {
    registerNode: sync('write', 'register a node', registerNode),
    resolveOrigin: sync('read', 'resolve a job id', resolveOrigin),
    forward: async (nodeId, batch, now) => {
      refuse('forward messages', 'write')
      reach.check('forward messages')
      try {
        return await runAsync(pool, 'write', forwardNotice, () => forwardBatch(channels, nodeId, batch, now))
      } catch (err) {
        throw translate(err, 'forward messages')
      }
    },
    pruneOrigins: async('write', 'prune origin keys', pruneOrigins),
  }

  const store: Store = {
    declareChannel: sync('write', 'declare a channel', (name: string, config) => channels.declare(name, config, Date.now())),
    getChannel: sync('read', 'read a channel', (name: string) => channels.get(name)),
    listChannels: sync('read', 'list channels', () => channels.list()),
    ensureSubscription: sync('write', 'create a subscription', (channel: string, subscription: string, opts?: { fanOut?: boolean }) =>
      channels.ensureSubscription(channel, subscription, opts?.fanOut ?? true, Date.now()),
    ),

    publish: sync('write', 'publish', (input: PublishInput) => publish(channels, input)),
    publishMany: sync('write', 'publish', (inputs: readonly PublishInput[]) => publishMany(channels, inputs)),
    claim: async('write', 'claim', (channel: string, subscription: string, owner: string, now: number, leaseMs: number, limit: number, start?: number) =>
      claim(channels, channel, subscription, owner, now, leaseMs, limit, start),
    ),
    report: async('write', 'record deliveries', (owner: string, input: ReportInput) => report(owner, input)),
    ack: async('write', 'ack', ack),
    ackWithResult: async('write', 'store a job result', ackWithResult),
    fail: async('write', 'record a failed attempt', fail),
    release: async('write', 'release leases', (owner: string, now: number, subscription?: string) => release(channels, owner, now, subscription)),
    handBack: async('write', 'hand back claims', (ids: readonly number[], owner: string, now: number, attempted: boolean, detail?: string) =>
      handBack(channels, ids, owner, now, attempted, detail),
    ),
    renew: async('write', 'renew leases', renew),
    // Looks first without a transaction: this runs on every open and now and then while idle.
    releaseDeadOwners: async (now: number) => {
      const owners = await findDeadOwners()
      return owners.length === 0 || checked.readonly ? 0 : await releaseDead(owners, now)
    },
    nextVisibleAt: async('read', 'read the next visible time', (channel: string, subscription: string, owner?: string, now?: number) =>
      nextVisibleAt(channels, channel, subscription, owner ?? '', now ?? Date.now()),
    ),

    deadLetters: sync('read', 'list dead letters', listDeadLetters),
    replay: sync('write', 'replay dead letters', replayDeadLetters),
    purgeDeadLetters: sync('write', 'purge dead letters', purgeDeadLetters),
    jobResult: sync('read', 'read a job result', jobOutcomeRow),
    pruneJobResults: sync('write', 'prune job results', pruneJobResults),

    messagesAfter: sync('read', 'read messages', messagesAfter),
    deadLettersAfter: sync('read', 'list dead letters', deadLettersAfter),
    lastMessageId: sync('read', 'read the last message id', lastMessageId),

    job: sync('read', 'read a job', job),
    jobs: sync('snapshot', 'list jobs', (channel: string, query: JobsQuery, now: number) => jobs(channel, query, now)),
    setPaused: sync('write', 'pause a channel', (channel: string, paused: boolean) => channels.setPaused(channel, paused)),
    isPaused: sync('read', 'read whether a channel is paused', (channel: string) => channels.isPaused(channel)),
    cancel: sync('write', 'cancel a job', cancelJob),
    cancelledAmong: async('read', 'read cancelled jobs', cancelledAmong),
    setProgress: async('write', 'store progress', setProgress),

    stats: sync('snapshot', 'read stats', (now?: number) => collectStats(now ?? Date.now())),
    // Other stores' commits, counted by the bridge's worker as their notifications arrive.
    changeToken: () => {
      refuse('read the change token', 'read')
      return Atomics.load(bridge.shared, CHANGES)
    },
    // No handle is shared with an application: the store's writes may always run.
    mayWrite: () => {
      refuse('check for a transaction', 'read')
      return true
    },

    upsertSchedule: sync('write', 'store a schedule', (row: ScheduleInput) => upsertSchedule(channels, row)),
    listSchedules: sync('read', 'list schedules', listSchedules),
    deleteSchedule: sync('write', 'delete a schedule', deleteSchedule),
    fireSchedule: sync('write', 'fire a schedule', (name: string, expected: number, next: number, now: number) =>
      fireSchedule(channels, name, expected, next, now),
    ),

    close() {
      if (closed) return
      closed = true
      reach.close()
      bridge.close()
      pool.end().catch(() => {})
    },
  }
  return { store, node }
}
