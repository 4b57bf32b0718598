// A closed store refuses every call with a typed error; closing twice is harmless.

import { describe, expect, it } from 'vitest'
import { StoreError } from '../../../src/errors.js'
import { channelConfig, message } from '../helpers.js'
import { backends } from './backends.js'
import { useStores } from './fixture.js'

const t0 = 1_700_000_000_000

describe.each(backends)('$name store', (backend) => {
  const stores = useStores(backend)

  it('refuses every call after close with ERR_STORE_CLOSED, and close twice is harmless', async () => {
    const store = stores.store()
    store.declareChannel('jobs', channelConfig())
    store.close()
    store.close()
    const refused = expect.objectContaining({ name: 'StoreError', code: 'ERR_STORE_CLOSED' })
    expect(() => store.publish(message('jobs', 'x', t0))).toThrow(StoreError)
    expect(() => store.publish(message('jobs', 'x', t0))).toThrow(refused)
    await expect(async () => store.claim('jobs', 'main', backend.ownerId(), t0, 1000, 1)).rejects.toThrow(refused)
    expect(() => store.stats(t0)).toThrow(refused)
    expect(() => store.changeToken()).toThrow(refused)
    expect(() => store.mayWrite()).toThrow(refused)
  })
})
