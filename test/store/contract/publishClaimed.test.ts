// Claim-at-publish (Store.publishClaimed, the trickle path): the new message leased to the
// consumer that takes it as it is stored, and that consumer's acknowledgements and starts in the
// same transaction; never leased past a message another connection stored meanwhile, nor on a
// paused channel; all or nothing. Also: acknowledged ids are never given again.

import { beforeEach, describe, expect, it } from 'vitest'
import { MessageTooLargeError, QueueFullError } from '../../../src/errors.js'
import type { Store } from '../../../src/store/index.js'
import { channelConfig, message, text } from '../helpers.js'
import { backends } from './backends.js'
import { useStores } from './fixture.js'

const t0 = 1_700_000_000_000
const none = { acks: [], starts: [] }

describe.each(backends.filter((backend) => backend.claimsAtPublish))('$name store: publishClaimed', (backend) => {
  const stores = useStores(backend)
  let store: Store
  let owner: string
  const claim = (extra: { token?: number } = {}) => ({ subscription: 'main', owner, leaseUntil: t0 + 30_000, ...extra })

  beforeEach(() => {
    store = stores.store()
    store.declareChannel('jobs', channelConfig())
    owner = backend.ownerId()
  })

  it('stores the message leased to the owner, unstarted, where no other owner can claim it', async () => {
    const published = store.publishClaimed!(message('jobs', 'a', t0), claim(), none)
    expect(published.duplicate).toBe(false)
    expect(published.claimed).toMatchObject({ id: published.id, channel: 'jobs', subscription: 'main', kind: 'message', attempt: 1, priority: 0, createdAt: t0, started: false, careful: false })
    expect(text(published.claimed!.payload)).toBe('a')
    expect(await store.claim('jobs', 'main', backend.ownerId(), t0 + 1, 30_000, 10)).toEqual([])
    expect(store.stats(t0 + 1)[0]).toMatchObject({ ready: 0, inFlight: 1 })
    expect(store.job(published.id, t0 + 1)).toMatchObject({ state: 'active', attempts: 0 })
    expect(await store.ack([published.id], owner)).toBe(1)
    expect(store.job(published.id, t0 + 2)).toBeUndefined()
  })

  it('writes the owner’s acknowledgements and starts in the same transaction', async () => {
    const first = store.publishClaimed!(message('jobs', 'a', t0), claim(), none).claimed!
    const second = store.publishClaimed!(message('jobs', 'b', t0), claim(), { acks: [], starts: [first.id] })
    expect(store.job(first.id, t0)).toMatchObject({ state: 'active', attempts: 1 })
    const third = store.publishClaimed!(message('jobs', 'c', t0), claim(), { acks: [first.id, second.id], starts: [] })
    expect(store.job(first.id, t0)).toBeUndefined()
    expect(store.job(second.id, t0)).toBeUndefined()
    expect(third.claimed).toBeDefined()
    expect(store.stats(t0)[0]).toMatchObject({ ready: 0, inFlight: 1 })
  })

  it('never gives an acknowledged id again, also when the highest one was acknowledged', async () => {
    const a = store.publishClaimed!(message('jobs', 'a', t0), claim(), none).id
    const b = store.publishClaimed!(message('jobs', 'b', t0), claim(), { acks: [a], starts: [] }).id
    expect(b).toBeGreaterThan(a)
    expect(await store.ack([b], owner)).toBe(1) // the highest, with nothing left
    const c = store.publish(message('jobs', 'c', t0)).id
    expect(c).toBeGreaterThan(b)
    // The highest acknowledged while a lower one waits.
    const [lower] = await store.claim('jobs', 'main', owner, t0, 30_000, 1)
    const d = store.publishClaimed!(message('jobs', 'd', t0), claim(), none).id
    expect(await store.ack([d], owner)).toBe(1)
    expect(store.publish(message('jobs', 'e', t0)).id).toBeGreaterThan(d)
    expect(lower?.id).toBe(c)
  })

  it('leases nothing when another connection committed since the token, or the channel is paused', async () => {
    const database = stores.database()
    const mine = database.open()
    const other = database.open()
    mine.declareChannel('jobs', channelConfig())
    const token = mine.changeToken()
    other.publish(message('jobs', 'theirs', t0))
    const published = mine.publishClaimed!(message('jobs', 'mine', t0), claim({ token }), none)
    expect(published.claimed).toBeUndefined()
    expect(published.duplicate).toBe(false)
    // Both wait in line, theirs first.
    const line = await mine.claim('jobs', 'main', backend.ownerId(), t0, 30_000, 10)
    expect(line.map((m) => text(m.payload))).toEqual(['theirs', 'mine'])

    mine.setPaused('jobs', true)
    const paused = mine.publishClaimed!(message('jobs', 'paused', t0), claim({ token: mine.changeToken() }), none)
    expect(paused.claimed).toBeUndefined()
    mine.setPaused('jobs', false)
    expect((await mine.claim('jobs', 'main', backend.ownerId(), t0, 30_000, 10)).map((m) => text(m.payload))).toEqual(['paused'])
  })

  it('with an unchanged token, leases (no other commit in between)', () => {
    const token = store.changeToken()
    store.publish(message('jobs', 'own write', t0)) // this store's own writes need not change it
    const ownAfter = store.changeToken()
    const published = store.publishClaimed!(message('jobs', 'next', t0), claim({ token: ownAfter }), none)
    expect(published.claimed).toBeDefined()
    expect(typeof token).toBe('number')
  })

  it('a duplicate key leases nothing and still writes the report', async () => {
    const first = store.publishClaimed!(message('jobs', 'a', t0, { key: 'k' }), claim(), none)
    const again = store.publishClaimed!(message('jobs', 'a again', t0, { key: 'k' }), claim(), { acks: [], starts: [first.id] })
    expect(again).toMatchObject({ id: first.id, duplicate: true, claimed: undefined })
    expect(store.job(first.id, t0)).toMatchObject({ attempts: 1 })
  })

  it('all or nothing: a refused publish writes none of the report', async () => {
    store.declareChannel('small', channelConfig({ maxMessageBytes: 4 }))
    const held = store.publishClaimed!(message('jobs', 'a', t0), claim(), none).claimed!
    expect(() => store.publishClaimed!(message('small', 'too large', t0), { ...claim(), subscription: 'main' }, { acks: [held.id], starts: [] })).toThrow(MessageTooLargeError)
    expect(store.job(held.id, t0)).toMatchObject({ state: 'active' })
    expect(() => store.publishClaimed!(message('nope', 'x', t0), claim(), { acks: [held.id], starts: [] })).toThrow()
    expect(store.job(held.id, t0)).toMatchObject({ state: 'active' })
  })

  it('maxDepth does not count the messages the same transaction acknowledges', async () => {
    store.declareChannel('one', channelConfig({ maxDepth: 1 }))
    const first = store.publishClaimed!(message('one', 'a', t0), { ...claim(), subscription: 'main' }, none).claimed!
    expect(() => store.publishClaimed!(message('one', 'b', t0), claim(), none)).toThrow(QueueFullError)
    const second = store.publishClaimed!(message('one', 'b', t0), claim(), { acks: [first.id], starts: [] })
    expect(second.claimed).toBeDefined()
  })

  it('a message taken at publish whose owner died before it started comes back careful, its attempt not counted', async () => {
    const gone = backend.goneOwnerId()
    const published = store.publishClaimed!(message('jobs', 'a', t0), { subscription: 'main', owner: gone, leaseUntil: t0 + 30_000 }, none)
    expect(await store.releaseDeadOwners(t0 + 1)).toBe(1)
    const [again] = await store.claim('jobs', 'main', backend.ownerId(), t0 + 2, 30_000, 1, 0)
    expect(again).toMatchObject({ id: published.id, attempt: 1, careful: true, started: false })
  })

  describe('a message taken at publish, touched before it is acknowledged', () => {
    const take = (payload = 'a', at = t0) => store.publishClaimed!(message('jobs', payload, at), claim(), none).claimed!

    it('is listed, tailed and counted with the queue, in id order', async () => {
      const waiting = store.publish(message('jobs', 'waiting', t0)).id
      const held = take('held').id
      const later = store.publish(message('jobs', 'later', t0)).id
      expect(store.jobs('jobs', { limit: 10, afterId: 0 }, t0).map((j) => [j.id, j.state])).toEqual([[waiting, 'waiting'], [held, 'active'], [later, 'waiting']])
      expect(store.jobs('jobs', { state: 'active', limit: 10, afterId: 0 }, t0).map((j) => j.id)).toEqual([held])
      expect(store.jobs('jobs', { state: 'waiting', limit: 10, afterId: 0 }, t0).map((j) => j.id)).toEqual([waiting, later])
      expect(store.jobs('jobs', { limit: 1, afterId: waiting }, t0).map((j) => j.id)).toEqual([held])
      expect(store.messagesAfter(0, 'jobs', 10).map((m) => [m.id, m.leased, m.attempts])).toEqual([[waiting, false, 0], [held, true, 0], [later, false, 0]])
      expect(store.messagesAfter(waiting, undefined, 1).map((m) => m.id)).toEqual([held])
      expect(store.lastMessageId()).toBe(later)
      // Its lease run out, it counts as ready, and jobs() calls it waiting.
      expect(store.stats(t0 + 30_000)[0]).toMatchObject({ ready: 3, inFlight: 0 })
      expect(store.job(held, t0 + 30_000)).toMatchObject({ state: 'waiting' })
    })

    it('its start, a failure and a retry count as for any claimed message', async () => {
      const held = take()
      await store.report(owner, { acks: [], starts: [held.id] })
      expect(store.job(held.id, t0)).toMatchObject({ state: 'active', attempts: 1 })
      await store.fail({ id: held.id, owner, error: 'Error: boom', retryAt: t0 + 100, now: t0 + 1 })
      expect(store.job(held.id, t0 + 1)).toMatchObject({ state: 'delayed', attempts: 1, lastError: 'Error: boom' })
      const [again] = await store.claim('jobs', 'main', owner, t0 + 100, 30_000, 1)
      expect(again).toMatchObject({ id: held.id, attempt: 2 })

      // Failed before its start was recorded: the attempt is counted by the failure.
      const other = take('b')
      await store.fail({ id: other.id, owner, error: 'Error: last', retryAt: null, now: t0 + 2 })
      expect(store.deadLetters('jobs').map((d) => [d.id, d.attempts])).toEqual([[other.id, 1]])
    })

    it('keeps its lease while renewed, and another owner claims it once the lease ran out: careful', async () => {
      const held = take()
      expect(await store.renew([held.id], owner, t0 + 60_000)).toEqual([held.id])
      const otherOwner = backend.ownerId()
      expect(await store.nextVisibleAt('jobs', 'main', otherOwner, t0)).toBe(t0 + 60_000)
      expect(await store.claim('jobs', 'main', otherOwner, t0 + 59_999, 30_000, 1)).toEqual([])
      const [taken] = await store.claim('jobs', 'main', otherOwner, t0 + 60_000, 30_000, 1, 0)
      expect(taken).toMatchObject({ id: held.id, attempt: 1, careful: true })
      expect(await store.ack([held.id], owner)).toBe(0) // no longer the first owner's
      expect(await store.ack([held.id], otherOwner)).toBe(1)
    })

    it('handed back unattempted, waits in line again with nothing counted; released, it comes back careful', async () => {
      const first = take('first')
      expect(await store.handBack([first.id], owner, t0, false)).toBe(1)
      expect(store.job(first.id, t0)).toMatchObject({ state: 'waiting', attempts: 0 })
      const [line] = await store.claim('jobs', 'main', backend.ownerId(), t0, 30_000, 1, 0)
      expect(line).toMatchObject({ id: first.id, careful: false, attempt: 1 })

      const second = take('second')
      expect(await store.release(owner, t0)).toBe(1)
      const [back] = await store.claim('jobs', 'main', backend.ownerId(), t0, 30_000, 1, 0)
      expect(back).toMatchObject({ id: second.id, careful: true, attempt: 1 })
    })

    it('can be cancelled, and its progress stored once it runs', async () => {
      const running = take('running')
      await store.report(owner, { acks: [], starts: [running.id] })
      expect(await store.setProgress(owner, [{ id: running.id, payload: new Uint8Array([7]) }])).toBe(1)
      expect(Array.from(store.job(running.id, t0)!.progress!)).toEqual([7])
      const unstarted = take('unstarted')
      expect(await store.setProgress(owner, [{ id: unstarted.id, payload: new Uint8Array([8]) }])).toBe(1)
      expect(store.cancel(unstarted.id, t0)).toBe(true)
      expect(store.job(unstarted.id, t0)).toMatchObject({ state: 'cancelled' })
      expect(await store.ack([unstarted.id], owner)).toBe(0)
      expect(store.publish(message('jobs', 'next', t0)).id).toBeGreaterThan(unstarted.id)
    })

    it('an invoke taken at publish stores its outcome with the attempt counted', async () => {
      const job = store.publishClaimed!({ ...message('jobs', 'job', t0), kind: 'invoke' }, claim(), none).claimed!
      await store.ackWithResult(job.id, owner, true, new Uint8Array([1]), t0 + 1)
      expect(store.job(job.id, t0 + 1)).toMatchObject({ state: 'completed', attempts: 1 })
      expect(store.jobResult(job.id)).toMatchObject({ ok: true })
    })
  })
})
