// The reads of tools that watch a database without consuming from it: messages and dead letters
// page by page in id order, the last id given, and dead letters counted per subscription.

import { describe, expect, it } from 'vitest'
import { channelConfig, message, text } from '../helpers.js'
import { backends } from './backends.js'
import { useStores } from './fixture.js'

const t0 = 1_700_000_000_000

describe.each(backends)('$name store', (backend) => {
  const stores = useStores(backend)

  describe('messagesAfter and lastMessageId', () => {
    it('pages through messages in id order, of every channel or one, leased or not', async () => {
      const database = stores.database()
      const store = database.open()
      store.declareChannel('jobs', channelConfig())
      store.declareChannel('mail', channelConfig())
      expect(store.lastMessageId()).toBe(0)
      const a = store.publish(message('jobs', 'a', t0, { key: 'k' })).id
      const b = store.publish(message('mail', 'b', t0 + 1, { visibleAt: t0 + 500 })).id
      const c = store.publish(message('jobs', 'c', t0 + 2, { subscription: 'renderer:w1', fanOut: false })).id
      await store.claim('jobs', 'main', 'h/1/a', t0 + 3, 1000, 1)

      const reader = database.open({ readonly: true })
      expect(reader.messagesAfter(0, undefined, 10).map((m) => m.id)).toEqual([a, b, c])
      expect(reader.messagesAfter(a, undefined, 1).map((m) => text(m.payload))).toEqual(['b'])
      expect(reader.messagesAfter(0, 'jobs', 10).map((m) => [m.subscription, text(m.payload)])).toEqual([['main', 'a'], ['renderer:w1', 'c']])
      expect(reader.messagesAfter(0, 'jobs', 1)[0]).toMatchObject({ channel: 'jobs', kind: 'message', key: 'k', attempts: 1, createdAt: t0, leased: true })
      expect(reader.messagesAfter(0, 'mail', 1)[0]).toMatchObject({ visibleAt: t0 + 500, leased: false, key: null })
      expect(reader.lastMessageId()).toBe(c)
    })

    it('never goes back: acknowledged and purged ids stay below the next one', async () => {
      const store = stores.store()
      store.declareChannel('jobs', channelConfig({ maxAttempts: 1 }))
      const first = store.publish(message('jobs', 'a', t0)).id
      const [claimed] = (await store.claim('jobs', 'main', 'h/1/a', t0, 1000, 1))
      await store.ack([claimed!.id], 'h/1/a')
      expect(store.lastMessageId()).toBe(first)
      const next = store.publish(message('jobs', 'b', t0)).id
      expect(next).toBeGreaterThan(first)
      expect(store.messagesAfter(first, undefined, 10).map((m) => m.id)).toEqual([next])
    })

    it('rejects a bad page', async () => {
      const store = stores.store()
      expect(() => store.messagesAfter(0, undefined, 0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
      expect(() => store.deadLettersAfter(1.5, undefined, 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
    })
  })

  describe('deadLettersAfter', () => {
    it('pages through dead letters of every channel or of one', async () => {
      const store = stores.store()
      store.declareChannel('jobs', channelConfig({ maxAttempts: 1 }))
      store.declareChannel('mail', channelConfig({ maxAttempts: 1 }))
      for (const [channel, body] of [['jobs', 'j1'], ['mail', 'm1'], ['jobs', 'j2']] as const) store.publish(message(channel, body, t0))
      for (const channel of ['jobs', 'mail']) {
        for (const m of (await store.claim(channel, 'main', 'h/1/a', t0, 1000, 10))) (await store.fail({ id: m.id, owner: 'h/1/a', error: `E: ${text(m.payload)}`, retryAt: null, now: t0 + 1 }))
      }
      const all = store.deadLettersAfter(0, undefined, 10)
      expect(all.map((d) => [d.channel, text(d.payload), d.lastError])).toEqual([['jobs', 'j1', 'E: j1'], ['mail', 'm1', 'E: m1'], ['jobs', 'j2', 'E: j2']])
      expect(store.deadLettersAfter(all[0]!.id, 'jobs', 10).map((d) => text(d.payload))).toEqual(['j2'])
      expect(store.deadLettersAfter(0, 'jobs', 1).map((d) => text(d.payload))).toEqual(['j1'])
    })
  })

  describe('stats', () => {
    it('counts dead letters per subscription on channels with several subscriptions, whole on the others', async () => {
      const store = stores.store()
      store.declareChannel('jobs', channelConfig({ maxAttempts: 1 }))
      store.declareChannel('notice', channelConfig({ maxAttempts: 1 }))
      store.publish(message('jobs', 'a', t0))
      store.publish(message('jobs', 'b', t0))
      store.publish(message('notice', 'c', t0))
      store.publish(message('notice', 'd', t0, { subscription: 'renderer:w1', fanOut: false }))
      for (const [channel, subscription] of [['jobs', 'main'], ['notice', 'main'], ['notice', 'renderer:w1']] as const) {
        for (const m of (await store.claim(channel, subscription, 'h/1/a', t0, 1000, 10))) (await store.fail({ id: m.id, owner: 'h/1/a', error: 'x', retryAt: null, now: t0 }))
      }
      expect(store.stats(t0).map((s) => [s.channel, s.subscription, s.dead])).toEqual([
        ['jobs', 'main', 2],
        ['notice', 'main', 1],
        ['notice', 'renderer:w1', 1],
      ])
    })
  })
})
