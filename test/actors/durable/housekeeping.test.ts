// The store's housekeeping on XState's SimulatedClock: job results pruned at open and then once a
// minute, and channels another connection declares learnt within a second, without waiting.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SimulatedClock } from 'xstate'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CHECK_EVERY_MS, PRUNE_EVERY_MS, startHousekeeping } from '../../../src/actors/durable/housekeepingMachine.js'
import type { HousekeepingActor } from '../../../src/actors/durable/housekeepingMachine.js'
import { openSqliteStore } from '../../../src/store/index.js'
import type { ChannelConfig, Store } from '../../../src/store/index.js'

const t0 = 1_700_000_000_000
const config: ChannelConfig = {
  maxAttempts: 3, backoffInitialMs: 100, backoffMaxMs: 1000, concurrency: 1, leaseMs: 30_000, maxMessageBytes: null, maxDepth: null, timeoutMs: null, rateLimit: null,
}

let dir: string
let store: Store
let housekeeping: HousekeepingActor | undefined
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'durable-ipc-housekeeping-'))
  store = openSqliteStore({ path: join(dir, 'h.db') })
  store.declareChannel('jobs', config)
})
afterEach(() => {
  housekeeping?.send({ type: 'stop' })
  store.close()
  rmSync(dir, { recursive: true, force: true })
})

/** A job whose outcome was stored at `at`; returns its id. */
function settledJob(at: number): number {
  const { id } = store.publish({ channel: 'jobs', payload: '"job"', kind: 'invoke', visibleAt: at, now: at })
  store.claim('jobs', 'main', 'test-host/1/h', at, 1000, 1)
  store.ackWithResult(id, 'test-host/1/h', true, new Uint8Array([1]), at)
  return id
}

describe('housekeeping on a simulated clock', () => {
  it('prunes job results past their retention at open and then once a minute', () => {
    const clock = new SimulatedClock()
    clock.set(t0)
    const old = settledJob(t0 - 10_000)
    const recent = settledJob(t0 - 1_000)
    housekeeping = startHousekeeping({ store, retentionMs: 5_000, onChannel: () => {} }, { clock })
    expect(store.jobResult(old)).toBeUndefined() // at open
    expect(store.jobResult(recent)).toBeDefined()
    clock.increment(PRUNE_EVERY_MS - 1)
    expect(store.jobResult(recent)).toBeDefined()
    clock.increment(1)
    expect(store.jobResult(recent)).toBeUndefined()
  })

  it('keeps every result with Infinity, and learns a channel another connection declared within a second', () => {
    const clock = new SimulatedClock()
    clock.set(t0)
    const kept = settledJob(t0 - 365 * 86_400_000)
    const learnt: string[] = []
    housekeeping = startHousekeeping({ store, retentionMs: Infinity, onChannel: (name) => learnt.push(name) }, { clock })
    const other = openSqliteStore({ path: join(dir, 'h.db') })
    try {
      other.declareChannel('reports', config)
    } finally {
      other.close()
    }
    clock.increment(CHECK_EVERY_MS - 1)
    expect(learnt).toEqual([])
    clock.increment(1)
    expect(learnt).toEqual(['jobs', 'reports'])
    clock.increment(CHECK_EVERY_MS * 5)
    expect(learnt).toEqual(['jobs', 'reports']) // nothing changed since: the list is not read again
    clock.increment(PRUNE_EVERY_MS)
    expect(store.jobResult(kept)).toBeDefined()
  })
})
