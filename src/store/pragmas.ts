// The connection settings of the store, all in one place: what each pragma buys and what it costs.

import type Database from 'better-sqlite3'
import { InvalidArgumentError } from '../errors.js'

export interface PragmaOptions {
  /** We opened the handle; false for an application's handle (the outbox), which we barely touch. */
  owned: boolean
  readonly: boolean
  synchronous: 'normal' | 'full' | undefined
  busyTimeoutMs: number | undefined
}

export const defaultBusyTimeoutMs = 5000

/**
 * Checks a busyTimeoutMs option; returns it, or the default when it is undefined.
 *
 * @example
 * checkBusyTimeout(undefined) // 5000
 */
export function checkBusyTimeout(ms: number | undefined): number {
  if (ms === undefined) return defaultBusyTimeoutMs
  if (!Number.isInteger(ms) || ms < 0 || ms > 0x7fffffff) {
    throw new InvalidArgumentError(`Expected busyTimeoutMs to be a non-negative integer, but found ${String(ms)}`)
  }
  return ms
}

/**
 * Applies the store's pragmas. Call it after the schema version check: `journal_mode=WAL` writes
 * the file header, and a file from a newer version or a non-database must stay untouched.
 *
 * On an application's handle only what the options ask for explicitly is set: the connection,
 * its journal mode and its foreign key checks belong to the application.
 *
 * @example
 * applyPragmas(db, { owned: true, readonly: false, synchronous: 'normal', busyTimeoutMs: undefined })
 */
export function applyPragmas(db: Database.Database, options: PragmaOptions): void {
  // Wait this long for another connection's write lock instead of failing with SQLITE_BUSY at once:
  // processes sharing a file take turns, and every store transaction is short.
  if (options.owned || options.busyTimeoutMs !== undefined) {
    db.pragma(`busy_timeout = ${checkBusyTimeout(options.busyTimeoutMs)}`)
  }
  // The rest write to the file or only matter to a writer.
  if (options.readonly) return

  // WAL: readers never block the writer and a commit is one append, which is what makes one
  // transaction per publish affordable. Persistent in the file; in-memory databases cannot use it.
  if (options.owned && !db.memory) db.pragma('journal_mode = WAL')

  // NORMAL (with WAL): a commit survives a process crash but may be lost on power loss, and saves
  // an fsync per commit. FULL: also survives power loss, at an fsync per commit.
  if (options.owned || options.synchronous !== undefined) {
    db.pragma(options.synchronous === 'full' ? 'synchronous = FULL' : 'synchronous = NORMAL')
  }

  // The schema declares no foreign keys (an application's handle may have them off), but a future
  // migration that adds one gets it enforced on our own connections.
  if (options.owned) db.pragma('foreign_keys = ON')
}
