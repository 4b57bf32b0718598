// Whether a database file and its directory can be written, asked of the OS: SQLite opens a file
// it may not write read-only without a word (the first write then fails), and in a directory it
// may not write it cannot create the -wal and -shm files, which it reports only as "unable to open
// database file".

import { accessSync, constants, existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'

const reasons: Record<string, string> = {
  EROFS: 'a read-only file system',
  EACCES: 'no write permission',
  EPERM: 'not permitted, e.g. an immutable attribute',
}

// The errno code when `path` may not be written; undefined when it may, or does not exist.
function refusal(path: string): string | undefined {
  try {
    accessSync(path, constants.W_OK)
    return undefined
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    return code !== undefined && code in reasons ? code : undefined
  }
}

/** True for a path SQLite treats as no file on disk: ':memory:', '' (a temporary database), a URI. */
export function isNotAFilePath(path: string): boolean {
  return path === ':memory:' || path.trim() === '' || path.startsWith('file:')
}

/**
 * Why the database file at `path` cannot be written, when it exists and cannot; else undefined.
 *
 * @example
 * fileReadOnlyReason('/mnt/ro/app.db') // 'the database file is read-only (EROFS: a read-only file system)'
 */
export function fileReadOnlyReason(path: string): string | undefined {
  const code = refusal(path)
  return code === undefined ? undefined : `the database file is read-only (${code}: ${reasons[code]})`
}

/**
 * Why `path`'s directory cannot be written (where SQLite creates the database and its -wal and
 * -shm files), or else the file itself; undefined when both can, or the OS does not say.
 *
 * @example
 * readOnlyReason('/mnt/ro/new.db') // "its directory '/mnt/ro' is read-only (EROFS: ...) ..."
 */
export function readOnlyReason(path: string): string | undefined {
  const dir = dirname(resolve(path))
  const code = refusal(dir)
  if (code !== undefined) {
    return `its directory '${dir}' is read-only (${code}: ${reasons[code]}), and SQLite needs to create the database's -wal and -shm files there`
  }
  return existsSync(path) ? fileReadOnlyReason(path) : undefined
}

/** True when `path`'s directory exists and may not be written. */
export function directoryIsReadOnly(path: string): boolean {
  return refusal(dirname(resolve(path))) !== undefined
}

/**
 * The SQLite URI that opens `path` as immutable: no locks, no -shm file, the file taken as it is
 * (so changes made to it later are not seen). Works only where URI filenames are enabled
 * (better-sqlite3 enables them when SQLITE_USE_URI=1 is in the environment as it loads).
 *
 * @example
 * immutableUri('/mnt/ro/app.db') // 'file:/mnt/ro/app.db?immutable=1'
 */
export function immutableUri(path: string): string {
  // In a URI path only these three are special; a Windows path needs forward slashes.
  const absolute = resolve(path).replace(/\\/g, '/').replace(/[%?#]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `file:${absolute.startsWith('/') ? '' : '/'}${absolute}?immutable=1`
}
