// The trickle path (actors/durable/handOff.ts): a message this process publishes while its consumer
// idles with nothing else to claim is leased to that consumer as it is stored, and the consumer's
// acknowledgements ride on the next publish: one store write per message. Never past a message
// another connection stored first, never inside an application's transaction, and a failed
// delivery still comes back. The store is the real SQLite one, its calls counted on the way.

import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Dispatcher } from '../../../src/actors/durable/dispatcher.js'
import type { Receiver } from '../../../src/actors/durable/dispatcher.js'
import type { DeliveryOutcome } from '../../../src/actors/durable/consumerInput.js'
import { openSqliteStore } from '../../../src/store/index.js'
import type { ChannelConfig, ClaimedMessage, PublishInput, Store, SyncStore } from '../../../src/store/index.js'

const config = (overrides: Partial<ChannelConfig> = {}): ChannelConfig => ({
  maxAttempts: 3, backoffInitialMs: 20, backoffMaxMs: 40, concurrency: 1, leaseMs: 30_000, maxMessageBytes: null, maxDepth: null,
  timeoutMs: null, rateLimit: null, ...overrides,
})

let dir: string
let dispatcher: Dispatcher | undefined
const opened: SyncStore[] = []
const errors: unknown[] = []

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'durable-ipc-handoff-'))
  errors.length = 0
})
afterEach(async () => {
  await dispatcher?.close(1000, new Error('closed'))
  dispatcher = undefined
  for (const store of opened.splice(0)) store.close()
  rmSync(dir, { recursive: true, force: true })
})

/** The store's calls by method name, counted as they pass through to the real store. */
function counted(store: Store): { store: Store; calls: Map<string, number> } {
  const calls = new Map<string, number>()
  const wrapped: Record<string, unknown> = { ...store }
  for (const [name, value] of Object.entries(store)) {
    if (typeof value !== 'function') continue
    wrapped[name] = (...args: unknown[]) => {
      calls.set(name, (calls.get(name) ?? 0) + 1)
      return (value as (...a: unknown[]) => unknown)(...args)
    }
  }
  return { store: wrapped as unknown as Store, calls }
}

function open(store: Store, channelConfig = config()): Dispatcher {
  dispatcher = new Dispatcher(() => store, { inspect: undefined, reportError: (error) => void errors.push(error), jobResultRetentionMs: Infinity, busyTimeoutMs: 1000 }, true)
  dispatcher.declare('jobs', channelConfig)
  return dispatcher
}

/** A receiver that records what it got; `answer` decides each outcome (synchronously). */
function receiver(got: Array<{ text: string; attempt: number }>, answer: (message: ClaimedMessage) => DeliveryOutcome = () => ({ ok: true })): () => Receiver {
  return () => ({
    hasReceiver: () => true,
    deliver: (message, done) => {
      got.push({ text: JSON.parse(message.payload as string) as string, attempt: message.attempt })
      done(answer(message))
    },
  })
}

const input = (text: string): PublishInput => ({ channel: 'jobs', payload: JSON.stringify(text), kind: 'message', visibleAt: Date.now(), now: Date.now() })
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
const until = async (check: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}
const sqlite = (name = 'trickle.db'): SyncStore => {
  const store = openSqliteStore({ path: join(dir, name) })
  opened.push(store)
  return store
}
const queued = (store: Store): number => store.stats().reduce((n, s) => n + s.ready + s.delayed + s.inFlight, 0)

describe('messages trickling in, one per turn, to an idle consumer of this process', () => {
  it('cost one store write each: no claim, the acknowledgements ride on the next publish', async () => {
    const real = sqlite()
    const { store, calls } = counted(real)
    const d = open(store)
    const got: Array<{ text: string; attempt: number }> = []
    d.consume('jobs', 'main', true, receiver(got))
    await until(() => (calls.get('nextVisibleAt') ?? 0) > 0) // idle
    const before = new Map(calls)
    const count = 300
    for (let i = 0; i < count; i++) {
      d.publish(input(`m${i}`))
      await turn()
    }
    await until(() => got.length === count)
    expect(got.map((g) => g.text)).toEqual(Array.from({ length: count }, (_, i) => `m${i}`))
    expect(got.every((g) => g.attempt === 1)).toBe(true)
    const since = (name: string): number => (calls.get(name) ?? 0) - (before.get(name) ?? 0)
    expect(since('publishClaimed')).toBe(count)
    expect(since('publish')).toBe(0)
    // The first delivery's time is unknown, so it went the careful way (its start recorded first,
    // then a claim and a look on the way back into idle); every later one went straight through.
    expect(since('claim')).toBeLessThanOrEqual(1)
    expect(since('nextVisibleAt')).toBeLessThanOrEqual(1)
    // Acknowledgements written on their own only when no publish came within ~1 ms.
    expect(since('report') + since('ack')).toBeLessThan(count / 4)
    await until(() => queued(real) === 0)
  })

  it('a message another connection stored first is delivered first', async () => {
    const real = sqlite()
    const other = openSqliteStore({ path: join(dir, 'trickle.db') })
    opened.push(other)
    const d = open(real)
    const got: Array<{ text: string; attempt: number }> = []
    d.consume('jobs', 'main', true, receiver(got))
    await until(() => real.stats()[0] !== undefined && d.store.nextVisibleAt('jobs', 'main') === null)
    await new Promise((resolve) => setTimeout(resolve, 20)) // settled into idle
    for (let i = 0; i < 20; i++) {
      other.publish(input(`theirs ${i}`))
      d.publish(input(`mine ${i}`)) // the same turn: before any watcher could have seen theirs
      await until(() => got.length === 2 * (i + 1))
    }
    expect(got.map((g) => g.text)).toEqual(Array.from({ length: 20 }, (_, i) => [`theirs ${i}`, `mine ${i}`]).flat())
  })

  it('a failed delivery of a message taken at publish comes back after its back-off', async () => {
    const real = sqlite()
    const d = open(real)
    const got: Array<{ text: string; attempt: number }> = []
    d.consume('jobs', 'main', true, receiver(got, (message) => (message.attempt === 1 ? { ok: false, error: new Error('first try') } : { ok: true })))
    await new Promise((resolve) => setTimeout(resolve, 20))
    d.publish(input('flaky'))
    await until(() => got.length === 2)
    expect(got).toEqual([{ text: 'flaky', attempt: 1 }, { text: 'flaky', attempt: 2 }])
    await until(() => queued(real) === 0)
  })

  it('a listener that sends while it is delivered to gets its messages on later turns, without starving timers', async () => {
    const real = sqlite()
    const d = open(real)
    const got: Array<{ text: string; attempt: number }> = []
    let timerRan = false
    setTimeout(() => (timerRan = true), 1)
    d.consume('jobs', 'main', true, () => ({
      hasReceiver: () => true,
      deliver: (message, done) => {
        const n = Number(JSON.parse(message.payload as string))
        got.push({ text: String(n), attempt: message.attempt })
        if (n < 200) d.publish(input(String(n + 1)))
        done({ ok: true })
      },
    }))
    await new Promise((resolve) => setTimeout(resolve, 20))
    d.publish(input('0'))
    await until(() => got.length === 201)
    expect(got.map((g) => Number(g.text))).toEqual(Array.from({ length: 201 }, (_, i) => i))
    expect(timerRan).toBe(true)
  })

  it('with concurrency 4, four publishes of one turn are all taken', async () => {
    const { store, calls } = counted(sqlite())
    const d = open(store, config({ concurrency: 4 }))
    const got: Array<{ text: string; attempt: number }> = []
    d.consume('jobs', 'main', true, receiver(got))
    await new Promise((resolve) => setTimeout(resolve, 20))
    const claims = calls.get('claim') ?? 0
    for (let i = 0; i < 4; i++) d.publish(input(`m${i}`))
    d.publish(input('fifth')) // no slot: stored, and claimed after
    await until(() => got.length === 5)
    expect(got.map((g) => g.text)).toEqual(['m0', 'm1', 'm2', 'm3', 'fifth'])
    expect(calls.get('publishClaimed')).toBe(4)
    expect((calls.get('claim') ?? 0) - claims).toBeGreaterThanOrEqual(1)
  })
})

describe('the outbox: a publish inside the application’s transaction', () => {
  it('is never taken at publish: rolled back, it is never delivered; committed, it is', async () => {
    const db = new Database(join(dir, 'app.db'))
    db.pragma('journal_mode = WAL')
    const real = openSqliteStore({ database: db })
    opened.push(real)
    const { store, calls } = counted(real)
    const d = open(store)
    const got: Array<{ text: string; attempt: number }> = []
    d.consume('jobs', 'main', true, receiver(got))
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(() => db.transaction(() => {
      d.publish(input('rolled back'))
      throw new Error('the application gives up')
    })()).toThrow('the application gives up')
    db.transaction(() => d.publish(input('committed')))()
    await until(() => got.length === 1)
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(got.map((g) => g.text)).toEqual(['committed'])
    expect(calls.get('publishClaimed') ?? 0).toBe(0)
    // Outside a transaction the outbox takes the fast path too.
    d.publish(input('outside'))
    await until(() => got.length === 2)
    expect(calls.get('publishClaimed')).toBe(1)
    db.close()
  })
})
