// Store operations as programs: generator functions that yield the SQL they need, one statement
// at a time, and receive its result. The same program runs synchronously through the bridge's
// worker (the methods the contract keeps synchronous) or asynchronously on a pool client (the
// consumer side): runners.ts drives both, one transaction per run. No program awaits or does I/O
// of its own, so each is just the store's logic between its statements.

/** One statement with its positional parameters ($1, $2, ...). */
export interface Sql {
  text: string
  values: readonly unknown[]
}

/** What a statement answers: rows (int8 parsed to number, bytea as bytes) and how many it touched. */
export interface Result {
  rows: Row[]
  rowCount: number
}

export type Row = Record<string, unknown>

/** A store operation: yields statements, is sent their results, returns its answer. */
export type Program<R> = Generator<Sql, R, Result>

/**
 * Runs one statement and gives back its whole result.
 *
 * @example
 * const { rowCount } = yield* run('DELETE FROM durable_ipc_messages WHERE id = $1', [id])
 */
export function* run(text: string, values: readonly unknown[] = []): Generator<Sql, Result, Result> {
  return yield { text, values }
}

/**
 * Runs one statement and gives back its rows.
 *
 * @example
 * const names = yield* rows<{ name: string }>('SELECT name FROM durable_ipc_channels')
 */
export function* rows<T>(text: string, values: readonly unknown[] = []): Generator<Sql, T[], Result> {
  return (yield { text, values }).rows as T[]
}

/**
 * Runs one statement and gives back its first row, undefined when none.
 *
 * @example
 * const row = yield* first<{ config: string }>('SELECT config FROM durable_ipc_channels WHERE name = $1', [name])
 */
export function* first<T>(text: string, values: readonly unknown[] = []): Generator<Sql, T | undefined, Result> {
  return (yield { text, values }).rows[0] as T | undefined
}

/**
 * Runs one statement and gives back how many rows it touched.
 *
 * @example
 * const deleted = yield* count('DELETE FROM durable_ipc_messages WHERE id = ANY($1)', [ids])
 */
export function* count(text: string, values: readonly unknown[] = []): Generator<Sql, number, Result> {
  return (yield { text, values }).rowCount
}
