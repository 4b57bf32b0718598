// A consumer on XState's SimulatedClock: its back-off schedule and a lease expiry driven without
// waiting, on a real SQLite store. The clock gives the times the consumer stores (retry at, lease
// until) and runs the timers of its machine.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SimulatedClock } from 'xstate'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startConsumer } from '../../../src/actors/durable/consumerMachine.js'
import type { ConsumerActor } from '../../../src/actors/durable/consumerMachine.js'
import type { ConsumerInput } from '../../../src/actors/durable/consumerInput.js'
import { startStoreWatch } from '../../../src/actors/durable/storeWatchMachine.js'
import type { StoreWatchActor } from '../../../src/actors/durable/storeWatchMachine.js'
import { openSqliteStore } from '../../../src/store/index.js'
import type { ChannelConfig, ClaimedMessage, Store } from '../../../src/store/index.js'

const t0 = 1_700_000_000_000
const config: ChannelConfig = {
  maxAttempts: 4, backoffInitialMs: 1000, backoffMaxMs: 3000, concurrency: 1, leaseMs: 30_000, maxMessageBytes: null, maxDepth: null, timeoutMs: null, rateLimit: null,
}

let dir: string
let store: Store
let watch: StoreWatchActor
let consumer: ConsumerActor | undefined
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'durable-ipc-clock-'))
  store = openSqliteStore({ path: join(dir, 'clock.db') })
  store.declareChannel('jobs', config)
  watch = startStoreWatch({ store, onError: (error) => { throw error } })
})
afterEach(() => {
  consumer?.stop()
  watch.send({ type: 'stop' })
  store.close()
  rmSync(dir, { recursive: true, force: true })
})

function consume(clock: SimulatedClock, deliver: ConsumerInput['deliver'], owner = 'test-host/1/clock'): void {
  consumer = startConsumer({
    store, watch, channel: 'jobs', subscription: 'main', owner, clock,
    config: () => config, hasReceiver: () => true, deliver, onError: (error) => { throw error },
  })
}

const retryAt = (): number => store.messagesAfter(0, 'jobs', 1)[0]!.visibleAt

describe('a consumer on a simulated clock', () => {
  it('retries on the back-off schedule (initialMs * 2^(attempt-1), capped, upper-half jitter) and then dead-letters', () => {
    const clock = new SimulatedClock()
    clock.set(t0)
    store.publish({ channel: 'jobs', payload: '"job"', kind: 'message', visibleAt: t0, now: t0 })
    const attempts: Array<[number, number]> = []
    consume(clock, (message: ClaimedMessage, done) => {
      attempts.push([message.attempt, clock.now()])
      done({ ok: false, error: new Error(`attempt ${message.attempt} failed`) })
    })
    expect(attempts).toEqual([[1, t0]])
    for (const [attempt, nominal] of [[2, 1000], [3, 2000], [4, 3000]] as const) {
      const at = retryAt()
      const delay = at - clock.now()
      expect(delay).toBeGreaterThanOrEqual(nominal / 2)
      expect(delay).toBeLessThanOrEqual(nominal)
      clock.increment(delay - 1)
      expect(attempts).toHaveLength(attempt - 1) // not a millisecond early
      clock.increment(1)
      expect(attempts.at(-1)).toEqual([attempt, at])
    }
    expect(store.deadLetters('jobs').map((d) => [d.attempts, d.lastError.split('\n')[0]])).toEqual([[4, 'Error: attempt 4 failed']])
  })

  it('takes over a delivery whose owner stopped renewing once its lease has run out, not before', () => {
    const clock = new SimulatedClock()
    clock.set(t0)
    const { id } = store.publish({ channel: 'jobs', payload: '"job"', kind: 'message', visibleAt: t0, now: t0 })
    // Another host's consumer took it and went silent.
    store.claim('jobs', 'main', 'other-host/7/gone', t0, config.leaseMs, 1)
    const got: number[] = []
    consume(clock, (message, done) => {
      got.push(message.attempt)
      done({ ok: true })
    })
    clock.increment(config.leaseMs - 1)
    expect(got).toEqual([])
    clock.increment(1)
    expect(got).toEqual([2])
    expect(store.deadLetters('jobs')).toEqual([])
    expect(store.messagesAfter(id - 1, 'jobs', 1)).toEqual([]) // acknowledged
  })

  it('rechecks without leaving idle: the store watcher hears of it once, not on every recheck', () => {
    const clock = new SimulatedClock()
    clock.set(t0)
    const told: string[] = []
    consumer = startConsumer({
      store, watch: { send: (event) => void told.push(event.type) }, channel: 'jobs', subscription: 'main', owner: 'test-host/1/clock', clock,
      config: () => config, hasReceiver: () => true, deliver: (_m, done) => done({ ok: true }), onError: (error) => { throw error },
    })
    expect(told).toEqual(['idle'])
    for (let i = 0; i < 3; i++) consumer.send({ type: 'recheck' })
    expect(told).toEqual(['idle'])
    // A message another process stored is still found by a recheck.
    store.publish({ channel: 'jobs', payload: '"job"', kind: 'message', visibleAt: t0 + 50, now: t0 })
    consumer.send({ type: 'recheck' })
    expect(consumer.getSnapshot().value).toEqual({ idle: 'timed' })
    clock.increment(50)
    expect(store.stats(t0 + 50)[0]).toMatchObject({ ready: 0, inFlight: 0 })
  })
})
