// Cancel and progress in the store: cancel (delayed, waiting, active; nothing for a job that already
// ended), what a cancelled job's former owner can still write (nothing), what job() reads of a
// cancelled job, cancelledAmong, and progress written only for deliveries held. (Priorities, job
// state, pause and rate limits: jobControl.test.ts.)

import { beforeEach, describe, expect, it } from 'vitest'
import { decodeJobOutcome } from '../../../src/protocol/jobOutcome.js'
import type { Store } from '../../../src/store/index.js'
import { channelConfig, message } from '../helpers.js'
import { backends } from './backends.js'
import { useStores } from './fixture.js'

const t0 = 1_700_000_000_000
const bytes = (n: number): Uint8Array => new Uint8Array([n])

describe.each(backends)('$name store', (backend) => {
  const stores = useStores(backend)
  let store: Store
  let owner: string

  beforeEach(() => {
    store = stores.store()
    store.declareChannel('jobs', channelConfig({ maxAttempts: 1 }))
    owner = backend.ownerId()
  })

  /** The outcome stored under `id`, decoded, with its state. */
  const outcome = (id: number) => {
    const row = store.jobResult(id)
    return row && { state: row.state, ...decodeJobOutcome(row.payload, row.state) }
  }

  describe('cancel', () => {
    it('cancels a waiting job: its message goes, a cancelled outcome stays under its id', async () => {
      const { id } = store.publish(message('jobs', 'a', t0))
      expect(store.cancel(id, t0 + 5)).toBe(true)
      expect(store.messagesAfter(0, 'jobs', 10)).toEqual([])
      expect((await store.claim('jobs', 'main', owner, t0 + 10, 1000, 10))).toEqual([])
      expect(store.jobResult(id)).toMatchObject({ id, ok: false, completedAt: t0 + 5, state: 'cancelled' })
      expect(outcome(id)).toMatchObject({ ok: false, cancelled: true, failure: { name: 'JobCancelledError', code: 'ERR_JOB_CANCELLED' } })
      expect(store.stats(t0 + 10).find((s) => s.channel === 'jobs')).toMatchObject({ ready: 0, delayed: 0, inFlight: 0, dead: 0 })
      expect(store.job(id, t0 + 10)).toMatchObject({
        id, channel: 'jobs', subscription: 'main', state: 'cancelled', attempts: 0, priority: 0, createdAt: t0, runAt: t0, lastError: null,
      })
    })

    it('cancels a delayed job', async () => {
      const { id } = store.publish(message('jobs', 'later', t0, { visibleAt: t0 + 60_000 }))
      expect(store.cancel(id, t0)).toBe(true)
      expect((await store.nextVisibleAt('jobs', 'main'))).toBeNull()
      expect((await store.claim('jobs', 'main', owner, t0 + 60_000, 1000, 1))).toEqual([])
    })

    it('cancels an active job: its owner’s ack, result, failure and renewal find nothing held and write nothing', async () => {
      const first = store.publish(message('jobs', 'running', t0, { kind: 'invoke', priority: 3 })).id
      const second = store.publish(message('jobs', 'failing', t0)).id
      const third = store.publish(message('jobs', 'acked', t0)).id
      expect((await store.claim('jobs', 'main', owner, t0, 1000, 3)).map((m) => m.id)).toEqual([first, second, third])
      for (const id of [first, second, third]) expect(store.cancel(id, t0 + 1)).toBe(true)

      await store.ackWithResult(first, owner, true, bytes(1), t0 + 2)
      await store.fail({ id: second, owner, error: 'Error: late', retryAt: null, now: t0 + 2, result: bytes(2) })
      expect((await store.report(owner, { acks: [third], starts: [first], renew: { ids: [first, second, third], leaseUntil: t0 + 5000 } }))).toEqual([])
      for (const id of [first, second, third]) expect(store.jobResult(id)).toMatchObject({ state: 'cancelled', ok: false, completedAt: t0 + 1 })
      expect(store.deadLetters('jobs')).toEqual([])
      expect(store.messagesAfter(0, 'jobs', 10)).toEqual([])
      expect(store.job(first, t0 + 3)).toMatchObject({ state: 'cancelled', attempts: 1, priority: 3 })
    })

    it('cancels nothing, writing nothing, for a dead, completed, cancelled, acknowledged or unknown job', async () => {
      const dead = store.publish(message('jobs', 'dead', t0, { kind: 'invoke' })).id
      const completed = store.publish(message('jobs', 'done', t0, { kind: 'invoke' })).id
      const acked = store.publish(message('jobs', 'acked', t0)).id
      const cancelled = store.publish(message('jobs', 'cancelled', t0)).id
      await store.claim('jobs', 'main', owner, t0, 1000, 3)
      await store.fail({ id: dead, owner, error: 'Error: boom', retryAt: null, now: t0 + 1, result: bytes(9) })
      await store.ackWithResult(completed, owner, true, bytes(7), t0 + 1)
      await store.ack([acked], owner)
      expect(store.cancel(cancelled, t0 + 1)).toBe(true)

      for (const id of [dead, completed, acked, cancelled, cancelled + 100]) expect(store.cancel(id, t0 + 2)).toBe(false)
      expect(store.deadLetters('jobs').map((d) => d.id)).toEqual([dead])
      expect(store.jobResult(dead)).toMatchObject({ state: 'failed', ok: false, completedAt: t0 + 1 })
      expect(store.jobResult(completed)).toMatchObject({ state: 'completed', ok: true, completedAt: t0 + 1 })
      expect(store.jobResult(cancelled)).toMatchObject({ state: 'cancelled', completedAt: t0 + 1 })
      expect(store.jobResult(acked)).toBeUndefined()
    })

    it('never gives a cancelled job’s id to a new message, also once its outcome is pruned', async () => {
      const { id } = store.publish(message('jobs', 'a', t0))
      store.cancel(id, t0)
      expect(store.publish(message('jobs', 'b', t0)).id).toBeGreaterThan(id)
      const { id: last } = store.publish(message('jobs', 'c', t0))
      store.cancel(last, t0)
      expect(store.pruneJobResults(t0 + 1, 10)).toBe(2)
      expect(store.publish(message('jobs', 'd', t0)).id).toBeGreaterThan(last)
    })

    it('is seen by another connection on the same database', async () => {
      const database = stores.database()
      const a = database.open()
      a.declareChannel('jobs', channelConfig())
      const b = database.open()
      const { id } = a.publish(message('jobs', 'x', t0))
      await a.claim('jobs', 'main', owner, t0, 1000, 1)
      expect(b.cancel(id, t0 + 1)).toBe(true)
      expect((await a.cancelledAmong([id]))).toEqual([id])
      expect((await a.renew([id], owner, t0 + 5000))).toEqual([])
    })
  })

  describe('cancelledAmong', () => {
    it('names the cancelled ones among those asked about, and nothing for an empty list', async () => {
      const ids = ['a', 'b', 'c', 'd'].map((t) => store.publish(message('jobs', t, t0)).id)
      await store.claim('jobs', 'main', owner, t0, 1000, 1)
      store.cancel(ids[0]!, t0)
      store.cancel(ids[2]!, t0)
      expect((await store.cancelledAmong(ids)).sort((x, y) => x - y)).toEqual([ids[0], ids[2]])
      expect((await store.cancelledAmong([ids[1]!, ids[3]!]))).toEqual([])
      expect((await store.cancelledAmong([]))).toEqual([])
    })

    it('does not count a job that completed or failed', async () => {
      const done = store.publish(message('jobs', 'done', t0, { kind: 'invoke' })).id
      const failed = store.publish(message('jobs', 'failed', t0, { kind: 'invoke' })).id
      await store.claim('jobs', 'main', owner, t0, 1000, 2)
      await store.ackWithResult(done, owner, true, bytes(1), t0)
      await store.fail({ id: failed, owner, error: 'Error', retryAt: null, now: t0, result: bytes(2) })
      expect((await store.cancelledAmong([done, failed]))).toEqual([])
    })
  })

  describe('setProgress', () => {
    it('writes the progress of deliveries the owner holds, in one call, and skips the rest', async () => {
      const ids = ['a', 'b', 'c'].map((t) => store.publish(message('jobs', t, t0)).id)
      await store.claim('jobs', 'main', owner, t0, 1000, 2)
      const updates = ids.map((id, n) => ({ id, payload: bytes(n) }))
      expect((await store.setProgress(owner, updates))).toBe(2) // the third is not leased
      expect((await store.setProgress(backend.ownerId(), updates))).toBe(0)
      expect((await store.setProgress(owner, []))).toBe(0)
      await store.ack([ids[0]!], owner)
      expect((await store.setProgress(owner, updates))).toBe(1)
      expect(store.job(ids[1]!, t0)?.progress).toEqual(bytes(1))
    })
  })
})
