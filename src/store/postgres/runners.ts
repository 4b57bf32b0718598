// Runs programs (program.ts) as transactions: synchronously, statement by statement through the
// bridge's worker connection, or asynchronously on a connection of the pool. A `write` run is one
// transaction that ends with the store's change notification (pg_notify is transactional: it is
// sent on commit only); a `snapshot` run is one REPEATABLE READ, READ ONLY transaction (reads that
// must agree); a `read` run is a single statement. A deadlock or serialization failure runs the
// program again from the start, a few times; any failure rolls back.

import type pg from 'pg'
import { isRetryable } from './pgErrors.js'
import type { Program, Result, Sql } from './program.js'

export type RunKind = 'write' | 'snapshot' | 'read'

/**
 * Runs statements in order on one connection and answers their results. `continues`: the batch
 * goes on with a transaction an earlier batch began, so it must run on that same connection (a
 * connection opened again meanwhile would run it outside the transaction, half of it committed).
 */
export type SyncExec = (batch: readonly Sql[], continues: boolean) => Result[]

/** How a write transaction says it committed: pg_notify(channel, this store's id). */
export interface Notice {
  channel: string
  storeId: string
}

const RETRIES = 3

function begin(kind: RunKind): Sql {
  return { text: kind === 'snapshot' ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN', values: [] }
}
const commit: Sql = { text: 'COMMIT', values: [] }
const rollback: Sql = { text: 'ROLLBACK', values: [] }
// The notification and COMMIT in one simple query: one round trip (no parameters, so quoted here).
const notifyAndCommit = (notice: Notice): Sql => ({
  text: `NOTIFY "${notice.channel.replace(/"/g, '""')}", '${notice.storeId.replace(/'/g, "''")}'; COMMIT`,
  values: [],
})
// A statement complete on its own (Sql.alone) carries the notification's channel and payload last.
const withNotice = (sql: Sql, notice: Notice): Sql => ({ ...sql, values: [...sql.values, notice.channel, notice.storeId] })

/**
 * Runs `make()`'s program synchronously. BEGIN goes with the first statement and the notification
 * with COMMIT, so a transaction of n statements costs n + 1 round trips; a write whose statement is
 * complete on its own (Sql.alone) costs one.
 *
 * @example
 * runSync(exec, 'write', notice, () => publish(input))
 */
export function runSync<R>(exec: SyncExec, kind: RunKind, notice: Notice, make: () => Program<R>): R {
  for (let attempt = 1; ; attempt++) {
    try {
      return runSyncOnce(exec, kind, notice, make())
    } catch (err) {
      if (attempt >= RETRIES || !isRetryable(err)) throw err
    }
  }
}

function runSyncOnce<R>(exec: SyncExec, kind: RunKind, notice: Notice, program: Program<R>): R {
  const inTransaction = kind !== 'read'
  let pending: Sql[] = inTransaction ? [begin(kind)] : []
  let begun = false
  try {
    let step = program.next()
    if (kind === 'write' && step.done !== true && step.value.alone === true) {
      step = program.next(exec([withNotice(step.value, notice)], false)[0]!)
    }
    while (step.done !== true) {
      pending.push(step.value)
      begun ||= inTransaction
      const results = exec(pending, begun && pending[0] !== undefined && !pending[0].text.startsWith('BEGIN'))
      pending = []
      step = program.next(results[results.length - 1]!)
    }
    if (begun) exec([kind === 'write' ? notifyAndCommit(notice) : commit], true)
    return step.value
  } catch (err) {
    // After a timeout the worker (and its connection, and the transaction) is gone already.
    if (begun && (err as { code?: unknown }).code !== 'ERR_STORE_TIMEOUT') {
      try {
        exec([rollback], true)
      } catch {
        // The connection is broken: the server rolls the transaction back as it closes.
      }
    }
    throw err
  }
}

/**
 * Runs `make()`'s program on a connection of `pool`.
 *
 * @example
 * await runAsync(pool, 'write', notice, () => claim(...))
 */
export async function runAsync<R>(pool: pg.Pool, kind: RunKind, notice: Notice, make: () => Program<R>): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runAsyncOnce(pool, kind, notice, make())
    } catch (err) {
      if (attempt >= RETRIES || !isRetryable(err)) throw err
    }
  }
}

async function runAsyncOnce<R>(pool: pg.Pool, kind: RunKind, notice: Notice, program: Program<R>): Promise<R> {
  const client = await pool.connect()
  // While checked out, a connection's failure is the client's 'error' event (the pool listens only
  // while it is idle); the query under way rejects with it, so the event itself is only noted.
  let lost: Error | undefined
  const onError = (err: Error): void => {
    lost = err
  }
  client.on('error', onError)
  const inTransaction = kind !== 'read'
  let begun = false
  let broken: Error | undefined
  const query = async (sql: Sql): Promise<Result> => {
    const result = await client.query({ name: sql.name, text: sql.text, values: sql.values as unknown[] })
    return { rows: result.rows as Result['rows'], rowCount: result.rowCount ?? 0 }
  }
  try {
    let step = program.next()
    if (kind === 'write' && step.done !== true && step.value.alone === true) step = program.next(await query(withNotice(step.value, notice)))
    while (step.done !== true) {
      if (inTransaction && !begun) {
        begun = true
        await query(begin(kind))
      }
      step = program.next(await query(step.value))
    }
    if (begun) await query(kind === 'write' ? notifyAndCommit(notice) : commit)
    return step.value
  } catch (err) {
    if (begun) {
      try {
        await query(rollback)
      } catch (rollbackError) {
        broken = rollbackError as Error
      }
    }
    throw err
  } finally {
    client.off('error', onError)
    // A connection that failed (or whose rollback did) is not given back to the pool.
    client.release(broken ?? lost)
  }
}
