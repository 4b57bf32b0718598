// Shared fixtures of the durable-channel tests: brokers on real SQLite files in fresh temp dirs
// (closed and deleted after each test), a second connection that reads what a broker committed,
// and promises for deliveries, so that no test sleeps waiting for one.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach } from 'vitest'
import { createBroker } from '../../src/index.js'
import type { CreateBrokerOptions } from '../../src/index.js'

const dirs: string[] = []
const brokers = new Set<{ close(): Promise<void> }>()
const handles = new Set<Database.Database>()

/** Registers the cleanup of this file's brokers, connections and temp dirs after each test. */
export function useDurableFixtures(): void {
  afterEach(async () => {
    const open = [...brokers]
    brokers.clear()
    await Promise.all(open.map((b) => b.close()))
    for (const db of handles) if (db.open) db.close()
    handles.clear()
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })
}

/** A path for a database file in a fresh temp dir. */
export function dbPath(name = 'app.db'): string {
  const dir = mkdtempSync(join(tmpdir(), 'durable-ipc-api-'))
  dirs.push(dir)
  return join(dir, name)
}

/** An untyped broker, closed after the test unless the test closed it. */
export function openBroker(options: CreateBrokerOptions = {}) {
  const broker = createBroker(options)
  brokers.add(broker)
  const close = broker.close.bind(broker)
  broker.close = () => {
    brokers.delete(broker)
    return close()
  }
  return broker
}

export type DurableBroker = ReturnType<typeof openBroker>

/** A better-sqlite3 connection of the test's own, closed after the test. */
export function connect(path: string, options?: Database.Options): Database.Database {
  const db = new Database(path, options)
  handles.add(db)
  return db
}

/**
 * What another connection sees committed in the file: the messages of `channel` (all
 * subscriptions), as rows. Proves "stored before send returned" without trusting the broker.
 */
export function storedMessages(path: string, channel: string): Array<{ id: number; subscription: string; attempts: number; key: string | null }> {
  const db = new Database(path, { readonly: true })
  try {
    return db
      // With the messages in hand: taken by their consumer as they were stored (migration 009).
      .prepare(`SELECT id, subscription, attempts, key FROM durable_ipc_messages WHERE channel = @channel
        UNION ALL SELECT id, subscription, 0, NULL FROM durable_ipc_in_hand WHERE channel = @channel ORDER BY id`)
      .all({ channel }) as Array<{ id: number; subscription: string; attempts: number; key: string | null }>
  } finally {
    db.close()
  }
}

export { deferred } from './helpers.js'

/** Something that counts up and lets a test await a count. */
export class Counter<T = unknown> {
  readonly items: T[] = []
  #waiters: Array<{ n: number; resolve: () => void }> = []

  push(item: T): void {
    this.items.push(item)
    this.#waiters = this.#waiters.filter((w) => (this.items.length >= w.n ? (w.resolve(), false) : true))
  }

  /** Resolves once `n` items were pushed. */
  reach(n: number): Promise<void> {
    if (this.items.length >= n) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push({ n, resolve }))
  }
}

/** Lets timers, immediates and microtasks run a few turns: only for asserting that nothing happened. */
export async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve))
}

/** Resolves after `ms`: only where time itself is what is tested (a delay, a timeout). */
export function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** The error `fn` throws; fails the test when it returns. */
export function thrown(fn: () => unknown): Error & { code?: unknown } {
  try {
    fn()
  } catch (err) {
    return err as Error & { code?: unknown }
  }
  throw new Error('expected the call to throw, but it returned')
}
