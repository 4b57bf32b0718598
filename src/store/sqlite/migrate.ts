// Applies the numbered migrations/NNN_name.sql files to a database, in order, in one transaction,
// and refuses a database from a newer durable-ipc rather than touching it.

import type Database from 'better-sqlite3'
import { StoreError } from '../../errors.js'
import { loadMigrationFiles } from '../migrationFiles.js'
import type { Migration } from '../migrationFiles.js'

export type { Migration } from '../migrationFiles.js'

// Three levels below the package root both as src/store/sqlite/migrate.ts (vitest) and as
// dist/store/sqlite/migrate.js (the build), and `migrations` ships in the package's "files".
const migrationsDir = new URL('../../../migrations/sqlite/', import.meta.url)

/**
 * The migrations shipped with this version, by version; read from disk once, then cached.
 *
 * @example
 * loadMigrations().at(-1)?.version // 1
 */
export function loadMigrations(): readonly Migration[] {
  return loadMigrationFiles(migrationsDir)
}

/**
 * The highest schema version this durable-ipc knows.
 *
 * @example
 * latestSchemaVersion() // 1
 */
export function latestSchemaVersion(): number {
  return loadMigrations().length
}

/**
 * The schema version of a database: 0 when it has no durable-ipc schema. Only reads, so it is the
 * first thing done with a file; on a non-database it throws SQLite's NOTADB.
 *
 * @example
 * readSchemaVersion(db) // 0 for a fresh file
 */
export function readSchemaVersion(db: Database.Database): number {
  const exists = db
    .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'durable_ipc_migrations'")
    .pluck()
    .get()
  if (exists === undefined) return 0
  const version = db.prepare('SELECT MAX(version) FROM durable_ipc_migrations').pluck().safeIntegers(false).get()
  return typeof version === 'number' ? version : 0
}

/**
 * Throws ERR_STORE_NEWER_SCHEMA when `version` is beyond what this durable-ipc knows.
 *
 * @example
 * assertNotNewer(readSchemaVersion(db), 'app.db')
 */
export function assertNotNewer(version: number, label: string): void {
  const latest = latestSchemaVersion()
  if (version > latest) {
    throw new StoreError(
      'ERR_STORE_NEWER_SCHEMA',
      `Database ${label} has durable-ipc schema version ${version}, newer than ${latest}, the highest this version of durable-ipc knows; upgrade durable-ipc to open it (the file was not changed)`,
    )
  }
}

/**
 * Brings the schema up to date: applies every migration above the database's version in one
 * IMMEDIATE transaction (a savepoint inside an application's transaction), re-reading the version
 * inside it so that two processes opening a fresh file at once do not both migrate.
 *
 * @example
 * migrate(db, "'app.db'") // { from: 0, to: 1 }
 */
export function migrate(db: Database.Database, label: string): { from: number; to: number } {
  const migrations = loadMigrations()
  const before = readSchemaVersion(db)
  assertNotNewer(before, label)
  if (before === migrations.length) return { from: before, to: before }
  const apply = db.transaction(() => {
    const from = readSchemaVersion(db)
    assertNotNewer(from, label)
    for (const m of migrations) {
      if (m.version <= from) continue
      db.exec(m.sql)
      // Prepared after the first migration, which creates the table.
      db.prepare('INSERT INTO durable_ipc_migrations (version, name, applied_at) VALUES (@version, @name, @now)')
        .run({ version: m.version, name: m.name, now: Date.now() })
    }
    return { from, to: migrations.length }
  })
  return apply.immediate()
}
