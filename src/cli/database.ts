// How the command-line tool opens a database file or, given a postgres:// URL in its place, a
// PostgreSQL store: readonly for everything that only looks, a repair session for the commands that
// write. Any database it cannot use ends the command with one line on stderr and exit code 2, and
// is left exactly as it was. What it prints names a URL by its label, never the URL itself.
import { statSync } from 'node:fs'
import { toolTarget } from '../board/target.js'
import type { ToolTarget } from '../board/target.js'
import { DurableIpcError } from '../errors.js'
import { openForMaintenance, openPostgresStore, openSqliteStore } from '../store/index.js'
import type { Store } from '../store/index.js'
import { stringOption } from './args.js'
import type { ParsedCommand } from './args.js'
import { CliError, EXIT_FAILED, EXIT_USAGE, UsageError } from './io.js'

export type { ToolTarget } from '../board/target.js'

/**
 * A store opened for a repair: its writes, and `transaction(fn)` to make several of them one. On
 * PostgreSQL every store call is already one transaction of its own, and a repair's batches are
 * one call each.
 */
export interface RepairSession {
  readonly store: Store
  transaction<R>(fn: () => R): R
  close(): void
}

/**
 * The database a command names: its first positional, a file or a postgres:// URL, with --schema.
 *
 * @example
 * const target = commandTarget('stats', parsed) // { kind: 'file', path: 'app.db', label: 'app.db' }
 */
export function commandTarget(command: string, parsed: ParsedCommand): ToolTarget {
  try {
    return toolTarget(parsed.positionals[0]!, stringOption(parsed, 'schema'))
  } catch (err) {
    throw new UsageError(command, (err as Error).message)
  }
}

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
 * Opens the target readonly: never creates, migrates or alters it, and does not block the
 * application (WAL readers never wait for the writer, nor it for them; a PostgreSQL session in
 * read-only transactions). In a directory that cannot be written the store reads a file as
 * immutable (see src/store/openDatabase.ts).
 *
 * @example
 * const store = openForReading(toolTarget('app.db'))
 * try { console.log(store.stats()) } finally { store.close() }
 */
export function openForReading(target: ToolTarget): Store {
  if (target.kind === 'file') checkFile(target.path)
  try {
    if (target.kind === 'postgres') return openPostgresStore({ connectionString: target.connectionString, readonly: true, ...schemaOf(target) })
    return openSqliteStore({ path: target.path, readonly: true })
  } catch (err) {
    throw openFailure(err)
  }
}

/**
 * Opens the target for a repair (replay, purge, pause, cancel): refused like openForReading when
 * unusable, and otherwise changes nothing but the rows the repair writes. A PostgreSQL schema is
 * checked readonly first, so that a mistyped schema is refused rather than created, and an older
 * one is not migrated; `busyTimeoutMs` bounds its waits for a row lock as it does SQLite's for the
 * write lock (each call's deadline is twice that, and at least 2 s).
 *
 * @example
 * const session = openForRepair(toolTarget('app.db'), 5000)
 */
export function openForRepair(target: ToolTarget, busyTimeoutMs: number): RepairSession {
  if (target.kind === 'file') checkFile(target.path)
  try {
    if (target.kind === 'file') return openForMaintenance({ path: target.path, busyTimeoutMs })
    const options = { connectionString: target.connectionString, timeoutMs: Math.max(2_000, 2 * busyTimeoutMs), ...schemaOf(target) }
    openPostgresStore({ ...options, readonly: true }).close()
    const store = openPostgresStore(options)
    return { store, transaction: (fn) => fn(), close: () => store.close() }
  } catch (err) {
    throw openFailure(err)
  }
}

function schemaOf(target: Extract<ToolTarget, { kind: 'postgres' }>): { schema?: string } {
  return target.schema === undefined ? {} : { schema: target.schema }
}

/**
 * Throws (exit code 2) when the database has no durable channel `channel`: a mistyped name would
 * otherwise look like an empty queue.
 *
 * @example
 * requireChannel(store, target.label, 'jobs')
 */
export function requireChannel(store: Pick<Store, 'getChannel'>, label: string, channel: string): void {
  let found
  try {
    found = store.getChannel(channel)
  } catch (err) {
    throw operationFailure(err)
  }
  if (found === undefined) throw new CliError(`${label} has no durable channel '${channel}'`, EXIT_USAGE)
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
