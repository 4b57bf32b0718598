// What the broker polls: per-subscription stats, the next visible time, the change token (another
// connection committed), and whether its own writes may run now.

import { describe, expect, it } from 'vitest'
import { channelConfig, message } from '../helpers.js'
import { backends } from './backends.js'
import { useStores } from './fixture.js'

const t0 = 1_700_000_000_000

/** Polls `check` until true: a backend may learn of another connection's commit a moment later. */
async function eventually(check: () => boolean, timeoutMs = 2000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return true
}

describe.each(backends)('$name store', (backend) => {
  const stores = useStores(backend)

  describe('stats', () => {
    it('counts ready, delayed, in flight and dead per subscription, including empty ones', async () => {
      const store = stores.store()
      store.declareChannel('jobs', channelConfig())
      store.declareChannel('idle', channelConfig())
      store.publish(message('jobs', 'ready', t0 + 1))
      store.publish(message('jobs', 'delayed', t0 + 2, { visibleAt: t0 + 1000 }))
      store.publish(message('jobs', 'leased', t0 + 3))
      store.publish(message('jobs', 'dead', t0 + 4))
      store.publish(message('jobs', 'inbox', t0 + 5, { subscription: 'renderer:w1', fanOut: false }))
      const owner = 'h/1/a'
      const [first, second] = (await store.claim('jobs', 'main', owner, t0 + 10, 100, 2))
      await store.release(owner, t0 + 10, 'nope') // nothing
      await store.fail({ id: second!.id, owner, error: 'x', retryAt: null, now: t0 + 10 })
      expect(first).toBeDefined()

      expect(store.stats(t0 + 10)).toEqual([
        { channel: 'idle', subscription: 'main', ready: 0, delayed: 0, inFlight: 0, dead: 0, oldestCreatedAt: null, paused: false },
        { channel: 'jobs', subscription: 'main', ready: 1, delayed: 1, inFlight: 1, dead: 1, oldestCreatedAt: t0 + 2, paused: false },
        { channel: 'jobs', subscription: 'renderer:w1', ready: 1, delayed: 0, inFlight: 0, dead: 0, oldestCreatedAt: t0 + 5, paused: false },
      ])
      // Once the lease expires the leased message counts as ready: claim would take it.
      expect(store.stats(t0 + 110).find((s) => s.channel === 'jobs' && s.subscription === 'main')).toMatchObject({ ready: 2, inFlight: 0, oldestCreatedAt: t0 + 1 })
    })

    it('reads the next visible time from the earliest message, leased or not', async () => {
      const store = stores.store()
      store.declareChannel('jobs', channelConfig())
      expect((await store.nextVisibleAt('jobs', 'main'))).toBeNull()
      store.publish(message('jobs', 'later', t0, { visibleAt: t0 + 500 }))
      expect((await store.nextVisibleAt('jobs', 'main'))).toBe(t0 + 500)
      store.publish(message('jobs', 'now', t0))
      await store.claim('jobs', 'main', 'h/1/a', t0, 100, 1)
      expect((await store.nextVisibleAt('jobs', 'main'))).toBe(t0 + 100)
    })

    it('leaves out the asking owner’s own leases from the next visible time: they end with its deliveries', async () => {
      const store = stores.store()
      store.declareChannel('jobs', channelConfig())
      store.publish(message('jobs', 'leased', t0))
      await store.claim('jobs', 'main', 'h/1/a', t0, 100, 1)
      expect((await store.nextVisibleAt('jobs', 'main', 'h/1/a'))).toBeNull()
      expect((await store.nextVisibleAt('jobs', 'main', 'h/1/b'))).toBe(t0 + 100)
    })
  })

  describe('changeToken', () => {
    it('stays put while nobody writes, and changes when another connection commits', async () => {
      const database = stores.database()
      const mine = database.open()
      const theirs = database.open()
      mine.declareChannel('jobs', channelConfig())

      const before = mine.changeToken()
      expect(mine.changeToken()).toBe(before)
      theirs.publish(message('jobs', 'their write', t0))
      expect(await eventually(() => mine.changeToken() !== before)).toBe(true)
    })

    it('is seen by a reader that never writes', async () => {
      const database = stores.database()
      const writer = database.open()
      writer.declareChannel('jobs', channelConfig())
      const reader = database.open({ readonly: true })
      const before = reader.changeToken()
      writer.publish(message('jobs', 'new', t0))
      expect(await eventually(() => reader.changeToken() !== before)).toBe(true)
    })
  })

  describe('mayWrite and openTransaction', () => {
    it('let the broker write on a store that shares no open transaction', async () => {
      const store = stores.store()
      expect(store.mayWrite()).toBe(true)
      // Optional: a backend without an outbox leaves it out, which reads as 'none'.
      expect(store.openTransaction?.() ?? 'none').toBe('none')
    })
  })
})
