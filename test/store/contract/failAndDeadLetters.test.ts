// Failed attempts: retry at a given time, or dead-letter; dead letters listed, replayed (ids kept),
// purged.

import { beforeEach, describe, expect, it } from 'vitest'
import type { Store } from '../../../src/store/index.js'
import { channelConfig, message, text } from '../helpers.js'
import { backends } from './backends.js'
import { useStores } from './fixture.js'

const t0 = 1_700_000_000_000
const owner = 'test-host/1/abc'

describe.each(backends)('$name store', (backend) => {
  const stores = useStores(backend)
  let store: Store

  beforeEach(() => {
    store = stores.store()
    store.declareChannel('jobs', channelConfig())
    store.declareChannel('other', channelConfig())
  })

  /** Publishes `texts` and dead-letters each after one attempt; returns their ids. */
  async function deadLetter(channel: string, texts: string[]): Promise<number[]> {
    const ids = texts.map((t) => store.publish(message(channel, t, t0)).id)
    for (const m of (await store.claim(channel, 'main', owner, t0, 1000, texts.length))) {
      await store.fail({ id: m.id, owner, error: `failed ${text(m.payload)}`, retryAt: null, now: t0 + 1 })
    }
    return ids
  }

  describe('fail', () => {
    it('reschedules a retry: hidden until retryAt, then attempt 2', async () => {
      const { id } = store.publish(message('jobs', 'x', t0))
      await store.claim('jobs', 'main', owner, t0, 1000, 1)
      await store.fail({ id, owner, error: 'Error: boom', retryAt: t0 + 200, now: t0 + 10 })

      expect(store.stats(t0 + 10)[0]).toMatchObject({ ready: 0, delayed: 1, inFlight: 0 })
      expect((await store.nextVisibleAt('jobs', 'main'))).toBe(t0 + 200)
      expect((await store.claim('jobs', 'main', owner, t0 + 199, 1000, 1))).toEqual([])
      expect((await store.claim('jobs', 'main', owner, t0 + 200, 1000, 1)).map((m) => m.attempt)).toEqual([2])
    })

    it('dead-letters at retryAt null, with the last error and the attempt count', async () => {
      const { id } = store.publish(message('jobs', 'x', t0))
      await store.claim('jobs', 'main', owner, t0, 1000, 1)
      await store.fail({ id, owner, error: 'first', retryAt: t0 + 1, now: t0 })
      await store.claim('jobs', 'main', owner, t0 + 1, 1000, 1)
      await store.fail({ id, owner, error: 'Error: second\n    at work', retryAt: null, now: t0 + 2 })

      const [dead] = store.deadLetters('jobs')
      expect(dead && { ...dead, payload: text(dead.payload) }).toEqual({
        id, channel: 'jobs', subscription: 'main', kind: 'message', payload: 'x', attempts: 2,
        lastError: 'Error: second\n    at work', createdAt: t0, failedAt: t0 + 2,
      })
      expect((await store.nextVisibleAt('jobs', 'main'))).toBeNull()
      expect(store.stats(t0 + 2).find((s) => s.channel === 'jobs')).toMatchObject({ ready: 0, delayed: 0, inFlight: 0, dead: 1 })
    })

    it('ignores a fail from an owner that does not hold the message', async () => {
      const { id } = store.publish(message('jobs', 'x', t0))
      await store.fail({ id, owner, error: 'not claimed', retryAt: null, now: t0 })
      await store.claim('jobs', 'main', owner, t0, 1000, 1)
      await store.fail({ id, owner: 'test-host/2/zzz', error: 'not mine', retryAt: null, now: t0 })
      expect(store.deadLetters('jobs')).toEqual([])
      expect(store.stats(t0).find((s) => s.channel === 'jobs')).toMatchObject({ inFlight: 1, dead: 0 })
    })
  })

  describe('dead letters', () => {
    it('lists by channel, oldest first, optionally by ids', async () => {
      const ids = (await deadLetter('jobs', ['a', 'b', 'c']))
      await deadLetter('other', ['z'])
      expect(store.deadLetters('jobs').map((d) => d.id)).toEqual(ids)
      expect(store.deadLetters('jobs', [ids[2]!, ids[0]!]).map((d) => text(d.payload))).toEqual(['a', 'c'])
      expect(store.deadLetters('jobs', [])).toEqual([])
    })

    it('replays all of a channel as fresh messages with their own ids, in order', async () => {
      const ids = (await deadLetter('jobs', ['a', 'b']))
      await deadLetter('other', ['z'])
      expect(store.replay('jobs', undefined, t0 + 50)).toBe(2)
      expect(store.deadLetters('jobs')).toEqual([])
      expect(store.deadLetters('other')).toHaveLength(1)

      const again = (await store.claim('jobs', 'main', owner, t0 + 50, 1000, 10))
      expect(again.map((m) => [text(m.payload), m.attempt])).toEqual([['a', 1], ['b', 1]])
      // Same ids: a caller waiting for a job by its id sees its new outcome.
      expect(again.map((m) => m.id)).toEqual(ids)
      expect(again[0]!.createdAt).toBe(t0)
    })

    it('replays only the given ids', async () => {
      const ids = (await deadLetter('jobs', ['a', 'b', 'c']))
      expect(store.replay('jobs', [ids[1]!, 424242], t0)).toBe(1)
      expect(store.deadLetters('jobs').map((d) => text(d.payload))).toEqual(['a', 'c'])
      expect((await store.claim('jobs', 'main', owner, t0, 1000, 10)).map((m) => text(m.payload))).toEqual(['b'])
    })

    it('does not replay another channel’s dead letter by id', async () => {
      const [otherId] = (await deadLetter('other', ['z']))
      expect(store.replay('jobs', [otherId!], t0)).toBe(0)
      expect(store.deadLetters('other')).toHaveLength(1)
    })

    it('purges all of a channel, or only the given ids', async () => {
      const ids = (await deadLetter('jobs', ['a', 'b', 'c']))
      await deadLetter('other', ['z'])
      expect(store.purgeDeadLetters('jobs', [ids[0]!])).toBe(1)
      expect(store.deadLetters('jobs').map((d) => text(d.payload))).toEqual(['b', 'c'])
      expect(store.purgeDeadLetters('jobs')).toBe(2)
      expect(store.deadLetters('jobs')).toEqual([])
      expect(store.deadLetters('other')).toHaveLength(1)
    })
  })
})
