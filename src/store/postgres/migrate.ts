// Applies the numbered migrations/postgres/NNN_name.sql files to a store's schema, in order, in one
// transaction under a transaction-level advisory lock (nodes starting together queue on it, and
// each re-reads the version inside it, so only the first one migrates), and refuses a schema from
// a newer durable-ipc without touching it.

import { StoreError } from '../../errors.js'
import { loadMigrationFiles } from '../migrationFiles.js'
import type { Migration } from '../migrationFiles.js'
import { first, run } from './program.js'
import type { Program } from './program.js'

export type { Migration } from '../migrationFiles.js'

// Three levels below the package root as src/store/postgres/ (vitest) and dist/store/postgres/.
const migrationsDir = new URL('../../../migrations/postgres/', import.meta.url)

/**
 * The PostgreSQL migrations shipped with this version, by version; read once, then cached.
 *
 * @example
 * loadPostgresMigrations().at(-1)?.version // 1
 */
export function loadPostgresMigrations(): readonly Migration[] {
  return loadMigrationFiles(migrationsDir)
}

/** Quotes an identifier for SQL text (the schema name). */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

/**
 * The schema version of the store's schema (search_path): 0 when it has no durable-ipc tables.
 *
 * @example
 * const version = yield* readSchemaVersion()
 */
export function* readSchemaVersion(): Program<number> {
  const table = yield* first<{ exists: string | null }>("SELECT to_regclass('durable_ipc_migrations')::text AS exists")
  if (table?.exists === null || table === undefined) return 0
  const row = yield* first<{ version: number | null }>('SELECT max(version) AS version FROM durable_ipc_migrations')
  return row?.version ?? 0
}

/** Throws ERR_STORE_NEWER_SCHEMA (as SQLite's store does) when `version` is beyond what this durable-ipc knows. */
export function assertNotNewer(version: number, label: string): void {
  const latest = loadPostgresMigrations().length
  if (version > latest) {
    throw new StoreError(
      'ERR_STORE_NEWER_SCHEMA',
      `Database ${label} has durable-ipc schema version ${version}, newer than ${latest}, the highest this version of durable-ipc knows; upgrade durable-ipc to open it (the schema was not changed)`,
    )
  }
}

/**
 * For a readonly open: the schema must be there and current, since a reader migrates nothing.
 *
 * @example
 * assertCurrent(version, "schema 'app'")
 */
export function assertCurrent(version: number, label: string): void {
  assertNotNewer(version, label)
  const latest = loadPostgresMigrations().length
  if (version === 0) throw new StoreError('ERR_STORE_NO_SCHEMA', `Database ${label} has no durable-ipc schema (it was never opened by a durable-ipc broker); a readonly open does not create one`)
  if (version < latest) throw new StoreError('ERR_STORE_OLD_SCHEMA', `Database ${label} has durable-ipc schema version ${version}, older than ${latest}; open it once read-write to upgrade it`)
}

/**
 * The migration transaction (run it as a `write`): takes the advisory lock of `schema`, creates
 * the schema if need be, re-reads the version and applies what is missing.
 *
 * @example
 * runSync(exec, 'write', notice, () => migrate('app', "schema 'app'")) // { from: 0, to: 1 }
 */
export function* migrate(schema: string, label: string): Program<{ from: number; to: number }> {
  const migrations = loadPostgresMigrations()
  // Database-wide, keyed by the schema: two nodes migrating one schema take turns.
  // No statement or lock deadline of the session applies (the caller's own deadline does).
  yield* run('SET LOCAL statement_timeout = 0')
  yield* run('SET LOCAL lock_timeout = 0')
  yield* run('SELECT pg_advisory_xact_lock(hashtext($1))', [`durable_ipc migrate ${schema}`])
  yield* run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`)
  yield* run(`SET LOCAL search_path TO ${quoteIdentifier(schema)}`)
  const from = yield* readSchemaVersion()
  assertNotNewer(from, label)
  for (const m of migrations) {
    if (m.version <= from) continue
    yield* run(m.sql)
    yield* run('INSERT INTO durable_ipc_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()])
  }
  return { from, to: migrations.length }
}
