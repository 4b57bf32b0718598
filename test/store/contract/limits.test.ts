// Channel limits and idempotency: maxMessageBytes, maxDepth and keys refuse or dedupe, storing
// nothing; settings changed by another connection apply to the very next publish.

import { beforeEach, describe, expect, it } from 'vitest'
import { MessageTooLargeError, QueueFullError } from '../../../src/errors.js'
import type { Store } from '../../../src/store/index.js'
import { channelConfig, message } from '../helpers.js'
import { backends } from './backends.js'
import { useStores } from './fixture.js'

const t0 = 1_700_000_000_000

describe.each(backends)('$name store', (backend) => {
  const stores = useStores(backend)
  let store: Store

  beforeEach(() => {
    store = stores.store()
  })

  const depth = (channel: string) => {
    const s = store.stats(t0).find((x) => x.channel === channel && x.subscription === 'main')
    return (s?.ready ?? 0) + (s?.delayed ?? 0) + (s?.inFlight ?? 0)
  }

  describe('limits', () => {
    it('refuses a payload over maxMessageBytes and stores nothing', async () => {
      store.declareChannel('small', channelConfig({ maxMessageBytes: 4 }))
      expect(store.publish({ ...message('small', '', t0), payload: new Uint8Array(4) }).duplicate).toBe(false)
      const tooBig = () => store.publish({ ...message('small', '', t0), payload: new Uint8Array(5) })
      expect(tooBig).toThrow(MessageTooLargeError)
      expect(tooBig).toThrow(expect.objectContaining({ code: 'ERR_MESSAGE_TOO_LARGE' }))
      expect(depth('small')).toBe(1)
    })

    it('refuses a publish over maxDepth, counting in-flight messages, and stores nothing', async () => {
      store.declareChannel('bounded', channelConfig({ maxDepth: 2 }))
      store.publish(message('bounded', 'a', t0))
      store.publish(message('bounded', 'b', t0))
      await store.claim('bounded', 'main', backend.ownerId(), t0, 1000, 1)
      const third = () => store.publish(message('bounded', 'c', t0))
      expect(third).toThrow(QueueFullError)
      expect(third).toThrow(expect.objectContaining({ code: 'ERR_QUEUE_FULL' }))
      expect(depth('bounded')).toBe(2)
    })

    it('accepts again once an ack makes room', async () => {
      store.declareChannel('bounded', channelConfig({ maxDepth: 1 }))
      store.publish(message('bounded', 'a', t0))
      const owner = backend.ownerId()
      const [m] = (await store.claim('bounded', 'main', owner, t0, 1000, 1))
      await store.ack([m!.id], owner)
      expect(store.publish(message('bounded', 'b', t0)).duplicate).toBe(false)
    })

    it('bounds each subscription on its own', async () => {
      store.declareChannel('bounded', channelConfig({ maxDepth: 1 }))
      store.publish(message('bounded', 'a', t0))
      expect(() => store.publish(message('bounded', 'inbox', t0, { subscription: 'renderer:w1', fanOut: false }))).not.toThrow()
    })

    it('stores a keyed message once while it is pending and returns the first id', async () => {
      store.declareChannel('jobs', channelConfig())
      const first = store.publish(message('jobs', 'a', t0, { key: 'order-42' }))
      const second = store.publish(message('jobs', 'b', t0, { key: 'order-42' }))
      expect(first.duplicate).toBe(false)
      expect(second).toEqual({ id: first.id, duplicate: true })
      expect(depth('jobs')).toBe(1)
      expect(store.publish(message('jobs', 'c', t0, { key: null })).duplicate).toBe(false)
      expect(store.publish(message('jobs', 'd', t0, { key: 'order-43' })).duplicate).toBe(false)
      expect(depth('jobs')).toBe(3)
    })

    it('accepts the key again once the first message is acknowledged', async () => {
      store.declareChannel('jobs', channelConfig())
      const first = store.publish(message('jobs', 'a', t0, { key: 'k' }))
      const owner = backend.ownerId()
      await store.claim('jobs', 'main', owner, t0, 1000, 1)
      await store.ack([first.id], owner)
      const again = store.publish(message('jobs', 'a', t0, { key: 'k' }))
      expect(again.duplicate).toBe(false)
      expect(again.id).toBeGreaterThan(first.id)
    })

    it('reports a duplicate even when the queue is full', async () => {
      store.declareChannel('bounded', channelConfig({ maxDepth: 1 }))
      const first = store.publish(message('bounded', 'a', t0, { key: 'k' }))
      expect(store.publish(message('bounded', 'a', t0, { key: 'k' }))).toEqual({ id: first.id, duplicate: true })
    })
  })

  describe('the publish path reads channel settings fresh when they may have changed', () => {
    it('applies a re-declaration by another connection to the very next publish', async () => {
      const database = stores.database()
      const a = database.open()
      const b = database.open()
      a.declareChannel('shared', channelConfig())
      a.publish({ ...message('shared', '', t0), payload: new Uint8Array(8) }) // a now holds the channel's settings
      b.declareChannel('shared', channelConfig({ maxMessageBytes: 4 }))
      expect(() => a.publish({ ...message('shared', '', t0), payload: new Uint8Array(8) })).toThrow(MessageTooLargeError)
    })
  })
})
