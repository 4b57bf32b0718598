// The options of createBroker: what each one means, and the one pass that checks them all before
// anything opens (a refused call leaves no file behind).
import type { InspectionEvent } from 'xstate'
import { InvalidArgumentError } from '../errors.js'
import { assertKnownKeys, optionKeys } from './optionKeys.js'
import type { OptionHint } from './optionKeys.js'
import { assertOptionalMs } from '../ipc/validation.js'
import type { DirectFile } from '../ipc/worker/protocol.js'
import { resolve } from 'node:path'
import { WriteLock } from '../store/index.js'

export interface CreateBrokerOptions {
  /** Rejects an invoke that has not settled after this many ms. Default: never, as Electron. */
  invokeTimeoutMs?: number
  /** How long a worker renderer's sendSync waits for event.returnValue before ERR_IPC_SYNC_TIMEOUT. Default 30000. */
  syncTimeoutMs?: number
  /** The SQLite file of durable channels. Omitted (and no `database`): an in-memory database. */
  path?: string
  /**
   * The application's own open better-sqlite3 Database: durable sends made inside its
   * `database.transaction(fn)` commit or roll back with it (the outbox). Sends never join a
   * transaction they were not made in: a worker's waits until it ended, an in-process one made while
   * the application holds a transaction open by hand throws TransactionOpenError (unless
   * `enqueue(..., { joinTransaction: true })`). The broker never closes it.
   */
  database?: unknown
  /**
   * Scale-out: durable channels (messages, dead letters, outcomes, schedules, pause, rate limits)
   * live in this PostgreSQL schema, shared by every broker on it; needs `path` (or `database`) on a
   * file, this node's outbox: a send is stored there before it returns, also while PostgreSQL is
   * down, and forwarded exactly once. PostgreSQL must be reachable when the broker opens. Needs
   * the `pg` package. `timeoutMs` (default 10000) bounds every call; `poolSize` (default 4) is the
   * consumer side's pool.
   */
  postgres?: { connectionString: string; schema?: string; timeoutMs?: number; poolSize?: number }
  /** 'normal' (default): survives a process crash. 'full': also a power loss, slower. */
  synchronous?: 'normal' | 'full'
  /** How long a write waits for another process's lock before failing with ERR_STORE_BUSY. Default 5000. */
  busyTimeoutMs?: number
  /** How long close() waits for deliveries in flight. Default 10000. */
  closeTimeoutMs?: number
  /**
   * How long a stored job result (a durable invoke's outcome, `broker.jobResult(id)`) is kept after
   * it was stored, in ms. Default 7 days; `Infinity` keeps them all. Older ones are deleted at open
   * and once a minute.
   */
  jobResultRetentionMs?: number
  /** Passed to every actor the broker starts (XState's inspection API). */
  inspect?: ((event: InspectionEvent) => void) | undefined
}

export const BROKER_OPTION_KEYS = optionKeys<CreateBrokerOptions>()([
  'path',
  'database',
  'postgres',
  'synchronous',
  'busyTimeoutMs',
  'closeTimeoutMs',
  'jobResultRetentionMs',
  'inspect',
  'invokeTimeoutMs',
  'syncTimeoutMs',
])

const POSTGRES_OPTION_KEYS = ['connectionString', 'schema', 'timeoutMs', 'poolSize'] as const

// A file name given as a handle (or a handle under a file's name) is the same mistake.
const fileOrHandle = (value: unknown): string => (typeof value === 'string' ? 'path' : 'database')

// What better-sqlite3, Sequelize, Keyv and other SQLite wrappers call these options.
const BROKER_HINTS: Record<string, OptionHint> = {
  file: 'path',
  filename: 'path',
  filePath: 'path',
  dbPath: 'path',
  databasePath: 'path',
  location: 'path',
  storage: 'path',
  db: fileOrHandle,
  sqlite: fileOrHandle,
  connection: fileOrHandle,
  sync: 'synchronous',
  timeout: "did you mean 'busyTimeoutMs' (waiting for another process's lock), 'invokeTimeoutMs', 'syncTimeoutMs' or 'closeTimeoutMs'?",
  retention: 'jobResultRetentionMs',
  jobRetentionMs: 'jobResultRetentionMs',
  resultRetentionMs: 'jobResultRetentionMs',
  memory: 'omit path (and database) for an in-memory database',
  inMemory: 'omit path (and database) for an in-memory database',
  readonly: 'a broker opens its database read-write; the command line reads one (npx durable-ipc stats <db>)',
  connectionString: "pass it as postgres: { connectionString }",
  pg: 'postgres',
}

/**
 * Checks createBroker's options, every one before any is used: unknown keys, types and ranges.
 *
 * @example
 * assertBrokerOptions({ file: 'app.db' }) // InvalidArgumentError: Unknown option 'file' in createBroker options: did you mean 'path'?
 */
export function assertBrokerOptions(options: unknown): asserts options is CreateBrokerOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('Expected options to be an object')
  assertKnownKeys(options, BROKER_OPTION_KEYS, 'createBroker options', BROKER_HINTS)
  const o = options as CreateBrokerOptions
  assertOptionalMs(o.invokeTimeoutMs, 'invokeTimeoutMs')
  assertOptionalMs(o.busyTimeoutMs, 'busyTimeoutMs')
  assertOptionalMs(o.closeTimeoutMs, 'closeTimeoutMs')
  assertOptionalMs(o.syncTimeoutMs, 'syncTimeoutMs')
  checkRetention(o.jobResultRetentionMs)
  if (o.path !== undefined && (typeof o.path !== 'string' || o.path.length === 0)) {
    throw new InvalidArgumentError('Expected path to be a non-empty string')
  }
  if (o.postgres !== undefined) {
    if (typeof o.postgres !== 'object' || o.postgres === null) throw new InvalidArgumentError('Expected postgres to be an object: { connectionString, schema? }')
    assertKnownKeys(o.postgres, POSTGRES_OPTION_KEYS, 'postgres options', {})
    if (o.path === undefined && o.database === undefined) {
      throw new InvalidArgumentError('A broker with postgres needs path (or database): the file its sends are stored in until forwarded')
    }
  }
  if (o.synchronous !== undefined && o.synchronous !== 'normal' && o.synchronous !== 'full') {
    throw new InvalidArgumentError("Expected synchronous to be 'normal' or 'full'")
  }
}

/** Seven days. */
export const defaultJobResultRetentionMs = 7 * 24 * 60 * 60 * 1000

/**
 * Checks the `jobResultRetentionMs` option: a non-negative integer of ms, or Infinity (keep all).
 *
 * @example
 * checkRetention(undefined) // 604800000
 */
export function checkRetention(ms: unknown): number {
  if (ms === undefined) return defaultJobResultRetentionMs
  if (ms === Infinity || (typeof ms === 'number' && Number.isSafeInteger(ms) && ms >= 0)) return ms
  throw new InvalidArgumentError(`Expected jobResultRetentionMs to be a non-negative integer or Infinity, but found ${String(ms)}`)
}

/** @deprecated The same options: use CreateBrokerOptions. */
export type BrokerOptions = CreateBrokerOptions

/**
 * The broker's own SQLite file, as a worker renderer opens it to store its durable sends itself
 * (src/ipc/worker/directSends.ts); undefined when there is none of its own: in memory, the
 * application's handle (its transactions decide when a send may be stored), or PostgreSQL (the
 * node's file is an outbox its forwarder drains).
 */
export function directFileOf(options: CreateBrokerOptions): DirectFile | undefined {
  const { path } = options
  if (typeof path !== 'string' || options.database !== undefined || options.postgres !== undefined) return undefined
  if (path === '' || path === ':memory:' || path.startsWith('file:')) return undefined
  const file: DirectFile = { path: resolve(path), writeLock: WriteLock.shared() }
  if (options.synchronous !== undefined) file.synchronous = options.synchronous
  if (options.busyTimeoutMs !== undefined) file.busyTimeoutMs = options.busyTimeoutMs
  return file
}
