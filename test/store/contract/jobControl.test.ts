// The job control plane as the store contract defines it: priorities, bulk publish, job state
// wherever a job is, pause, and rate limits (a sliding window shared through the store).

import { beforeEach, describe, expect, it } from 'vitest'
import { MessageTooLargeError, QueueFullError, UnknownChannelError } from '../../../src/errors.js'
import type { ClaimedMessage, Store } from '../../../src/store/index.js'
import { channelConfig, message, text } from '../helpers.js'
import { backends } from './backends.js'
import { useStores } from './fixture.js'

const t0 = 1_700_000_000_000

describe.each(backends)('$name store', (backend) => {
  const stores = useStores(backend)
  let store: Store
  let owner: string

  beforeEach(() => {
    store = stores.store()
    owner = backend.ownerId()
    store.declareChannel('jobs', channelConfig())
  })

  const texts = (claimed: readonly ClaimedMessage[]): string[] => claimed.map((m) => text(m.payload))

  describe('priorities', () => {
    it('claims higher priorities first, FIFO within one, and says which', async () => {
      for (const [name, priority] of [['a', 0], ['b', 5], ['c', 0], ['d', 5], ['e', -3], ['f', 10]] as const) {
        store.publish(message('jobs', name, t0, { priority }))
      }
      const claimed = (await store.claim('jobs', 'main', owner, t0, 1000, 10))
      expect(texts(claimed)).toEqual(['f', 'b', 'd', 'a', 'c', 'e'])
      expect(claimed.map((m) => m.priority)).toEqual([10, 5, 5, 0, 0, -3])
    })

    it('passes over delayed jobs of a higher priority to ready ones of a lower', async () => {
      for (let i = 0; i < 50; i++) store.publish(message('jobs', `later-${i}`, t0 + 60_000, { priority: 9, now: t0 }))
      store.publish(message('jobs', 'now', t0))
      expect(texts((await store.claim('jobs', 'main', owner, t0, 1000, 5)))).toEqual(['now'])
      expect((await store.nextVisibleAt('jobs', 'main', owner, t0))).toBe(t0 + 60_000)
      expect(texts((await store.claim('jobs', 'main', owner, t0 + 60_000, 1000, 2)))).toEqual(['later-0', 'later-1'])
    })

    it('keeps a retried job at its priority', async () => {
      const { id } = store.publish(message('jobs', 'high', t0, { priority: 3 }))
      store.publish(message('jobs', 'low', t0))
      await store.claim('jobs', 'main', owner, t0, 1000, 1)
      await store.fail({ id, owner, error: 'boom', retryAt: t0, now: t0 })
      expect(texts((await store.claim('jobs', 'main', owner, t0, 1000, 2)))).toEqual(['high', 'low'])
    })

    it('keeps a dead letter’s priority through a replay', async () => {
      const { id } = store.publish(message('jobs', 'high', t0, { priority: 4 }))
      await store.claim('jobs', 'main', owner, t0, 1000, 1)
      await store.fail({ id, owner, error: 'boom', retryAt: null, now: t0 })
      store.publish(message('jobs', 'plain', t0))
      expect(store.replay('jobs', [id], t0 + 1)).toBe(1)
      expect(texts((await store.claim('jobs', 'main', owner, t0 + 1, 1000, 2)))).toEqual(['high', 'plain'])
    })
  })

  describe('publishMany', () => {
    it('stores every message in order, with its own options', async () => {
      const results = store.publishMany([message('jobs', 'a', t0), message('jobs', 'b', t0, { priority: 1 }), message('jobs', 'a2', t0, { key: 'k' })])
      expect(results.map((r) => r.duplicate)).toEqual([false, false, false])
      expect(results[1]!.id).toBeGreaterThan(results[0]!.id)
      expect(texts((await store.claim('jobs', 'main', owner, t0, 1000, 10)))).toEqual(['b', 'a', 'a2'])
    })

    it('keeps input order and ids across long runs, keys, other channels and fan-out', async () => {
      store.declareChannel('other', channelConfig())
      store.declareChannel('fan', channelConfig())
      store.ensureSubscription('fan', 'audit')
      const inputs = [
        ...Array.from({ length: 120 }, (_, i) => message('jobs', `p${i}`, t0)),
        message('jobs', 'keyed', t0, { key: 'k' }),
        message('other', 'o', t0),
        message('fan', 'f', t0),
        message('jobs', 'last', t0, { priority: 2 }),
      ]
      const results = store.publishMany(inputs)
      const ids = results.map((r) => r.id)
      expect(ids).toEqual([...ids].sort((a, b) => a - b))
      expect(new Set(ids).size).toBe(ids.length)
      const claimed = (await store.claim('jobs', 'main', owner, t0, 1000, 200))
      expect(texts(claimed)).toEqual(['last', ...Array.from({ length: 120 }, (_, i) => `p${i}`), 'keyed'])
      expect(claimed.find((m) => text(m.payload) === 'p119')?.id).toBe(ids[119])
      expect(texts((await store.claim('other', 'main', owner, t0, 1000, 5)))).toEqual(['o'])
      expect(texts((await store.claim('fan', 'audit', owner, t0, 1000, 5)))).toEqual(['f'])
      // A message published after the bulk gets a higher id still.
      expect(store.publish(message('jobs', 'after', t0)).id).toBeGreaterThan(Math.max(...ids))
    })

    it('refuses a too-large message in the middle of a run, storing none of it', async () => {
      store.declareChannel('sized', channelConfig({ maxMessageBytes: 10 }))
      const inputs = [message('sized', 'ok', t0), message('sized', 'far too large to store', t0), message('sized', 'ok2', t0)]
      expect(() => store.publishMany(inputs)).toThrow(MessageTooLargeError)
      expect(store.stats(t0).find((s) => s.channel === 'sized')?.ready).toBe(0)
    })

    it('stores nothing when one item fails', async () => {
      store.declareChannel('small', channelConfig({ maxDepth: 2 }))
      store.publish(message('small', 'x', t0))
      expect(() => store.publishMany([message('small', 'a', t0), message('small', 'b', t0)])).toThrow(QueueFullError)
      expect(() => store.publishMany([message('small', 'a', t0), message('nowhere', 'b', t0)])).toThrow(UnknownChannelError)
      expect(store.stats(t0).find((s) => s.channel === 'small')?.ready).toBe(1)
    })
  })

  describe('job state', () => {
    it('reads delayed, waiting and active from the queue', async () => {
      const waiting = store.publish(message('jobs', 'w', t0, { priority: 2 })).id
      const delayed = store.publish(message('jobs', 'd', t0 + 5000, { now: t0 })).id
      expect(store.job(waiting, t0)).toMatchObject({ id: waiting, channel: 'jobs', subscription: 'main', state: 'waiting', attempts: 0, priority: 2, createdAt: t0, runAt: t0, lastError: null, progress: null })
      expect(store.job(delayed, t0)).toMatchObject({ state: 'delayed', runAt: t0 + 5000 })
      await store.claim('jobs', 'main', owner, t0, 1000, 1)
      expect(store.job(waiting, t0 + 1)).toMatchObject({ state: 'active', attempts: 1 })
      // A lease that ran out reads as waiting: the next claim takes it.
      expect(store.job(waiting, t0 + 1000)?.state).toBe('waiting')
    })

    it('reads dead letters and outcomes, and nothing of an acknowledged message', async () => {
      const acked = store.publish(message('jobs', 'a', t0)).id
      const dead = store.publish(message('jobs', 'b', t0)).id
      const completed = store.publish(message('jobs', 'c', t0, { kind: 'invoke', priority: 1 })).id
      const failed = store.publish(message('jobs', 'd', t0, { kind: 'invoke' })).id
      await store.claim('jobs', 'main', owner, t0, 1000, 4)
      await store.ack([acked], owner)
      await store.fail({ id: dead, owner, error: 'boom', retryAt: null, now: t0 + 1 })
      await store.ackWithResult(completed, owner, true, new Uint8Array([1]), t0 + 2)
      await store.fail({ id: failed, owner, error: 'bad', retryAt: null, now: t0 + 3, result: new Uint8Array([2]) })
      expect(store.job(acked, t0 + 5)).toBeUndefined()
      expect(store.job(dead, t0 + 5)).toMatchObject({ state: 'dead', attempts: 1, lastError: 'boom', runAt: t0 + 1 })
      expect(store.job(completed, t0 + 5)).toMatchObject({ state: 'completed', channel: 'jobs', attempts: 1, priority: 1, createdAt: t0 })
      expect(store.job(failed, t0 + 5)).toMatchObject({ state: 'dead', lastError: 'bad' })
      // Purged, a handler job's failure is still its outcome.
      store.purgeDeadLetters('jobs')
      expect(store.job(dead, t0 + 5)).toBeUndefined()
      expect(store.job(failed, t0 + 5)).toMatchObject({ state: 'dead', lastError: 'bad' })
    })

    it('lists a channel’s jobs in id order, by state, a page at a time', async () => {
      store.declareChannel('other', channelConfig())
      const ids: number[] = []
      for (let i = 0; i < 5; i++) {
        ids.push(store.publish(message('jobs', `j${i}`, i === 4 ? t0 + 9000 : t0, { now: t0 })).id)
        store.publish(message('other', `o${i}`, t0))
      }
      const [first] = (await store.claim('jobs', 'main', owner, t0, 1000, 1))
      await store.fail({ id: first!.id, owner, error: 'x', retryAt: null, now: t0 })
      const all = store.jobs('jobs', { limit: 100, afterId: 0 }, t0)
      expect(all.map((j) => j.id)).toEqual(ids)
      expect(all.map((j) => j.state)).toEqual(['dead', 'waiting', 'waiting', 'waiting', 'delayed'])
      expect(store.jobs('jobs', { limit: 2, afterId: 0 }, t0).map((j) => j.id)).toEqual(ids.slice(0, 2))
      expect(store.jobs('jobs', { limit: 2, afterId: ids[1]! }, t0).map((j) => j.id)).toEqual(ids.slice(2, 4))
      expect(store.jobs('jobs', { state: 'waiting', limit: 100, afterId: 0 }, t0).map((j) => j.id)).toEqual(ids.slice(1, 4))
      expect(store.jobs('jobs', { state: 'delayed', limit: 100, afterId: 0 }, t0).map((j) => j.id)).toEqual([ids[4]])
      expect(store.jobs('jobs', { state: 'dead', limit: 100, afterId: 0 }, t0).map((j) => j.id)).toEqual([ids[0]])
      await store.claim('jobs', 'main', owner, t0, 1000, 1)
      expect(store.jobs('jobs', { state: 'active', limit: 100, afterId: 0 }, t0).map((j) => j.id)).toEqual([ids[1]])
      expect(store.jobs('jobs', { state: 'completed', limit: 100, afterId: 0 }, t0)).toEqual([])
    })
  })

  describe('pause', () => {
    it('claims nothing while paused, for every store on the database, and says so', async () => {
      const database = stores.database()
      const a = database.open()
      const b = database.open()
      a.declareChannel('jobs', channelConfig())
      a.publish(message('jobs', 'x', t0))
      expect(b.isPaused('jobs')).toBe(false)
      a.setPaused('jobs', true)
      expect(b.isPaused('jobs')).toBe(true)
      expect((await b.claim('jobs', 'main', owner, t0, 1000, 1))).toEqual([])
      expect((await b.nextVisibleAt('jobs', 'main', owner, t0))).toBeNull()
      // Sends are still stored.
      b.publish(message('jobs', 'y', t0))
      // A declaration leaves the pause alone.
      b.declareChannel('jobs', channelConfig({ maxAttempts: 9 }))
      expect(a.isPaused('jobs')).toBe(true)
      b.setPaused('jobs', false)
      expect(texts((await a.claim('jobs', 'main', owner, t0, 1000, 5)))).toEqual(['x', 'y'])
    })

    it('refuses an unknown channel', async () => {
      expect(() => store.setPaused('nowhere', true)).toThrow(UnknownChannelError)
      expect(() => store.isPaused('nowhere')).toThrow(UnknownChannelError)
    })
  })

  describe('rate limits', () => {
    it('starts at most max within any interval, across stores, in a sliding window', async () => {
      const database = stores.database()
      const a = database.open()
      const b = database.open()
      a.declareChannel('api', channelConfig({ rateLimit: { max: 3, intervalMs: 1000 }, concurrency: 10 }))
      for (let i = 0; i < 10; i++) a.publish(message('api', `m${i}`, t0))
      // Two at the end of one second, from one store...
      expect((await a.claim('api', 'main', owner, t0 + 900, 1000, 2, 2))).toHaveLength(2)
      // ...leave one for the other store, however many it asks for, and it claims none ahead.
      const other = backend.ownerId()
      const claimed = (await b.claim('api', 'main', other, t0 + 1100, 1000, 10, 10))
      expect(claimed).toHaveLength(1)
      expect(claimed[0]!.started).toBe(true)
      expect((await b.claim('api', 'main', other, t0 + 1899, 1000, 10, 10))).toEqual([])
      // Full until the first two leave the window (t0 + 900 + 1000).
      expect((await b.nextVisibleAt('api', 'main', other, t0 + 1899))).toBe(t0 + 1900)
      expect((await b.claim('api', 'main', other, t0 + 1900, 1000, 10, 10))).toHaveLength(2)
      expect((await b.claim('api', 'main', other, t0 + 2099, 1000, 10, 10))).toEqual([])
      expect((await b.claim('api', 'main', other, t0 + 2100, 1000, 10, 10))).toHaveLength(1)
    })
  })
})
