// A consumer's control of its deliveries on XState's SimulatedClock, on a real SQLite file: a
// timeout fails the attempt at timeoutMs (not a millisecond before), aborts the signal and ignores
// the late answer; a job cancelled by another connection is aborted within two control reads and
// never retried, and one waiting in the claimed batch never starts; a pause by another connection
// hands the batch back and no claim is made until it is resumed.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SimulatedClock } from 'xstate'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { JobCancelledError, JobTimeoutError } from '../../../src/errors.js'
import { startConsumer } from '../../../src/actors/durable/consumerMachine.js'
import type { ConsumerActor } from '../../../src/actors/durable/consumerMachine.js'
import type { ConsumerInput, DeliveryOutcome } from '../../../src/actors/durable/consumerInput.js'
import { CONTROL_MS } from '../../../src/actors/durable/deliveryControl.js'
import { decodeJobOutcome, encodeJobFailure } from '../../../src/protocol/jobOutcome.js'
import { openSqliteStore } from '../../../src/store/index.js'
import type { ChannelConfig, ClaimedMessage, Store } from '../../../src/store/index.js'

const t0 = 1_700_000_000_000
const base: ChannelConfig = {
  maxAttempts: 3, backoffInitialMs: 1000, backoffMaxMs: 1000, concurrency: 1, leaseMs: 30_000, maxMessageBytes: null, maxDepth: null,
  timeoutMs: null, rateLimit: null,
}

/** One delivery as the consumer handed it over: what it got, its signal, and its answer. */
interface Delivery {
  message: ClaimedMessage
  at: number
  signal: AbortSignal
  done: (outcome: DeliveryOutcome) => void
}

let dir: string
let path: string
let store: Store
/** Another connection to the file, as another process would have. */
let other: Store
let consumer: ConsumerActor | undefined
/** The consumers that told the (stub) watcher they idle; the tests recheck them by hand. */
const idle = new Set<unknown>()

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'durable-ipc-control-'))
  path = join(dir, 'control.db')
  store = openSqliteStore({ path })
  other = openSqliteStore({ path })
  store.declareChannel('jobs', base)
})
afterEach(() => {
  consumer?.stop()
  consumer = undefined
  idle.clear()
  store.close()
  other.close()
  rmSync(dir, { recursive: true, force: true })
})

function consume(clock: SimulatedClock, config: ChannelConfig, answer: (d: Delivery) => void, extra: Partial<ConsumerInput> = {}): Delivery[] {
  store.declareChannel('jobs', config)
  const deliveries: Delivery[] = []
  consumer = startConsumer({
    store,
    watch: { send: (event) => (event.type === 'idle' ? idle.add(event.consumer) : event.type === 'busy' && idle.delete(event.consumer)) },
    channel: 'jobs', subscription: 'main', owner: 'test-host/1/control', clock,
    config: () => config, hasReceiver: () => true, onError: (error) => { throw error },
    deliver: (message, done, control) => {
      const delivery = { message, at: clock.now(), signal: control.signal(message), done }
      deliveries.push(delivery)
      answer(delivery)
    },
    ...extra,
  })
  return deliveries
}

const publish = (text: string, kind: 'message' | 'invoke' = 'message'): number =>
  store.publish({ channel: 'jobs', payload: JSON.stringify(text), kind, visibleAt: t0, now: t0 }).id
const stored = () => store.messagesAfter(0, 'jobs', 100).map((m) => ({ id: m.id, leased: m.leased }))

describe('timeouts', () => {
  it('fail the attempt at timeoutMs, not before: the signal aborts, the late answer is ignored, the retry runs', () => {
    const clock = new SimulatedClock()
    clock.set(t0)
    const id = publish('slow')
    // The first attempt never answers in time; the second answers at once.
    const deliveries = consume(clock, { ...base, timeoutMs: 5000 }, (d) => (d.message.attempt === 1 ? undefined : d.done({ ok: true })))
    expect(deliveries.map((d) => [d.message.attempt, d.at])).toEqual([[1, t0]])

    clock.increment(4999)
    expect(deliveries[0]!.signal.aborted).toBe(false)
    expect(stored()).toEqual([{ id, leased: true }])

    clock.increment(1)
    const { reason } = deliveries[0]!.signal as AbortSignal & { reason: unknown }
    expect(reason).toBeInstanceOf(JobTimeoutError)
    expect(reason).toMatchObject({ code: 'ERR_JOB_TIMEOUT', timeoutMs: 5000 })
    const [waiting] = store.messagesAfter(0, 'jobs', 1)
    expect(waiting).toMatchObject({ id, leased: false, attempts: 1 })
    const retryAt = waiting!.visibleAt
    expect(retryAt).toBeGreaterThan(clock.now())

    // The listener answers after all: ignored (not acknowledged, not counted).
    deliveries[0]!.done({ ok: true })
    expect(store.messagesAfter(0, 'jobs', 1)).toEqual([waiting])

    clock.increment(retryAt - clock.now())
    expect(deliveries.map((d) => [d.message.attempt, d.at])).toEqual([[1, t0], [2, retryAt]])
    expect(stored()).toEqual([]) // acknowledged
    expect(store.deadLetters('jobs')).toEqual([])
  })

  it('dead-letter a job whose last attempt timed out, storing the failure its receiver makes of it', () => {
    const clock = new SimulatedClock()
    clock.set(t0)
    const id = publish('request', 'invoke')
    consume(clock, { ...base, maxAttempts: 1, timeoutMs: 100 }, () => {}, {
      failed: (_message, error) => ({ ok: false, error, result: encodeJobFailure({ text: String(error), name: error.name, code: 'ERR_JOB_TIMEOUT' }) }),
    })
    clock.increment(100)
    expect(store.deadLetters('jobs').map((d) => [d.id, d.attempts, d.lastError.split('\n')[0]])).toEqual([
      [id, 1, `JobTimeoutError: Job ${id} timed out after 100 ms (the channel's timeoutMs)`],
    ])
    const row = store.jobResult(id)!
    expect(row.state).toBe('failed')
    expect(decodeJobOutcome(row.payload)).toMatchObject({ ok: false, failure: { code: 'ERR_JOB_TIMEOUT' } })
  })

  it('time each delivery from its own start, at concurrency 2', () => {
    const clock = new SimulatedClock()
    clock.set(t0)
    const first = publish('first')
    const deliveries = consume(clock, { ...base, concurrency: 2, timeoutMs: 1000, backoffInitialMs: 60_000, backoffMaxMs: 60_000 }, () => {})
    clock.increment(300)
    const second = publish('second')
    consumer!.send({ type: 'wake' })
    expect(deliveries.map((d) => [d.message.id, d.at])).toEqual([[first, t0], [second, t0 + 300]])
    clock.increment(699)
    expect(deliveries.map((d) => d.signal.aborted)).toEqual([false, false])
    clock.increment(1)
    expect(deliveries.map((d) => d.signal.aborted)).toEqual([true, false])
    clock.increment(299)
    expect(deliveries[1]!.signal.aborted).toBe(false)
    clock.increment(1)
    expect(deliveries[1]!.signal.aborted).toBe(true)
    expect(store.messagesAfter(0, 'jobs', 10).map((m) => [m.id, m.leased, m.attempts])).toEqual([[first, false, 1], [second, false, 1]])
  })

  it('start no timer without timeoutMs: a long delivery keeps running', () => {
    const clock = new SimulatedClock()
    clock.set(t0)
    const id = publish('long')
    const deliveries = consume(clock, base, () => {})
    clock.increment(3_600_000)
    expect(deliveries[0]!.signal.aborted).toBe(false)
    expect(stored()).toEqual([{ id, leased: true }]) // renewed all along
    deliveries[0]!.done({ ok: true })
    expect(stored()).toEqual([])
  })
})

describe('cancellation by another process', () => {
  it('aborts the running delivery within two control reads and never retries it', () => {
    const clock = new SimulatedClock()
    clock.set(t0)
    const id = publish('job')
    const deliveries = consume(clock, base, () => {})
    expect(other.cancel(id, t0)).toBe(true)
    clock.increment(CONTROL_MS)
    clock.increment(CONTROL_MS)
    const { reason } = deliveries[0]!.signal as AbortSignal & { reason: unknown }
    expect(reason).toBeInstanceOf(JobCancelledError)
    expect(reason).toMatchObject({ code: 'ERR_JOB_CANCELLED', jobId: id })

    // Whatever it does afterwards is not recorded: no retry, no dead letter, the outcome stays cancelled.
    deliveries[0]!.done({ ok: false, error: new Error('aborted') })
    clock.increment(60_000)
    expect(deliveries).toHaveLength(1)
    expect(store.deadLetters('jobs')).toEqual([])
    expect(store.jobResult(id)?.state).toBe('cancelled')
  })

  it('drops a cancelled message from the claimed batch: it never starts, the ones behind it do', () => {
    const clock = new SimulatedClock()
    clock.set(t0)
    const ids = ['quick', 'held', 'cancelled', 'last'].map((t) => publish(t))
    // The first answers at once (so the next claim takes the rest as a batch); the second is held.
    const deliveries = consume(clock, base, (d) => (d.message.id === ids[1] ? undefined : d.done({ ok: true })))
    expect(deliveries.map((d) => d.message.id)).toEqual(ids.slice(0, 2))
    expect(stored()).toEqual(ids.slice(1).map((id) => ({ id, leased: true }))) // claimed ahead
    other.cancel(ids[2]!, t0)
    clock.increment(CONTROL_MS)
    deliveries[1]!.done({ ok: true })
    expect(deliveries.map((d) => d.message.id)).toEqual([ids[0], ids[1], ids[3]])
    expect(stored()).toEqual([])
  })
})

describe('a pause by another process, seen mid-batch', () => {
  it('hands the waiting batch back at the next control read and claims nothing until resumed', () => {
    const clock = new SimulatedClock()
    clock.set(t0)
    const ids = ['quick', 'held', 'b', 'c'].map((t) => publish(t))
    const deliveries = consume(clock, base, (d) => (d.message.id === ids[1] ? undefined : d.done({ ok: true })))
    other.setPaused('jobs', true)
    clock.increment(CONTROL_MS - 1)
    expect(stored()).toEqual(ids.slice(1).map((id) => ({ id, leased: true })))
    clock.increment(1)
    // Handed back at their place in line; the delivery in flight keeps its lease and finishes.
    expect(stored()).toEqual([{ id: ids[1], leased: true }, { id: ids[2], leased: false }, { id: ids[3], leased: false }])
    deliveries[1]!.done({ ok: true })
    clock.increment(60_000)
    expect(deliveries).toHaveLength(2)
    expect(idle.size).toBe(1)

    // Another process's commit reaches an idle consumer as a recheck: it still reads paused.
    for (const c of [...idle]) (c as ConsumerActor).send({ type: 'recheck' })
    expect(deliveries).toHaveLength(2)
    other.setPaused('jobs', false)
    for (const c of [...idle]) (c as ConsumerActor).send({ type: 'recheck' })
    expect(deliveries.map((d) => d.message.id)).toEqual(ids)
    expect(stored()).toEqual([])
  })
})
