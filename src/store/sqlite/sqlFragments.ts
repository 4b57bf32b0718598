// Pieces shared by the store's statement modules: the prepared-statement shapes, how a statement is
// prepared (plain numbers, rows as objects, arrays or single values), and SQL fragments used by
// more than one statement.

import type Database from 'better-sqlite3'

export type Params = Record<string, unknown>

/** A statement that writes; `changes` says how many rows it touched. */
export interface Command<P> {
  run(params: P): Database.RunResult
}

/** A statement that writes, with positional parameters (the hot ones: no property look-up per parameter). */
export interface PositionalCommand<A extends unknown[]> {
  run(...params: A): Database.RunResult
}

/** A statement that reads rows (or, plucked, single values). `void`: it takes no parameters. */
export interface Query<P, R> {
  get(params: P): R | undefined
  all(params: P): R[]
}

export const deadLetterColumns = `id, channel, subscription, kind, payload, attempts, last_error AS lastError,
  created_at AS createdAt, failed_at AS failedAt`

// The highest id a message ever had: in use by a message (queued or in hand), a dead letter or a
// job result (each a rowid: the last entry of its table, found in one step), or deleted (the
// high-water mark). A new message's id is above it, so an id is never used twice.
export const nextId = `max(coalesce((SELECT max(id) FROM durable_ipc_messages), 0), coalesce((SELECT max(id) FROM durable_ipc_in_hand), 0),
    coalesce((SELECT max(id) FROM durable_ipc_dead_letters), 0), coalesce((SELECT max(id) FROM durable_ipc_job_results), 0),
    (SELECT id FROM durable_ipc_high_water))`

/**
 * The ways a statement is prepared on `db`; every one reads plain numbers (an application's handle
 * may have defaultSafeIntegers(true)).
 *
 * @example
 * const { pluck } = preparers(db)
 * pluck<{ name: string }, string>('SELECT config FROM durable_ipc_channels WHERE name = @name')
 */
export function preparers(db: Database.Database) {
  const command = <P extends Params>(source: string): Command<P> => db.prepare<[P]>(source).safeIntegers(false)
  const query = <P extends Params, R>(source: string): Query<P, R> => db.prepare<[P], R>(source).safeIntegers(false)
  const rows = <P extends Params, R extends unknown[]>(source: string): Query<P, R> =>
    db.prepare<[P], R>(source).safeIntegers(false).raw(true)
  const pluck = <P extends Params, R>(source: string): Query<P, R> => db.prepare<[P], R>(source).safeIntegers(false).pluck()
  const bare = <R>(source: string): Query<void, R> => db.prepare<[], R>(source).safeIntegers(false)
  const barePluck = <R>(source: string): Query<void, R> => db.prepare<[], R>(source).safeIntegers(false).pluck()
  const positional = <A extends unknown[]>(source: string): PositionalCommand<A> => db.prepare<A>(source).safeIntegers(false)
  return { command, query, rows, pluck, bare, barePluck, positional }
}
