// The connection settings of the store, all in one place: what each pragma buys and what it costs.

import type Database from 'better-sqlite3'
import { InvalidArgumentError } from '../../errors.js'

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
  if (options.owned && !db.memory) enableWal(db, checkBusyTimeout(options.busyTimeoutMs))

  // NORMAL (with WAL): a commit survives a process crash but may be lost on power loss, and saves
  // an fsync per commit. FULL: also survives power loss, at an fsync per commit.
  if (options.owned || options.synchronous !== undefined) {
    db.pragma(options.synchronous === 'full' ? 'synchronous = FULL' : 'synchronous = NORMAL')
  }

  // Checkpoint (copy the WAL back into the database file, with fsyncs) every 10000 pages instead of
  // SQLite's 1000: a checkpoint costs about the same however many commits it covers, and a publish
  // is one small commit. Measured: ~3-4% more sends per second. The price is a WAL file of up to
  // ~40 MB, kept at that size (it is reused, not regrown) until the last connection closes.
  // journal_size_limit was tried to trim it and cost more than it saved: regrowing the file is
  // slower than writing over it.
  if (options.owned && !db.memory) db.pragma('wal_autocheckpoint = 10000')

  // The schema declares no foreign keys (an application's handle may have them off), but a future
  // migration that adds one gets it enforced on our own connections.
  if (options.owned) db.pragma('foreign_keys = ON')
}

// Switching to WAL needs an exclusive lock, and SQLite answers SQLITE_BUSY at once, without its busy
// handler, when another connection is opening the same fresh file: several processes starting
// together would fail at random. The mode is persistent, so only the first opener switches; the
// others find it set, or retry briefly within the busy timeout.
function enableWal(db: Database.Database, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL')
      return
    } catch (err) {
      const code = (err as { code?: unknown }).code
      const busy = typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
      if (!busy || Date.now() >= deadline) throw err
      Atomics.wait(pause, 0, 0, 5) // a synchronous 5 ms pause: open is synchronous
    }
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4))
