// Attempts count the deliveries that started; leases that end without an outcome (an owner that is
// gone, a lease that ran out, a delivery given up, an owner's leases released) count what started,
// mark the rest careful, keep each message's place in line, and send a message whose attempts are
// used up to the dead letters.

import { beforeEach, describe, expect, it } from 'vitest'
import type { Store } from '../../../src/store/index.js'
import { channelConfig, message, text } from '../helpers.js'
import { backends } from './backends.js'
import { useStores } from './fixture.js'

const t0 = 1_700_000_000_000

describe.each(backends)('$name store', (backend) => {
  const stores = useStores(backend)
  const alive = backend.ownerId()
  const deadOwner = backend.goneOwnerId
  const newOwnerId = backend.ownerId
  let store: Store

  beforeEach(() => {
    store = stores.store()
    store.declareChannel('jobs', channelConfig({ maxAttempts: 3 }))
  })

  function publish(...texts: string[]): number[] {
    return texts.map((t) => store.publish(message('jobs', t, t0)).id)
  }

  function attemptsOf(id: number): number | undefined {
    return store.messagesAfter(id - 1, 'jobs', 1).find((m) => m.id === id)?.attempts
  }

  describe('attempts', () => {
    it('are counted for the deliveries a claim starts, and for the others when reported started', async () => {
      const [a, b, c] = publish('a', 'b', 'c')
      const claimed = (await store.claim('jobs', 'main', alive, t0, 1000, 3, 1))
      expect(claimed.map((m) => [m.started, m.attempt])).toEqual([[true, 1], [false, 1], [false, 1]])
      expect([a, b, c].map((id) => attemptsOf(id!))).toEqual([1, 0, 0])
      await store.report(alive, { acks: [a!], starts: [b!] })
      expect([b, c].map((id) => attemptsOf(id!))).toEqual([1, 0])
      // A second report of the same start counts nothing more.
      await store.report(alive, { acks: [], starts: [b!] })
      expect(attemptsOf(b!)).toBe(1)
    })

    it('counts a failed attempt whose start was not reported', async () => {
      const [a] = publish('a')
      await store.claim('jobs', 'main', alive, t0, 1000, 1, 0)
      await store.fail({ id: a!, owner: alive, error: 'boom', retryAt: t0, now: t0 })
      expect((await store.claim('jobs', 'main', alive, t0, 1000, 1)).map((m) => m.attempt)).toEqual([2])
    })

    it('takes back a start the claim counted when the message is handed back undelivered', async () => {
      const [a] = publish('a')
      await store.claim('jobs', 'main', alive, t0, 1000, 1, 1)
      expect((await store.handBack([a!], alive, t0, false))).toBe(1)
      expect(attemptsOf(a!)).toBe(0)
    })
  })

  describe('leases that end without an outcome', () => {
    it('of a dead owner: started deliveries count, the rest come back careful with their count unchanged', async () => {
      const gone = deadOwner()
      const [a, b, c] = publish('a', 'b', 'c')
      await store.claim('jobs', 'main', gone, t0, 60_000, 3, 1)
      expect((await store.releaseDeadOwners(t0 + 5))).toBe(3)
      const again = (await store.claim('jobs', 'main', alive, t0 + 5, 1000, 3, 0))
      expect(again.map((m) => [m.id, m.attempt, m.careful])).toEqual([[a, 2, false], [b, 1, true], [c, 1, true]])
      const stored = store.messagesAfter(0, 'jobs', 10)
      expect(stored.map((m) => m.attempts)).toEqual([1, 0, 0])
    })

    it('of a dead owner only: the leases of live owners stay, and a second sweep finds nothing', async () => {
      const gone = deadOwner()
      publish('gone', 'alive')
      await store.claim('jobs', 'main', gone, t0, 60_000, 1)
      await store.claim('jobs', 'main', alive, t0, 60_000, 1)
      expect((await store.releaseDeadOwners(t0 + 10))).toBe(1)
      const again = (await store.claim('jobs', 'main', newOwnerId(), t0 + 10, 60_000, 10))
      expect(again.map((m) => [text(m.payload), m.attempt])).toEqual([['gone', 2]])
      expect((await store.releaseDeadOwners(t0 + 10))).toBe(0)
    })

    it('dead-letters a message whose started deliveries keep killing the process, after maxAttempts', async () => {
      const [poison, other] = publish('poison', 'other')
      for (let crash = 1; crash <= 3; crash++) {
        const gone = deadOwner()
        const [first] = (await store.claim('jobs', 'main', gone, t0, 60_000, 1, 1))
        expect(first?.id).toBe(poison)
        expect(first?.attempt).toBe(crash)
        await store.releaseDeadOwners(t0)
      }
      const [dead] = store.deadLetters('jobs')
      expect(dead).toMatchObject({ id: poison, attempts: 3 })
      expect(dead!.lastError).toMatch(/^The process ended during attempt 3/)
      // The others are delivered.
      expect((await store.claim('jobs', 'main', alive, t0, 1000, 5)).map((m) => m.id)).toEqual([other])
    })

    it('of another owner that stopped renewing: ended by the next claim once the lease ran out, never before', async () => {
      const [a] = publish('a')
      const other = 'other-host/1/abc'
      await store.claim('jobs', 'main', other, t0, 1000, 1, 1)
      expect((await store.claim('jobs', 'main', alive, t0 + 999, 1000, 5))).toEqual([])
      const [again] = (await store.claim('jobs', 'main', alive, t0 + 1000, 1000, 5))
      expect(again).toMatchObject({ id: a, attempt: 2 })
      const stored = store.messagesAfter(0, 'jobs', 1)[0]
      expect(stored?.attempts).toBe(2) // the expired attempt and this one
    })

    it('of this very owner are never claimed by it, even once expired: it is still running them', async () => {
      publish('a')
      await store.claim('jobs', 'main', alive, t0, 1000, 1, 1)
      expect((await store.claim('jobs', 'main', alive, t0 + 5000, 1000, 5))).toEqual([])
    })

    it('renewed by a report are not taken over', async () => {
      const [a] = publish('a')
      const other = 'other-host/1/abc'
      await store.claim('jobs', 'main', other, t0, 1000, 1, 1)
      expect((await store.report(other, { acks: [], starts: [], renew: { ids: [a!], leaseUntil: t0 + 5000 } }))).toEqual([a])
      expect((await store.claim('jobs', 'main', alive, t0 + 4999, 1000, 5))).toEqual([])
    })

    it('given up by their owner count the attempt and say why', async () => {
      const [a] = publish('a')
      await store.claim('jobs', 'main', alive, t0, 1000, 1, 0)
      expect((await store.handBack([a!], alive, t0, true, 'The broker closed'))).toBe(1)
      const [again] = (await store.claim('jobs', 'main', 'other-host/1/abc', t0, 1000, 1))
      expect(again?.attempt).toBe(2)
      expect(store.messagesAfter(0, 'jobs', 1)[0]?.attempts).toBe(2)
    })
  })

  describe('releasing leases', () => {
    async function leaseOneEach(owners: string[]): Promise<void> {
      for (const owner of owners) {
        store.publish(message('jobs', owner, t0))
        expect((await store.claim('jobs', 'main', owner, t0, 60_000, 1))).toHaveLength(1)
      }
    }

    it('releases one owner’s leases, optionally only of one subscription', async () => {
      const mine = newOwnerId()
      const theirs = newOwnerId()
      await leaseOneEach([mine, theirs])
      store.publish(message('jobs', 'inbox', t0, { subscription: 'renderer:w1', fanOut: false }))
      await store.claim('jobs', 'renderer:w1', mine, t0, 60_000, 1)

      expect((await store.release(mine, t0 + 5, 'renderer:w1'))).toBe(1)
      expect(store.stats(t0 + 5).map((s) => [s.subscription, s.ready, s.inFlight])).toEqual([['main', 0, 2], ['renderer:w1', 1, 0]])
      expect((await store.release(mine, t0 + 5))).toBe(1)
      expect(store.stats(t0 + 5).map((s) => [s.subscription, s.ready, s.inFlight])).toEqual([['main', 1, 1], ['renderer:w1', 1, 0]])
      expect((await store.claim('jobs', 'main', theirs, t0 + 5, 1000, 10)).map((m) => m.attempt)).toEqual([2])
    })

    it('keeps a released message in its place in line', async () => {
      const owner = newOwnerId()
      store.publish(message('jobs', 'first', t0))
      await store.claim('jobs', 'main', owner, t0, 60_000, 1)
      store.publish(message('jobs', 'second', t0 + 1))
      await store.release(owner, t0 + 2)
      expect((await store.claim('jobs', 'main', owner, t0 + 2, 1000, 10)).map((m) => text(m.payload))).toEqual(['first', 'second'])
    })
  })

  describe('dead letters of jobs and replay', () => {
    it('keeps a job failure outcome with its dead letter; a replay keeps id and key and forgets the outcome', async () => {
      store.declareChannel('jobs', channelConfig({ maxAttempts: 1 }))
      const { id } = store.publish(message('jobs', 'job', t0, { kind: 'invoke', key: 'order-42' }))
      await store.claim('jobs', 'main', alive, t0, 1000, 1)
      await store.fail({ id, owner: alive, error: 'Error: nope', retryAt: null, now: t0, result: new Uint8Array([7]) })
      expect(store.deadLetters('jobs').map((d) => d.id)).toEqual([id])
      expect(store.jobResult(id)?.ok).toBe(false)
      // The key is free while the job is dead: a new one may take it.
      expect(store.replay('jobs', [id], t0 + 1)).toBe(1)
      expect(store.jobResult(id)).toBeUndefined()
      expect(store.publish(message('jobs', 'dup', t0 + 1, { kind: 'invoke', key: 'order-42' }))).toEqual({ id, duplicate: true })
      const [again] = (await store.claim('jobs', 'main', alive, t0 + 1, 1000, 1))
      expect([again?.id, again?.kind, text(again!.payload), again?.attempt]).toEqual([id, 'invoke', 'job', 1])
    })

    it('replays a dead letter without its key when a pending message has taken it meanwhile', async () => {
      store.declareChannel('jobs', channelConfig({ maxAttempts: 1 }))
      const { id } = store.publish(message('jobs', 'first', t0, { key: 'k' }))
      await store.claim('jobs', 'main', alive, t0, 1000, 1)
      await store.fail({ id, owner: alive, error: 'x', retryAt: null, now: t0 })
      const second = store.publish(message('jobs', 'second', t0, { key: 'k' }))
      expect(second.duplicate).toBe(false)
      expect(store.replay('jobs', undefined, t0 + 1)).toBe(1)
      const stored = store.messagesAfter(0, 'jobs', 10)
      expect(stored.map((m) => [m.id, m.key])).toEqual([[id, null], [second.id, 'k']])
    })
  })
})
