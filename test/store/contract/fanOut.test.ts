// Which subscriptions a publish reaches: a publish to a subscription reaches that one; one without
// reaches every fan-out subscription of the channel, each its own copy. Whether a subscription is
// fan-out is what its creator said, never what its name looks like.

import { beforeEach, describe, expect, it } from 'vitest'
import { QueueFullError } from '../../../src/errors.js'
import type { Store } from '../../../src/store/index.js'
import { channelConfig, message, text } from '../helpers.js'
import { backends } from './backends.js'
import { useStores } from './fixture.js'

const t0 = 1_700_000_000_000

describe.each(backends)('$name store: fan-out', (backend) => {
  const stores = useStores(backend)
  const owner = backend.ownerId()
  let store: Store

  beforeEach(() => {
    store = stores.store()
    store.declareChannel('jobs', channelConfig())
  })

  /** The texts waiting in `subscription`, in line order (claimed, then handed back untouched). */
  async function waiting(subscription: string, on: Store = store): Promise<string[]> {
    const claimed = (await on.claim('jobs', subscription, owner, t0, 1000, 100, 0))
    await on.handBack(claimed.map((m) => m.id), owner, t0, false)
    return claimed.map((m) => text(m.payload))
  }

  it('gives every fan-out subscription its own copy of a publish without a subscription, and an inbox only what is sent to it', async () => {
    store.ensureSubscription('jobs', 'audit')
    store.ensureSubscription('jobs', 'inbox-1', { fanOut: false })
    store.publish(message('jobs', 'to all', t0))
    store.publish(message('jobs', 'to the inbox', t0, { subscription: 'inbox-1' }))
    expect((await waiting('main'))).toEqual(['to all'])
    expect((await waiting('audit'))).toEqual(['to all'])
    expect((await waiting('inbox-1'))).toEqual(['to the inbox'])
    const copies = store.messagesAfter(0, 'jobs', 10).filter((m) => text(m.payload) === 'to all')
    expect(new Set(copies.map((m) => m.id)).size).toBe(2)
  })

  it('decides nothing by name: a subscription named like a renderer inbox is fan-out unless created otherwise', async () => {
    store.ensureSubscription('jobs', 'renderer:w1')
    store.publish(message('jobs', 'first', t0, { subscription: 'renderer:w2', fanOut: false }))
    store.publish(message('jobs', 'plain', t0))
    expect((await waiting('renderer:w1'))).toEqual(['plain'])
    expect((await waiting('renderer:w2'))).toEqual(['first'])
  })

  it('gives a subscription that a publish creates the publish’s fanOut (default true); one that exists keeps its own', async () => {
    store.publish(message('jobs', 'made fan-out', t0, { subscription: 'extra' }))
    store.publish(message('jobs', 'made inbox', t0, { subscription: 'box', fanOut: false }))
    store.publish(message('jobs', 'asks too late', t0, { subscription: 'box', fanOut: true }))
    store.publish(message('jobs', 'plain', t0))
    expect((await waiting('extra'))).toEqual(['made fan-out', 'plain'])
    expect((await waiting('box'))).toEqual(['made inbox', 'asks too late'])
    expect((await waiting('main'))).toEqual(['plain'])
  })

  it('lets ensureSubscription change whether an existing subscription is fan-out', async () => {
    store.publish(message('jobs', 'one', t0, { subscription: 'box', fanOut: false }))
    store.ensureSubscription('jobs', 'box', { fanOut: true })
    store.publish(message('jobs', 'two', t0))
    store.ensureSubscription('jobs', 'box', { fanOut: false })
    store.publish(message('jobs', 'three', t0))
    expect((await waiting('box'))).toEqual(['one', 'two'])
    expect((await waiting('main'))).toEqual(['two', 'three'])
  })

  it('reaches a fan-out subscription another connection made with this connection’s very next publish', async () => {
    const database = stores.database()
    const mine = database.open()
    const theirs = database.open()
    mine.declareChannel('jobs', channelConfig())
    mine.publish(message('jobs', 'before', t0)) // mine now knows where the channel's publishes go
    theirs.ensureSubscription('jobs', 'audit')
    mine.publish(message('jobs', 'after', t0))
    expect((await waiting('audit', mine))).toEqual(['after'])
    expect((await waiting('main', mine))).toEqual(['before', 'after'])
  })

  it('keeps idempotency keys per subscription: a duplicate only while every target holds the key', async () => {
    store.ensureSubscription('jobs', 'audit')
    const first = store.publish(message('jobs', 'a', t0, { key: 'k' }))
    expect(first.duplicate).toBe(false)
    expect(store.publish(message('jobs', 'b', t0, { key: 'k' }))).toEqual({ id: first.id, duplicate: true })
    const [held] = (await store.claim('jobs', 'main', owner, t0, 1000, 1))
    await store.ack([held!.id], owner)
    expect(store.publish(message('jobs', 'c', t0, { key: 'k' })).duplicate).toBe(false)
    expect((await waiting('main'))).toEqual(['c'])
    expect((await waiting('audit'))).toEqual(['a'])
  })

  it('stores nothing on any subscription when one of them is full', async () => {
    store.declareChannel('jobs', channelConfig({ maxDepth: 1 }))
    store.ensureSubscription('jobs', 'audit')
    store.publish(message('jobs', 'a', t0))
    const [held] = (await store.claim('jobs', 'main', owner, t0, 1000, 1))
    await store.ack([held!.id], owner)
    expect(() => store.publish(message('jobs', 'b', t0))).toThrow(QueueFullError)
    expect((await waiting('main'))).toEqual([])
    expect((await waiting('audit'))).toEqual(['a'])
  })
})
