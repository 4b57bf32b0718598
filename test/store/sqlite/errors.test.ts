// Faults of the database underneath come out as StoreError with a code, the SQLite error as cause,
// and leave nothing half-written: readonly, busy past busyTimeoutMs, disk full, closed.

import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { DurableIpcError, StoreError } from '../../../src/errors.js'
import { openSqliteStore } from '../../../src/store/sqlite/sqliteStore.js'
import type { Store } from '../../../src/store/contract.js'
import { channelConfig, message, tempDir } from '../helpers.js'

const file = tempDir()
const t0 = 1_700_000_000_000
const cleanups: Array<() => void> = []

afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup()
})

function track<T extends Store | Database.Database>(handle: T): T {
  cleanups.push(() => handle.close())
  return handle
}

/** A migrated file with the `jobs` channel declared. */
function preparedFile(): string {
  const path = file('faults.db')
  const store = openSqliteStore({ path })
  store.declareChannel('jobs', channelConfig())
  store.close()
  return path
}

function thrown(fn: () => unknown): StoreError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError)
    expect(err).toBeInstanceOf(DurableIpcError)
    return err as StoreError
  }
  throw new Error('expected a StoreError')
}

const depth = (store: Store) => store.stats(t0).reduce((n, s) => n + s.ready + s.delayed + s.inFlight, 0)

describe('store errors', () => {
  it('refuses writes on a readonly store', () => {
    const path = preparedFile()
    const reader = track(openSqliteStore({ path, readonly: true }))
    expect(thrown(() => reader.publish(message('jobs', 'x', t0))).code).toBe('ERR_STORE_READONLY')
    expect(thrown(() => reader.declareChannel('more', channelConfig())).code).toBe('ERR_STORE_READONLY')
    expect(reader.listChannels()).toHaveLength(1)
  })

  it('translates SQLite’s own readonly error', () => {
    const path = preparedFile()
    const db = track(new Database(path))
    const store = track(openSqliteStore({ database: db }))
    db.pragma('query_only = ON')
    const err = thrown(() => store.publish(message('jobs', 'x', t0)))
    expect(err.code).toBe('ERR_STORE_READONLY')
    expect((err.cause as { code?: string }).code).toMatch(/^SQLITE_READONLY/)
  })

  it('reports a database locked past busyTimeoutMs as busy, then works once the lock is gone', () => {
    const path = preparedFile()
    const store = track(openSqliteStore({ path, busyTimeoutMs: 50 }))
    const other = track(new Database(path))
    other.exec('BEGIN IMMEDIATE')

    const started = Date.now()
    const err = thrown(() => store.publish(message('jobs', 'x', t0)))
    expect(err.code).toBe('ERR_STORE_BUSY')
    expect(err.message).toMatch(/Cannot publish/)
    expect((err.cause as { code?: string }).code).toMatch(/^SQLITE_BUSY/)
    expect(Date.now() - started).toBeGreaterThanOrEqual(40)

    other.exec('COMMIT')
    expect(store.publish(message('jobs', 'x', t0)).duplicate).toBe(false)
    expect(depth(store)).toBe(1)
  })

  it('reports a full database and stores nothing', () => {
    const path = preparedFile()
    const db = track(new Database(path))
    const store = track(openSqliteStore({ database: db }))
    store.publish(message('jobs', 'small', t0))
    db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true }))}`)

    const err = thrown(() => store.publish({ ...message('jobs', '', t0), payload: new Uint8Array(256 * 1024) }))
    expect(err.code).toBe('ERR_STORE_FULL')
    expect((err.cause as { code?: string }).code).toBe('SQLITE_FULL')
    expect(depth(store)).toBe(1)
  })

  it('refuses every call after close, and close twice is harmless', () => {
    const store = openSqliteStore({ path: preparedFile() })
    store.close()
    store.close()
    expect(thrown(() => store.publish(message('jobs', 'x', t0))).code).toBe('ERR_STORE_CLOSED')
    expect(thrown(() => store.changeToken()).code).toBe('ERR_STORE_CLOSED')
  })

  it('rejects bad open options with a typed error', () => {
    expect(() => openSqliteStore({ path: ':memory:', readonly: true })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
    expect(() => openSqliteStore({ busyTimeoutMs: -1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
  })

  it('reports a path in a missing directory as an I/O error', () => {
    expect(thrown(() => openSqliteStore({ path: file('no-such-dir/x.db') })).code).toBe('ERR_STORE_IO')
  })
})
