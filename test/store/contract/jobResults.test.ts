// Pruning job results: oldest first, only those stored before the cutoff, at most `limit`, and
// their ids are never given again.

import { beforeEach, describe, expect, it } from 'vitest'
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
    store.declareChannel('jobs', channelConfig())
  })

  /** Stores a job and its result, completed at `completedAt`; returns its id. */
  async function job(completedAt: number): Promise<number> {
    const { id } = store.publish(message('jobs', 'request', t0, { kind: 'invoke' }))
    const owner = backend.ownerId()
    await store.claim('jobs', 'main', owner, t0, 1000, 1)
    await store.ackWithResult(id, owner, true, new Uint8Array([1]), completedAt)
    return id
  }

  describe('pruneJobResults', () => {
    it('deletes only results completed before the cutoff, oldest first, at most `limit`', async () => {
      const ids = [(await job(t0 + 30)), (await job(t0 + 10)), (await job(t0 + 20)), (await job(t0 + 40))]
      expect(store.pruneJobResults(t0 + 35, 2)).toBe(2)
      expect(ids.map((id) => store.jobResult(id) !== undefined)).toEqual([true, false, false, true])
      expect(store.pruneJobResults(t0 + 35, 2)).toBe(1)
      expect(store.pruneJobResults(t0 + 35, 2)).toBe(0)
      expect(ids.map((id) => store.jobResult(id) !== undefined)).toEqual([false, false, false, true])
    })

    it('never gives a pruned result’s id to a new message', async () => {
      const last = (await job(t0))
      expect(store.pruneJobResults(t0 + 1, 10)).toBe(1)
      expect(store.publish(message('jobs', 'next', t0)).id).toBeGreaterThan(last)
    })
  })
})
