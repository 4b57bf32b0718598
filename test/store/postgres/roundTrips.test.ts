// The consumer side's hot writes cost one round trip each on PostgreSQL (a statement committed on its
// own, its notification inside): a claim, a report, an ack, an ack with a result. A claim that must
// take over another owner's expired lease, or count a rate limit, runs the whole claim in a
// transaction and still gives what it did.

import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { newOwnerId, openPostgresStore } from '../../../src/store/index.js'
import type { Store } from '../../../src/store/index.js'
import { channelConfig, message } from '../helpers.js'
import { pgModule, postgresUrl, useSchemas } from '../../support/postgres.js'

const t0 = 1_700_000_000_000

describe('PostgreSQL round trips of the consumer side', () => {
  const schema = useSchemas()
  const stores: Store[] = []
  // Every query of the pool's connections (this thread; the bridge's worker has a pg of its own).
  const Client = pgModule().Client
  const query = Client.prototype.query
  let trips = 0
  beforeEach(() => {
    Client.prototype.query = function (this: InstanceType<typeof Client>, ...args: unknown[]) {
      trips++
      return (query as (...a: unknown[]) => unknown).apply(this, args)
    } as typeof query
  })
  afterEach(() => {
    Client.prototype.query = query
    for (const store of stores.splice(0)) store.close()
  })
  const open = (name: string): Store => {
    const store = openPostgresStore({ connectionString: postgresUrl(), schema: name, poolSize: 1 })
    stores.push(store)
    return store
  }
  const counted = async <R>(work: () => R | Promise<R>): Promise<{ trips: number; value: Awaited<R> }> => {
    const before = trips
    const value = await work()
    return { trips: trips - before, value }
  }

  it('claims, reports, acks and stores a result in one round trip each', async () => {
    const store = open(schema())
    store.declareChannel('jobs', channelConfig())
    store.publishMany(Array.from({ length: 6 }, (_, i) => message('jobs', `m${i}`, t0)))
    const owner = newOwnerId()
    // The pool's first connection runs its session setup: not counted below.
    await store.nextVisibleAt('jobs', 'main', owner, t0)

    const claim = await counted(() => store.claim('jobs', 'main', owner, t0, 30_000, 4, 2))
    expect(claim.trips).toBe(1)
    expect(claim.value.map((m) => [m.attempt, m.started])).toEqual([[1, true], [1, true], [1, false], [1, false]])
    const [a, b, c, d] = claim.value.map((m) => m.id)
    const report = await counted(() => store.report(owner, { acks: [a!], starts: [c!], renew: { ids: [b!, c!], leaseUntil: t0 + 60_000 } }))
    expect(report).toEqual({ trips: 1, value: [b, c] })
    expect((await counted(() => store.ack([b!, c!], owner))).trips).toBe(1)
    expect((await counted(() => store.ackWithResult(d!, owner, true, new Uint8Array([1]), t0))).trips).toBe(1)
    expect(store.jobResult(d!)?.ok).toBe(true)
    expect(store.job(d!, t0)?.state).toBe('completed')
    // Acknowledged ones are gone, the rest still in line (the renewed lease of c ended with its ack).
    const rest = await store.claim('jobs', 'main', newOwnerId(), t0 + 40_000, 30_000, 10)
    expect(rest.map((m) => m.id)).toEqual([d! + 1, d! + 2])
  })

  it('runs the whole claim when another owner\'s lease ran out, taking it over', async () => {
    const store = open(schema())
    store.declareChannel('jobs', channelConfig())
    store.publish(message('jobs', 'one', t0))
    const [gone, owner] = [newOwnerId(), newOwnerId()]
    await store.claim('jobs', 'main', gone, t0, 1000, 1)
    const takeOver = await counted(() => store.claim('jobs', 'main', owner, t0 + 5000, 30_000, 1))
    expect(takeOver.trips).toBeGreaterThan(1)
    expect(takeOver.value.map((m) => m.attempt)).toEqual([2])
  })
})
