// Gets the store a ready database handle: opens the file (or adopts the application's handle),
// checks the schema version before anything writes to the file, applies the pragmas, migrates.

import Database from 'better-sqlite3'
import { InvalidArgumentError, StoreError } from '../../errors.js'
import { directoryIsReadOnly, fileReadOnlyReason, immutableUri, isNotAFilePath } from './fileAccess.js'
import { assertNotNewer, latestSchemaVersion, migrate, readSchemaVersion } from './migrate.js'
import { applyPragmas, checkBusyTimeout } from './pragmas.js'
import { translateError, translateOpenError } from './sqliteErrors.js'

/** How to open a SQLite store (openSqliteStore): options of this backend, not of the Store contract. */
export interface StoreOpenOptions {
  /** A file path or ':memory:'. Ignored when `database` is given. */
  path?: string
  /** An already open better-sqlite3 Database owned by the application (the outbox). */
  database?: unknown
  /** 'normal' (default) survives a process crash; 'full' also a power loss. */
  synchronous?: 'normal' | 'full'
  busyTimeoutMs?: number
  /** Open for reading only: never creates, migrates or alters the file (the CLI's read commands). */
  readonly?: boolean
  /**
   * false: no checkpoint thread of its own (a worker renderer's connection, whose commits the
   * broker's store is told of with noteCommits). Default true.
   */
  backgroundCheckpoints?: boolean
  /** A lock word (WriteLock.shared()) the process's connections to this file take around writes. */
  writeLock?: SharedArrayBuffer
}

/** A handle ready for the store's statements. */
export interface OpenedDatabase {
  db: Database.Database
  /** We opened it, so we close it; false for the application's own handle. */
  owned: boolean
  readonly: boolean
  /** How error messages name the database, e.g. `'app.db'`. */
  label: string
}

function isDatabaseHandle(value: unknown): value is Database.Database {
  if (typeof value !== 'object' || value === null) return false
  const db = value as Record<string, unknown>
  return typeof db.prepare === 'function' && typeof db.transaction === 'function' && typeof db.pragma === 'function' && typeof db.open === 'boolean'
}

/**
 * Opens (or adopts) the database described by `options` and readies its schema. Nothing is written
 * to a file from a newer durable-ipc, to a non-database, or in readonly mode.
 *
 * @example
 * const { db, owned } = openDatabase({ path: 'app.db' })
 */
export function openDatabase(options: StoreOpenOptions): OpenedDatabase {
  const readonly = options.readonly === true
  const busyTimeoutMs = checkBusyTimeout(options.busyTimeoutMs)
  if (options.synchronous !== undefined && options.synchronous !== 'normal' && options.synchronous !== 'full') {
    throw new InvalidArgumentError(`Expected synchronous to be 'normal' or 'full', but found ${String(options.synchronous)}`)
  }

  let opened: OpenedDatabase
  if (options.database !== undefined) {
    if (!isDatabaseHandle(options.database)) {
      throw new InvalidArgumentError('Expected database to be an open better-sqlite3 Database')
    }
    if (!options.database.open) throw new StoreError('ERR_STORE_CLOSED', 'The database handed to the store is closed')
    opened = { db: options.database, owned: false, readonly: readonly || options.database.readonly, label: `'${options.database.name}'` }
  } else {
    const path = options.path ?? ':memory:'
    if (readonly && (path === ':memory:' || path.trim() === '')) {
      throw new InvalidArgumentError('An in-memory database cannot be opened readonly')
    }
    const label = `'${path}'`
    const onDisk = !isNotAFilePath(path)
    // SQLite would open a file it may not write readonly, silently, and fail at the first send.
    const unwritable = !readonly && onDisk ? fileReadOnlyReason(path) : undefined
    if (unwritable !== undefined) throw new StoreError('ERR_STORE_READONLY', `Cannot open ${label} for writing: ${unwritable}`)
    try {
      // fileMustExist in readonly mode: a read command on a mistyped path must not create a file.
      const db = new Database(path, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs })
      opened = { db, owned: true, readonly, label }
    } catch (err) {
      const operation = `open ${label}${readonly ? ' (readonly: the file must exist)' : ''}`
      throw onDisk && !readonly ? translateOpenError(err, operation, path) : translateError(err, operation)
    }
  }

  try {
    prepareSchema(opened, options)
  } catch (err) {
    if (opened.owned) opened.db.close()
    const path = options.path ?? ':memory:'
    if (!opened.owned || isNotAFilePath(path)) throw translateError(err, `open ${opened.label}`)
    if (opened.readonly && cannotShareMemory(err, path)) return openImmutable(path, opened.label, busyTimeoutMs, options, err)
    throw translateOpenError(err, `open ${opened.label}`, path)
  }
  return opened
}

// A WAL file is read through its -shm file, created beside it by the first connection: in a
// directory that cannot be written (a read-only mount) a readonly open of a cleanly closed file
// fails with "unable to open database file".
function cannotShareMemory(err: unknown, path: string): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('SQLITE_CANTOPEN') && directoryIsReadOnly(path)
}

// Nobody can write in that directory either, so the file cannot change while it is read: SQLite's
// immutable mode reads it with no -shm file and no locks.
function openImmutable(path: string, label: string, busyTimeoutMs: number, options: StoreOpenOptions, first: unknown): OpenedDatabase {
  let db: Database.Database | undefined
  try {
    db = new Database(immutableUri(path), { readonly: true, fileMustExist: true, timeout: busyTimeoutMs })
    const opened: OpenedDatabase = { db, owned: true, readonly: true, label }
    prepareSchema(opened, options)
    return opened
  } catch (err) {
    db?.close()
    const code = (err as { code?: unknown } | null)?.code
    if (typeof code === 'string' && code.startsWith('SQLITE_CANTOPEN')) {
      // URI filenames are off: SQLITE_USE_URI=1 was not in the environment when better-sqlite3 loaded.
      throw new StoreError(
        'ERR_STORE_READONLY',
        `Cannot open ${label} readonly: its directory cannot be written, so SQLite cannot create the -shm file it reads a WAL database with; reading it as immutable needs URI filenames (SQLITE_USE_URI=1 in the environment when better-sqlite3 loads; the durable-ipc command-line tool sets it)`,
        { cause: first },
      )
    }
    throw translateError(err, `open ${label} (as immutable: its directory cannot be written)`)
  }
}

function prepareSchema(opened: OpenedDatabase, options: StoreOpenOptions): void {
  const { db, label } = opened
  // Read first: on a non-database this throws NOTADB before anything has written to the file.
  const version = readSchemaVersion(db)
  assertNotNewer(version, label)
  applyPragmas(db, { owned: opened.owned, readonly: opened.readonly, synchronous: options.synchronous, busyTimeoutMs: options.busyTimeoutMs })
  if (opened.readonly) {
    const latest = latestSchemaVersion()
    if (version === 0) {
      throw new StoreError('ERR_STORE_NO_SCHEMA', `Database ${label} has no durable-ipc schema (it was never opened by a durable-ipc broker); a readonly open does not create one`)
    }
    if (version < latest) {
      throw new StoreError('ERR_STORE_OLD_SCHEMA', `Database ${label} has durable-ipc schema version ${version}, older than ${latest}; open it once read-write to upgrade it`)
    }
    return
  }
  if (version < latestSchemaVersion() && db.inTransaction) {
    // Our tables would vanish if the application rolled its transaction back.
    throw new StoreError('ERR_STORE', `Cannot create the durable-ipc schema in ${label} inside an open transaction; open the store outside the application's transaction`)
  }
  migrate(db, label)
}
