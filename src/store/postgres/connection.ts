// What the PostgreSQL store connects with: its options (checked once), the `pg` module (loaded only
// when a PostgreSQL store is opened, so SQLite users install nothing more), the pool of the
// consumer side, and the settings every connection of the store starts with.

import { createRequire } from 'node:module'
import type pg from 'pg'
import { InvalidArgumentError, StoreError } from '../../errors.js'
import { quoteIdentifier } from './migrate.js'

/** How to open a PostgreSQL store (openPostgresStore). */
export interface PostgresStoreOptions {
  /** A libpq connection string or URL (postgres://user:password@host:port/database). Never shown in errors. */
  connectionString: string
  /** The schema holding the store's tables, created if missing; default 'public'. */
  schema?: string
  /** Open for reading only: never creates or migrates the schema; writes throw ERR_STORE_READONLY. */
  readonly?: boolean
  /** Deadline of every call, in ms (a synchronous one blocks at most this long); default 10000. */
  timeoutMs?: number
  /** Connections of the consumer side's pool; default 4. */
  poolSize?: number
}

/** The options, checked, with defaults. */
export interface CheckedOptions {
  connectionString: string
  schema: string
  readonly: boolean
  timeoutMs: number
  poolSize: number
}

/** Checks the options; the messages never quote the connection string. */
export function checkOptions(options: PostgresStoreOptions): CheckedOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('Expected the PostgreSQL store options to be an object')
  const { connectionString, schema = 'public', readonly = false, timeoutMs = 10_000, poolSize = 4 } = options
  if (typeof connectionString !== 'string' || connectionString.trim() === '') {
    throw new InvalidArgumentError('Expected postgres.connectionString to be a non-empty string')
  }
  if (typeof schema !== 'string' || schema === '' || Buffer.byteLength(schema) > 63 || schema.includes('\u0000')) {
    throw new InvalidArgumentError(`Expected postgres.schema to be a PostgreSQL identifier (1 to 63 bytes), but found ${JSON.stringify(schema)}`)
  }
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) throw new InvalidArgumentError(`Expected timeoutMs to be a positive integer, but found ${String(timeoutMs)}`)
  if (!Number.isSafeInteger(poolSize) || poolSize < 1) throw new InvalidArgumentError(`Expected poolSize to be a positive integer, but found ${String(poolSize)}`)
  return { connectionString, schema, readonly: readonly === true, timeoutMs, poolSize }
}

/** The `pg` module and where it was found (the bridge's worker loads it from there). */
export interface PgDriver {
  pg: typeof pg
  path: string
}

/**
 * Loads `pg`, an optional peer dependency; a StoreError saying how to install it when missing.
 *
 * @example
 * const { pg } = loadPg()
 */
export function loadPg(): PgDriver {
  const require = createRequire(import.meta.url)
  try {
    const path = require.resolve('pg')
    return { pg: require(path) as typeof pg, path }
  } catch (err) {
    throw new StoreError('ERR_STORE_NO_DRIVER', "The PostgreSQL store needs the 'pg' package, which is not installed: npm install pg", { cause: err })
  }
}

/** int8 (ids, counts, epoch ms) as numbers: every value the store keeps is a safe integer. */
export function typeParsers(driver: typeof pg): pg.CustomTypesConfig {
  return { getTypeParser: ((oid: number, format?: string) => (oid === 20 ? Number : driver.types.getTypeParser(oid, format as 'text'))) as pg.CustomTypesConfig['getTypeParser'] }
}

/** The settings each connection of the store starts with: its schema, timeouts and read-only mode. */
function sessionSettings(options: CheckedOptions): Array<[name: string, value: string]> {
  const settings: Array<[string, string]> = [['search_path', quoteIdentifier(options.schema)]]
  // A lock held by another transaction is waited for at most this long, then the call fails busy.
  settings.push(['lock_timeout', String(Math.max(1, Math.floor(options.timeoutMs / 2)))])
  // The server gives up on a statement when the store does (the bridge's deadline, the pool's query_timeout).
  settings.push(['statement_timeout', String(options.timeoutMs)])
  if (options.readonly) settings.push(['default_transaction_read_only', 'on'])
  return settings
}

/** The statements each connection of the store starts with (sessionSettings as SET statements). */
export function sessionSetup(options: CheckedOptions): string[] {
  return sessionSettings(options).map(([name, value]) => `SET ${name} TO ${value}`)
}

/** The name of the store's change notifications: per schema, within PostgreSQL's 63 bytes. */
export function notifyChannel(schema: string): string {
  const name = `durable_ipc.${schema}`
  if (Buffer.byteLength(name) <= 63) return name
  let hash = 0
  for (const char of schema) hash = (Math.imul(hash, 31) + char.codePointAt(0)!) | 0
  return `durable_ipc.${schema.slice(0, 30)}.${(hash >>> 0).toString(16)}`
}

/**
 * The session settings as a connection's startup `options` (`-c name=value` each): a pool's
 * connection has them from its first query. A setup query sent on 'connect' raced the pool's
 * first query on it, which pg then queued (deprecated: pg 9 refuses it). Spaces and backslashes
 * in a value are escaped with a backslash, as the server's option parser wants.
 *
 * @example
 * startupOptions(options) // '-c search_path="jobs" -c lock_timeout=2500 -c statement_timeout=5000'
 */
export function startupOptions(options: CheckedOptions): string {
  return sessionSettings(options)
    .map(([name, value]) => `-c ${name}=${value.replace(/[\s\\]/g, '\\$&')}`)
    .join(' ')
}

/**
 * The consumer side's pool: its connections start in the store's schema; an idle connection's
 * failure is not fatal (the next call gets a fresh one).
 *
 * @example
 * const pool = openPool(driver, options)
 */
export function openPool(driver: PgDriver, options: CheckedOptions): pg.Pool {
  const pool = new driver.pg.Pool({
    connectionString: options.connectionString,
    types: typeParsers(driver.pg),
    max: options.poolSize,
    idleTimeoutMillis: 10_000,
    connectionTimeoutMillis: options.timeoutMs,
    query_timeout: options.timeoutMs,
    application_name: 'durable-ipc',
    allowExitOnIdle: true,
    options: startupOptions(options),
  })
  pool.on('connect', (client) => {
    // A connection lost while it is handed out fails its query; without a listener of its own its
    // 'error' event would also be an uncaught exception (the pool listens only while it is idle).
    client.on('error', () => {})
  })
  pool.on('error', () => {})
  return pool
}
