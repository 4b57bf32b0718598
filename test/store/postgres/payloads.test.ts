// Payloads through the PostgreSQL store come back as they went in: text as a string, bytes (any
// byte value) as bytes, whichever side (the synchronous bridge or the pool) stored and read them,
// one by one or in bulk.

import { afterEach, describe, expect, it } from 'vitest'
import { openPostgresStore } from '../../../src/store/index.js'
import type { Store } from '../../../src/store/index.js'
import { channelConfig } from '../helpers.js'
import { postgresUrl, useSchemas } from '../../support/postgres.js'

const t0 = 1_700_000_000_000
const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i)

describe('PostgreSQL payloads', () => {
  const schema = useSchemas()
  const stores: Store[] = []
  afterEach(() => {
    for (const store of stores.splice(0)) store.close()
  })

  it('keeps text as text and bytes as bytes, published one by one or in bulk', async () => {
    const store = openPostgresStore({ connectionString: postgresUrl(), schema: schema() })
    stores.push(store)
    store.declareChannel('jobs', channelConfig({ maxAttempts: 1 }))
    const payloads = ['{"a":"ü ✓ \\u0000"}', allBytes, '', new Uint8Array(0)]
    for (const payload of payloads) store.publish({ channel: 'jobs', payload, kind: 'message', visibleAt: t0, now: t0 })
    store.publishMany(payloads.map((payload) => ({ channel: 'jobs', payload, kind: 'message', visibleAt: t0, now: t0 })))
    const claimed = await store.claim('jobs', 'main', 'h/1/a', t0, 1000, 100)
    expect(claimed.map((m) => m.payload)).toEqual([...payloads, ...payloads].map((p) => (typeof p === 'string' ? p : Buffer.from(p))))
    expect(claimed.map((m) => typeof m.payload)).toEqual(['string', 'object', 'string', 'object', 'string', 'object', 'string', 'object'])
    // Through the dead letters and back (read synchronously).
    for (const m of claimed) await store.fail({ id: m.id, owner: 'h/1/a', error: 'x', retryAt: null, now: t0 })
    expect(store.deadLetters('jobs').map((d) => d.payload)).toEqual(claimed.map((m) => m.payload))
    expect(store.replay('jobs', undefined, t0)).toBe(8)
    expect(store.messagesAfter(0, 'jobs', 100).map((m) => m.payload)).toEqual(claimed.map((m) => m.payload))
  })
})
