// Opening a database file to repair it (the command-line tool's replay and purge) while the
// application may be running on it: writes through the Store, grouped in transactions, and
// nothing else changed about the file (no migration, no journal mode, no optimize).

import Database from 'better-sqlite3'
import { retryWhileBusy } from './busyWait.js'
import { StoreError } from '../../errors.js'
import { fileReadOnlyReason } from './fileAccess.js'
import { checkBusyTimeout } from './pragmas.js'
import { translateError, translateOpenError } from './sqliteErrors.js'
import { openSqliteStore } from './sqliteStore.js'
import type { Store } from '../contract.js'

/** An open maintenance session on one file. */
export interface MaintenanceSession {
  readonly store: Store
  /**
   * Runs `fn` in one IMMEDIATE transaction: the store's writes inside it become savepoints of it,
   * so that all of them commit together or none does, however many steps `fn` takes. Waits up to
   * busyTimeoutMs for the application's write lock, trying as the store's own connections do
   * (busyWait.ts), so a busy application does not starve the repair. Keep `fn` short: the
   * application's writes wait while it runs.
   */
  transaction<R>(fn: () => R): R
  close(): void
}

/**
 * Opens an existing durable-ipc file for repairs. Refuses (StoreError) a missing file, a
 * non-database, a file without the durable-ipc schema or with an older or newer one, before
 * anything is written; the file's settings stay the application's.
 *
 * @example
 * const session = openForMaintenance({ path: 'app.db' })
 * try {
 *   session.transaction(() => session.store.purgeDeadLetters('jobs', [12, 13]))
 * } finally {
 *   session.close()
 * }
 */
export function openForMaintenance(options: { path: string; busyTimeoutMs?: number }): MaintenanceSession {
  const { path } = options
  const busyTimeoutMs = checkBusyTimeout(options.busyTimeoutMs)
  // A readonly open checks existence and schema first: a read-write open of a mistyped path would
  // create a file, and one of an old schema would migrate it.
  openSqliteStore({ path, readonly: true }).close()

  let db: Database.Database | undefined
  try {
    // SQLite would open a file it may not write readonly, silently, and fail at the first write.
    const unwritable = fileReadOnlyReason(path)
    if (unwritable !== undefined) throw new StoreError('ERR_STORE_READONLY', `Cannot open '${path}' to repair it: ${unwritable}`)
    db = new Database(path, { fileMustExist: true, timeout: busyTimeoutMs })
    // A first read: in a directory it cannot write, SQLite fails here (it cannot create the -shm file).
    db.pragma('schema_version')
  } catch (err) {
    db?.close()
    throw translateOpenError(err, `open '${path}' to repair it`, path)
  }
  let store: Store
  try {
    // Adopted as an application's handle would be: the store then sets no pragma but the busy
    // timeout, and never closes or optimizes it.
    store = openSqliteStore({ database: db, busyTimeoutMs })
  } catch (err) {
    db.close()
    throw err
  }
  return {
    store,
    transaction<R>(fn: () => R): R {
      const transaction = db.transaction(fn)
      try {
        // SQLite's own handler sleeps up to 100 ms between tries and rarely finds the lock free
        // next to a busy writer; for the BEGIN only, ours does the waiting.
        db.pragma('busy_timeout = 0')
        try {
          return retryWhileBusy(() => transaction.immediate(), busyTimeoutMs)
        } finally {
          db.pragma(`busy_timeout = ${busyTimeoutMs}`)
        }
      } catch (err) {
        throw translateError(err, `write to '${path}'`)
      }
    },
    close() {
      store.close()
      if (db.open) db.close()
    },
  }
}
