// How the command-line tool opens a database file: readonly for everything that only looks, a
// maintenance session for replay and purge. Any file it cannot use ends the command with one
// line on stderr and exit code 2, and is left exactly as it was.
import { statSync } from 'node:fs'
import { DurableIpcError } from '../errors.js'
import { openForMaintenance, openSqliteStore } from '../store/index.js'
import type { MaintenanceSession, Store } from '../store/index.js'
import { CliError, EXIT_FAILED, EXIT_USAGE } from './io.js'

// Checked before SQLite sees the path: its messages for these ("unable to open database file",
// "disk I/O error" for a directory) do not say what is wrong.
function checkFile(path: string): void {
  let stats
  try {
    stats = statSync(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new CliError(`no such file: ${path}`, EXIT_USAGE, { cause: err })
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`, EXIT_USAGE, { cause: err })
  }
  if (stats.isDirectory()) throw new CliError(`${path} is a directory, not a database file`, EXIT_USAGE)
}

/**
 * Turns a failure to open the file into a CliError with exit code 2 (a non-database, a schema
 * from a newer durable-ipc, a file no broker ever used, ...).
 */
function openFailure(err: unknown): CliError {
  if (err instanceof CliError) return err
  const message = err instanceof Error ? err.message : String(err)
  return new CliError(message.split('\n')[0]!, EXIT_USAGE, { cause: err })
}

/**
 * Opens `path` readonly: never creates, migrates or alters it, and does not block the
 * application (WAL readers never wait for the writer, nor it for them). In a directory that
 * cannot be written the store reads it as immutable (see src/store/openDatabase.ts).
 *
 * @example
 * const store = openForReading('app.db')
 * try { console.log(store.stats()) } finally { store.close() }
 */
export function openForReading(path: string): Store {
  checkFile(path)
  try {
    return openSqliteStore({ path, readonly: true })
  } catch (err) {
    throw openFailure(err)
  }
}

/**
 * Opens `path` for a repair (replay, purge): refused like openForReading when unusable, and
 * otherwise changes nothing about the file but the rows the repair writes.
 *
 * @example
 * const session = openForRepair('app.db', 5000)
 */
export function openForRepair(path: string, busyTimeoutMs: number): MaintenanceSession {
  checkFile(path)
  try {
    return openForMaintenance({ path, busyTimeoutMs })
  } catch (err) {
    throw openFailure(err)
  }
}

/**
 * Throws (exit code 2) when the database has no durable channel `channel`: a mistyped name would
 * otherwise look like an empty queue.
 *
 * @example
 * requireChannel(store, 'app.db', 'jobs')
 */
export function requireChannel(store: Pick<Store, 'getChannel'>, path: string, channel: string): void {
  let found
  try {
    found = store.getChannel(channel)
  } catch (err) {
    throw operationFailure(err)
  }
  if (found === undefined) throw new CliError(`${path} has no durable channel '${channel}'`, EXIT_USAGE)
}

/**
 * A failure while a command worked on an open database (busy past the timeout, disk full): one
 * line, exit code 1.
 *
 * @example
 * catch (err) { throw operationFailure(err) }
 */
export function operationFailure(err: unknown): CliError {
  if (err instanceof CliError) return err
  if (err instanceof DurableIpcError || err instanceof Error) return new CliError(err.message.split('\n')[0]!, EXIT_FAILED, { cause: err })
  return new CliError(String(err), EXIT_FAILED)
}
