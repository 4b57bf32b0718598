// The delivery cycle: publish, claim under a lease (FIFO, counted attempts), ack by the owner only,
// and a consumer's report (acks, starts and renewals in one call).

import { beforeEach, describe, expect, it } from 'vitest'
import type { Store } from '../../../src/store/index.js'
import { channelConfig, message, text } from '../helpers.js'
import { backends } from './backends.js'
import { useStores } from './fixture.js'

const t0 = 1_700_000_000_000

describe.each(backends)('$name store: publish, claim, ack', (backend) => {
  const stores = useStores(backend)
  const newOwnerId = backend.ownerId
  let store: Store

  beforeEach(() => {
    store = stores.store()
    store.declareChannel('jobs', channelConfig())
  })

  it('returns increasing ids and claims in FIFO order', async () => {
    const ids = ['a', 'b', 'c'].map((t) => store.publish(message('jobs', t, t0)).id)
    expect(ids[0]! < ids[1]! && ids[1]! < ids[2]!).toBe(true)

    const claimed = (await store.claim('jobs', 'main', newOwnerId(), t0, 1000, 10))
    expect(claimed.map((m) => text(m.payload))).toEqual(['a', 'b', 'c'])
    expect(claimed[0]).toMatchObject({ id: ids[0], channel: 'jobs', subscription: 'main', kind: 'message', attempt: 1, createdAt: t0 })
  })

  it('stores text and bytes payloads as they were given', async () => {
    store.publish({ ...message('jobs', '', t0), payload: '{"text":true}' })
    store.publish({ ...message('jobs', '', t0), payload: new Uint8Array([0, 1, 255]) })
    const [asText, asBytes] = (await store.claim('jobs', 'main', newOwnerId(), t0, 1000, 2))
    expect(asText?.payload).toBe('{"text":true}')
    expect(asBytes?.payload).toBeInstanceOf(Uint8Array)
    expect([...(asBytes!.payload as Uint8Array)]).toEqual([0, 1, 255])
  })

  it('orders by visibility first: a delayed message waits behind later ones', async () => {
    store.publish(message('jobs', 'later', t0, { visibleAt: t0 + 500 }))
    store.publish(message('jobs', 'now', t0))
    const owner = newOwnerId()
    expect((await store.claim('jobs', 'main', owner, t0, 1000, 10)).map((m) => text(m.payload))).toEqual(['now'])
    expect((await store.nextVisibleAt('jobs', 'main'))).toBe(t0 + 500)
    expect((await store.claim('jobs', 'main', owner, t0 + 500, 1000, 10)).map((m) => text(m.payload))).toEqual(['later'])
  })

  it('claims at most `limit` messages', async () => {
    for (let i = 0; i < 5; i++) store.publish(message('jobs', `m${i}`, t0))
    const owner = newOwnerId()
    expect((await store.claim('jobs', 'main', owner, t0, 1000, 2)).map((m) => text(m.payload))).toEqual(['m0', 'm1'])
    expect((await store.claim('jobs', 'main', owner, t0, 1000, 0))).toEqual([])
    expect((await store.claim('jobs', 'main', owner, t0, 1000, 10)).map((m) => text(m.payload))).toEqual(['m2', 'm3', 'm4'])
  })

  it('hides a leased message until its lease expires, then hands it out again as attempt 2', async () => {
    store.publish(message('jobs', 'x', t0))
    const first = newOwnerId()
    const second = newOwnerId()
    expect((await store.claim('jobs', 'main', first, t0, 1000, 10))).toHaveLength(1)
    expect((await store.claim('jobs', 'main', second, t0 + 999, 1000, 10))).toEqual([])
    expect((await store.nextVisibleAt('jobs', 'main'))).toBe(t0 + 1000)

    const again = (await store.claim('jobs', 'main', second, t0 + 1000, 1000, 10))
    expect(again.map((m) => m.attempt)).toEqual([1 + 1])
    // The first owner lost the lease: its ack deletes nothing, the new owner's does.
    expect((await store.ack([again[0]!.id], first))).toBe(0)
    expect((await store.ack([again[0]!.id], second))).toBe(1)
    expect((await store.nextVisibleAt('jobs', 'main'))).toBeNull()
  })

  it('acks only messages the owner holds', async () => {
    const { id } = store.publish(message('jobs', 'x', t0))
    const owner = newOwnerId()
    expect((await store.ack([id], owner))).toBe(0) // not claimed yet
    await store.claim('jobs', 'main', owner, t0, 1000, 1)
    expect((await store.ack([id], newOwnerId()))).toBe(0)
    expect((await store.ack([id], owner))).toBe(1)
    expect((await store.ack([id], owner))).toBe(0)
  })

  it('acks a batch in one call, counting only what was held', async () => {
    for (let i = 0; i < 300; i++) store.publish(message('jobs', `m${i}`, t0))
    const owner = newOwnerId()
    const claimed = (await store.claim('jobs', 'main', owner, t0, 1000, 256))
    expect(claimed).toHaveLength(256)
    expect((await store.ack([...claimed.map((m) => m.id), 999_999], owner))).toBe(256)
    expect(store.stats(t0)[0]).toMatchObject({ ready: 44, inFlight: 0 })
  })

  it('reports acks, starts and renewals in one call, renewing only what the owner still holds', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map((t) => store.publish(message('jobs', t, t0)).id)
    const owner = newOwnerId()
    await store.claim('jobs', 'main', owner, t0, 1000, 3, 1)
    expect((await store.report(owner, { acks: [a!], starts: [b!], renew: { ids: [a!, b!, c!], leaseUntil: t0 + 5000 } }))).toEqual([b, c])
    expect(store.messagesAfter(0, 'jobs', 10).map((m) => [m.id, m.attempts, m.visibleAt])).toEqual([[b, 1, t0 + 5000], [c, 0, t0 + 5000]])
    // Another owner's report touches none of them.
    const other = newOwnerId()
    expect((await store.report(other, { acks: [b!], starts: [c!], renew: { ids: [b!, c!], leaseUntil: t0 + 9000 } }))).toEqual([])
    expect(store.messagesAfter(0, 'jobs', 10).map((m) => [m.id, m.attempts])).toEqual([[b, 1], [c, 0]])
    expect((await store.renew([b!, c!], owner, t0 + 7000))).toEqual([b, c])
    expect((await store.claim('jobs', 'main', other, t0 + 6999, 1000, 10))).toEqual([])
  })

  it('keeps subscriptions apart: an inbox publish is not seen by main, and fan-out skips inboxes', async () => {
    store.ensureSubscription('jobs', 'renderer:w1', { fanOut: false })
    store.publish(message('jobs', 'to-inbox', t0, { subscription: 'renderer:w1' }))
    store.publish(message('jobs', 'to-main', t0))
    const owner = newOwnerId()
    expect((await store.claim('jobs', 'main', owner, t0, 1000, 10)).map((m) => text(m.payload))).toEqual(['to-main'])
    expect((await store.claim('jobs', 'renderer:w1', owner, t0, 1000, 10)).map((m) => text(m.payload))).toEqual(['to-inbox'])
  })

  it('creates an inbox subscription on its first publish', async () => {
    store.publish(message('jobs', 'hi', t0, { subscription: 'renderer:w2', fanOut: false }))
    expect(store.stats(t0).map((s) => s.subscription)).toEqual(['main', 'renderer:w2'])
  })

  it('refuses a publish or subscription on an undeclared channel', async () => {
    expect(() => store.publish(message('nope', 'x', t0))).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_CHANNEL' }))
    expect(() => store.ensureSubscription('nope', 'renderer:w1')).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_CHANNEL' }))
  })

  it('stores invoke requests and their results', async () => {
    const { id } = store.publish(message('jobs', 'request', t0, { kind: 'invoke' }))
    const owner = newOwnerId()
    const [job] = (await store.claim('jobs', 'main', owner, t0, 1000, 1))
    expect(job?.kind).toBe('invoke')
    await store.ackWithResult(id, owner, true, new TextEncoder().encode('42'), t0 + 5)
    const result = store.jobResult(id)
    expect(result && { ...result, payload: text(result.payload) }).toEqual({ id, ok: true, payload: '42', completedAt: t0 + 5, state: 'completed' })
    expect(store.stats(t0)[0]).toMatchObject({ ready: 0, inFlight: 0 })
    expect(store.jobResult(id + 1)).toBeUndefined()
  })

  it('stores no job result for an owner that lost the lease', async () => {
    const { id } = store.publish(message('jobs', 'request', t0, { kind: 'invoke' }))
    await store.claim('jobs', 'main', 'host/1/a', t0, 1000, 1)
    await store.ackWithResult(id, 'host/1/b', false, new Uint8Array([1]), t0)
    expect(store.jobResult(id)).toBeUndefined()
  })

  it('updates a channel declaration in place', async () => {
    store.declareChannel('jobs', channelConfig({ maxAttempts: 9 }))
    expect(store.getChannel('jobs')?.maxAttempts).toBe(9)
    expect(store.getChannel('other')).toBeUndefined()
    expect(store.listChannels()).toEqual([{ name: 'jobs', config: channelConfig({ maxAttempts: 9 }) }])
  })
})
