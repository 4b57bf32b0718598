// Translates better-sqlite3 failures into StoreError, so that nothing above the store ever sees a
// raw SqliteError; durable-ipc's own typed errors pass through untouched.

import { DurableIpcError, StoreError } from '../../errors.js'
import { readOnlyReason } from './fileAccess.js'

interface Translation {
  /** SQLite's primary result code; extended codes (SQLITE_BUSY_SNAPSHOT, SQLITE_IOERR_WRITE) match too. */
  sqlite: string
  code: string
  what: string
}

const translations: readonly Translation[] = [
  { sqlite: 'SQLITE_FULL', code: 'ERR_STORE_FULL', what: 'the database or disk is full' },
  { sqlite: 'SQLITE_BUSY', code: 'ERR_STORE_BUSY', what: 'the database is locked by another connection (still busy after busyTimeoutMs)' },
  { sqlite: 'SQLITE_LOCKED', code: 'ERR_STORE_BUSY', what: 'a table is locked by another statement of the same connection' },
  { sqlite: 'SQLITE_READONLY', code: 'ERR_STORE_READONLY', what: 'the database is read-only' },
  { sqlite: 'SQLITE_NOTADB', code: 'ERR_STORE_NOT_A_DATABASE', what: 'the file is not a SQLite database' },
  { sqlite: 'SQLITE_IOERR', code: 'ERR_STORE_IO', what: 'a disk I/O error occurred' },
  { sqlite: 'SQLITE_CANTOPEN', code: 'ERR_STORE_IO', what: 'the database file cannot be opened' },
  { sqlite: 'SQLITE_CORRUPT', code: 'ERR_STORE', what: 'the database file is corrupt' },
]

function sqliteCode(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined
}

/**
 * Turns anything thrown while running SQL into a typed error. `operation` names what was being
 * done, for the message (e.g. `publish`, `open 'app.db'`).
 *
 * @example
 * try { stmt.run(params) } catch (err) { throw translateError(err, 'publish') }
 */
export function translateError(err: unknown, operation: string): Error {
  if (err instanceof DurableIpcError) return err as Error
  const code = sqliteCode(err)
  const detail = err instanceof Error ? err.message : String(err)
  if (code !== undefined) {
    const match = translations.find((t) => code === t.sqlite || code.startsWith(`${t.sqlite}_`))
    const what = match?.what ?? 'SQLite failed'
    return new StoreError(match?.code ?? 'ERR_STORE', `Cannot ${operation}: ${what} (${code}: ${detail})`, { cause: err })
  }
  // better-sqlite3 checks these two itself and throws a plain TypeError.
  if (err instanceof TypeError && /database connection is not open/i.test(detail)) {
    return new StoreError('ERR_STORE_CLOSED', `Cannot ${operation}: the database connection is closed`, { cause: err })
  }
  if (err instanceof TypeError && /directory does not exist/i.test(detail)) {
    return new StoreError('ERR_STORE_IO', `Cannot ${operation}: the directory does not exist`, { cause: err })
  }
  return new StoreError('ERR_STORE', `Cannot ${operation}: ${detail}`, { cause: err })
}

/**
 * translateError for a failure while opening the file at `path`: when the file or its directory
 * cannot be written (SQLite says only "unable to open database file" or "attempt to write a
 * readonly database"), ERR_STORE_READONLY saying which.
 *
 * @example
 * catch (err) { throw translateOpenError(err, "open 'app.db'", 'app.db') }
 */
export function translateOpenError(err: unknown, operation: string, path: string): Error {
  if (err instanceof DurableIpcError) return err as Error
  const code = sqliteCode(err)
  if (code !== undefined && /^SQLITE_(CANTOPEN|READONLY|IOERR)/.test(code)) {
    const reason = readOnlyReason(path)
    if (reason !== undefined) {
      return new StoreError('ERR_STORE_READONLY', `Cannot ${operation}: ${reason} (${code}: ${(err as Error).message})`, { cause: err })
    }
  }
  return translateError(err, operation)
}
