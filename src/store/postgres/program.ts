// Store operations as programs: generator functions that yield the SQL they need, one statement
// at a time, and receive its result. The same program runs synchronously through the bridge's
// worker (the methods the contract keeps synchronous) or asynchronously on a pool client (the
// consumer side): runners.ts drives both, one transaction per run. No program awaits or does I/O
// of its own, so each is just the store's logic between its statements.

/** One statement with its positional parameters ($1, $2, ...). */
export interface Sql {
  text: string
  values: readonly unknown[]
  /** Prepared once per connection under this name (pg's named statements): parsed and planned once. */
  name?: string
  /**
   * A write complete on its own: run outside a transaction (one round trip, its own commit), with
   * the store's notification inside it: its last two parameters are the notification's channel and
   * payload, which the runner appends. Only as a program's first statement, and a program that
   * goes on after it must not have changed anything with it (the rest runs in a transaction).
   */
  alone?: boolean
}

/** A hot statement: its SQL and the name it is prepared under. */
export interface Prepared {
  name: string
  text: string
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
 * Runs a prepared statement that is a whole write on its own (see Sql.alone); gives back its rows.
 *
 * @example
 * const acked = yield* alone<{ n: number }>(sql.ack, [ids, owner])
 */
export function* alone<T>(statement: Prepared, values: readonly unknown[]): Generator<Sql, T[], Result> {
  return (yield { text: statement.text, values, name: statement.name, alone: true }).rows as T[]
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
