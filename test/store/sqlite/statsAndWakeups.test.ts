// What the broker polls: per-subscription stats, the next visible time, and the change token
// (PRAGMA data_version) as a cheap signal that another connection committed.

import { afterEach, describe, expect, it } from 'vitest'
import { openSqliteStore } from '../../../src/store/sqlite/sqliteStore.js'
import type { Store } from '../../../src/store/types.js'
import { channelConfig, message, tempDir } from '../helpers.js'

const file = tempDir()
const t0 = 1_700_000_000_000
const stores: Store[] = []

function open(path: string): Store {
  const store = openSqliteStore({ path })
  stores.push(store)
  return store
}

afterEach(() => {
  for (const store of stores.splice(0)) store.close()
})

describe('stats', () => {
  it('counts ready, delayed, in flight and dead per subscription, including empty ones', () => {
    const store = open(file('stats.db'))
    store.declareChannel('jobs', channelConfig())
    store.declareChannel('idle', channelConfig())
    store.publish(message('jobs', 'ready', t0 + 1))
    store.publish(message('jobs', 'delayed', t0 + 2, { visibleAt: t0 + 1000 }))
    store.publish(message('jobs', 'leased', t0 + 3))
    store.publish(message('jobs', 'dead', t0 + 4))
    store.publish(message('jobs', 'inbox', t0 + 5, { subscription: 'renderer:w1' }))
    const owner = 'h/1/a'
    const [first, second] = store.claim('jobs', 'main', owner, t0 + 10, 100, 2)
    store.release(owner, t0 + 10, 'nope') // nothing
    store.fail({ id: second!.id, owner, error: 'x', retryAt: null, now: t0 + 10 })
    expect(first).toBeDefined()

    expect(store.stats(t0 + 10)).toEqual([
      { channel: 'idle', subscription: 'main', ready: 0, delayed: 0, inFlight: 0, dead: 0, oldestCreatedAt: null },
      { channel: 'jobs', subscription: 'main', ready: 1, delayed: 1, inFlight: 1, dead: 1, oldestCreatedAt: t0 + 2 },
      { channel: 'jobs', subscription: 'renderer:w1', ready: 1, delayed: 0, inFlight: 0, dead: 0, oldestCreatedAt: t0 + 5 },
    ])
    // Once the lease expires the leased message counts as ready: claim would take it.
    expect(store.stats(t0 + 110).find((s) => s.channel === 'jobs' && s.subscription === 'main')).toMatchObject({ ready: 2, inFlight: 0, oldestCreatedAt: t0 + 1 })
  })

  it('reads the next visible time from the earliest message, leased or not', () => {
    const store = open(file('next.db'))
    store.declareChannel('jobs', channelConfig())
    expect(store.nextVisibleAt('jobs', 'main')).toBeNull()
    store.publish(message('jobs', 'later', t0, { visibleAt: t0 + 500 }))
    expect(store.nextVisibleAt('jobs', 'main')).toBe(t0 + 500)
    store.publish(message('jobs', 'now', t0))
    store.claim('jobs', 'main', 'h/1/a', t0, 100, 1)
    expect(store.nextVisibleAt('jobs', 'main')).toBe(t0 + 100)
  })
})

describe('changeToken', () => {
  it('changes when another connection commits, not for our own writes', () => {
    const path = file('version.db')
    const mine = open(path)
    const theirs = open(path)
    mine.declareChannel('jobs', channelConfig())

    const before = mine.changeToken()
    mine.publish(message('jobs', 'own write', t0))
    expect(mine.changeToken()).toBe(before)
    theirs.publish(message('jobs', 'their write', t0))
    expect(mine.changeToken()).not.toBe(before)
  })
})
