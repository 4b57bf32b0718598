// A consumer on a store whose consumer side answers asynchronously, as a backend that talks to a
// server does (store/contract.ts, Answer<T>): the real SQLite store behind it, each of those calls
// run on a later turn of the event loop (a round trip) and answered by a promise. Order, acks,
// retries and dead letters, a careful message's start recorded before its delivery, job outcomes,
// and a stop while a claim is out must all hold as they do on the synchronous store.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startConsumer } from '../../../src/actors/durable/consumerMachine.js'
import type { ConsumerActor } from '../../../src/actors/durable/consumerMachine.js'
import type { ConsumerInput } from '../../../src/actors/durable/consumerInput.js'
import { openSqliteStore } from '../../../src/store/index.js'
import type { ChannelConfig, ClaimedMessage, Store, SyncStore } from '../../../src/store/index.js'
import { StoreError } from '../../../src/errors.js'
import { asyncStore } from '../../store/asyncStore.js'

const config: ChannelConfig = {
  maxAttempts: 3, backoffInitialMs: 1, backoffMaxMs: 2, concurrency: 1, leaseMs: 30_000, maxMessageBytes: null, maxDepth: null,
  timeoutMs: null, rateLimit: null,
}

let dir: string
let sync: SyncStore
let consumer: ConsumerActor | undefined
const errors: unknown[] = []

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'durable-ipc-async-'))
  sync = openSqliteStore({ path: join(dir, 'async.db') })
  sync.declareChannel('jobs', config)
  errors.length = 0
})
afterEach(() => {
  consumer?.stop()
  consumer = undefined
  sync.close()
  rmSync(dir, { recursive: true, force: true })
})

function consume(store: Store, deliver: ConsumerInput['deliver'], extra: Partial<ConsumerInput> = {}): void {
  consumer = startConsumer({
    store, watch: { send: () => {} }, channel: 'jobs', subscription: 'main', owner: 'test-host/1/async',
    config: () => config, hasReceiver: () => true, deliver, onError: (error) => void errors.push(error), ...extra,
  })
}

const publish = (text: string): number => sync.publish({ channel: 'jobs', payload: JSON.stringify(text), kind: 'message', visibleAt: Date.now(), now: Date.now() }).id
const until = async (check: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}
const queued = (): number => sync.stats().reduce((n, s) => n + s.ready + s.delayed + s.inFlight, 0)

describe('a consumer on a store that answers asynchronously', () => {
  it('delivers in order and acknowledges everything, synchronous and async listeners alike', async () => {
    const { store, pending } = asyncStore(sync)
    for (let i = 0; i < 300; i++) publish(`m${i}`)
    const got: string[] = []
    consume(store, (message, done) => {
      got.push(JSON.parse(message.payload as string) as string)
      if (got.length % 2 === 0) done({ ok: true })
      else setImmediate(() => done({ ok: true }))
    })
    await until(() => got.length === 300 && queued() === 0 && pending() === 0)
    expect(got).toEqual(Array.from({ length: 300 }, (_, i) => `m${i}`))
    expect(errors).toEqual([])
  })

  it('retries with back-off and dead-letters after maxAttempts', async () => {
    const { store } = asyncStore(sync)
    const id = publish('doomed')
    const attempts: number[] = []
    consume(store, (message, done) => {
      attempts.push(message.attempt)
      done({ ok: false, error: new Error(`attempt ${message.attempt}`) })
    })
    await until(() => sync.deadLetters('jobs').length === 1)
    expect(attempts).toEqual([1, 2, 3])
    expect(sync.deadLetters('jobs')[0]).toMatchObject({ id, attempts: 3 })
  })

  it('records a careful message’s start before delivering it', async () => {
    const { store } = asyncStore(sync)
    const id = publish('careful')
    // Claimed by a consumer that died before recording the start: careful from now on.
    sync.claim('jobs', 'main', 'other-host/9/dead', Date.now(), 30_000, 1, 0)
    sync.release('other-host/9/dead', Date.now())
    let attemptsWhenDelivered = -1
    consume(store, (message, done) => {
      attemptsWhenDelivered = sync.messagesAfter(0, 'jobs', 1)[0]!.attempts
      expect(message.careful).toBe(true)
      done({ ok: true })
    })
    await until(() => queued() === 0)
    expect(sync.job(id, Date.now())).toBeUndefined()
    expect(attemptsWhenDelivered).toBe(1)
  })

  it('backs off when recording a start fails, rather than retrying it at once, and writes the refused acknowledgements once the store answers', async () => {
    const { store } = asyncStore(sync)
    for (const text of ['a', 'b', 'c', 'd']) publish(text)
    // The server is out of reach for a while: each report is refused at once (a store that knows
    // it is down fails fast); claims still work. A consumer that retried a start record at once
    // would spin without yielding: after 1,000 tries the store gives in, so that such a consumer
    // ends the spin and fails below.
    let reports = 0
    let down = true
    const failing: Store = {
      ...store,
      report: (owner, input) => (down && ++reports < 1000 ? Promise.reject(new StoreError('ERR_STORE_UNAVAILABLE', 'out of reach')) : store.report(owner, input)),
    }
    const got: string[] = []
    // A slow listener (a few ms): the second claim takes the rest, and each start after the first
    // is recorded on its own before its delivery.
    consume(failing, (message, done) => {
      got.push(JSON.parse(message.payload as string) as string)
      setTimeout(() => done({ ok: true }), 3)
    })
    await new Promise((resolve) => setTimeout(resolve, 600))
    // A few acknowledgement flushes and about one start record per back-off (250 ms), not one per turn.
    expect(reports).toBeGreaterThanOrEqual(1)
    expect(reports).toBeLessThanOrEqual(10)
    expect(got).toEqual(['a', 'b'])
    // Back: the rest is delivered, and the acknowledgements of a and b, refused meanwhile, are
    // written then (they were kept, not dropped until the lease ran out: 30 s).
    down = false
    await until(() => queued() === 0)
    expect(got).toEqual(['a', 'b', 'c', 'd'])
  })

  it('stores a job’s outcome and tells its waiters only once it is stored', async () => {
    const { store } = asyncStore(sync)
    const id = sync.publish({ channel: 'jobs', payload: '"job"', kind: 'invoke', visibleAt: Date.now(), now: Date.now() }).id
    const settled: Array<boolean> = []
    consume(store, (_message, done) => done({ ok: true, result: new Uint8Array([7]) }), {
      onJobSettled: (jobId) => void settled.push(jobId === id && sync.jobResult(id) !== undefined),
    })
    await until(() => settled.length === 1)
    expect(settled).toEqual([true])
  })

  it('hands back a batch whose claim came back after the consumer was stopped', async () => {
    const { store, pending } = asyncStore(sync)
    for (let i = 0; i < 5; i++) publish(`m${i}`)
    const got: ClaimedMessage[] = []
    consume(store, (message, done) => {
      got.push(message)
      done({ ok: true })
    })
    // The first claim is out (answered on a later turn): stop now.
    expect(pending()).toBeGreaterThan(0)
    consumer!.send({ type: 'stop' })
    await until(() => pending() === 0)
    await until(() => sync.stats()[0]!.inFlight === 0)
    expect(got).toEqual([])
    expect(sync.stats()[0]).toMatchObject({ ready: 5, inFlight: 0 })
    // Handed back unattempted: a new consumer gets them all, attempt 1, in order.
    const again: string[] = []
    consume(sync, (message, done) => {
      again.push(`${JSON.parse(message.payload as string) as string}@${message.attempt}`)
      done({ ok: true })
    })
    await until(() => again.length === 5)
    expect(again).toEqual(['m0@1', 'm1@1', 'm2@1', 'm3@1', 'm4@1'])
  })

  it('goes idle when the queue is empty and wakes for a new message', async () => {
    const { store, pending } = asyncStore(sync)
    const got: string[] = []
    consume(store, (message, done) => {
      got.push(JSON.parse(message.payload as string) as string)
      done({ ok: true })
    })
    await until(() => pending() === 0 && consumer!.getSnapshot().matches('idle'))
    publish('late')
    consumer!.send({ type: 'wake' })
    await until(() => got.length === 1 && queued() === 0)
    expect(got).toEqual(['late'])
  })
})
