// Stores on one PostgreSQL database claiming at the same moment (FOR UPDATE SKIP LOCKED): no message
// is ever handed to two of them, none is lost, and none waits for another's claim; likewise for a
// take-over of expired leases that two stores attempt together.

import { describe, expect, it } from 'vitest'
import { openPostgresStore } from '../../../src/store/index.js'
import type { ClaimedMessage, Store } from '../../../src/store/index.js'
import { channelConfig, message, text } from '../helpers.js'
import { postgresUrl, useSchemas } from '../../support/postgres.js'
import { afterEach } from 'vitest'

const t0 = 1_700_000_000_000

describe('PostgreSQL claims from several stores at once', () => {
  const schema = useSchemas()
  const stores: Store[] = []
  afterEach(() => {
    for (const store of stores.splice(0)) store.close()
  })
  const open = (name: string): Store => {
    const store = openPostgresStore({ connectionString: postgresUrl(), schema: name, poolSize: 4 })
    stores.push(store)
    return store
  }

  it('never hands one message to two claimers, and hands out every message', async () => {
    const name = schema()
    const [a, b, c] = [open(name), open(name), open(name)]
    a.declareChannel('jobs', channelConfig())
    const total = 300
    a.publishMany(Array.from({ length: total }, (_, i) => message('jobs', `m${i}`, t0)))
    const claimedBy = new Map<number, string>()
    const twice: number[] = []
    // Each store runs several claimers in parallel, on its pool's connections.
    const claimer = async (store: Store, owner: string): Promise<number> => {
      let got = 0
      for (;;) {
        const batch: ClaimedMessage[] = await store.claim('jobs', 'main', owner, t0, 60_000, 7)
        if (batch.length === 0) return got
        for (const m of batch) {
          if (claimedBy.has(m.id)) twice.push(m.id)
          claimedBy.set(m.id, owner)
        }
        got += batch.length
        await store.ack(batch.map((m) => m.id), owner)
      }
    }
    const counts = await Promise.all([a, b, c].flatMap((store, s) => [0, 1, 2].map((k) => claimer(store, `h/${s}/${k}`))))
    expect(twice).toEqual([])
    expect(claimedBy.size).toBe(total)
    expect(counts.reduce((x, y) => x + y, 0)).toBe(total)
    // More than one claimer got work: the claims ran side by side, not one after the other.
    expect(counts.filter((n) => n > 0).length).toBeGreaterThan(1)
    expect(a.stats(t0).find((s) => s.channel === 'jobs')).toMatchObject({ ready: 0, inFlight: 0 })
  })

  it('takes over each expired lease once when two stores claim together', async () => {
    const name = schema()
    const [a, b] = [open(name), open(name)]
    a.declareChannel('jobs', channelConfig({ maxAttempts: 5 }))
    a.publishMany(Array.from({ length: 40 }, (_, i) => message('jobs', `m${i}`, t0)))
    expect(await a.claim('jobs', 'main', 'gone-host/1/x', t0, 100, 40)).toHaveLength(40)
    const later = t0 + 1000
    const [x, y] = await Promise.all([b.claim('jobs', 'main', 'h/1/b', later, 60_000, 40), a.claim('jobs', 'main', 'h/1/a', later, 60_000, 40)])
    const ids = [...x, ...y].map((m) => m.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids.length).toBe(40)
    // Each was taken over once: its started attempt counted once (the claim's start), not twice.
    expect([...x, ...y].every((m) => m.attempt === 2)).toBe(true)
    expect(new Set([...x, ...y].map((m) => text(m.payload))).size).toBe(40)
  })
})
