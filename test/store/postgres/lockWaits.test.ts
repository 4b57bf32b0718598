// Synchronous calls block their thread while PostgreSQL answers, so they must not wait long for a
// lock that a transaction of the same process holds between two statements (it could not go on):
// cancel waits for a job's row a moment at most, then fails busy; pause and re-declaration never
// wait for a rate-limited claim under way.

import { afterEach, describe, expect, it } from 'vitest'
import { openPostgresStore } from '../../../src/store/index.js'
import type { Store } from '../../../src/store/index.js'
import { CANCEL_LOCK_WAIT_MS } from '../../../src/store/postgres/jobControl.js'
import { channelConfig, message } from '../helpers.js'
import { pgModule, postgresUrl, useSchemas } from '../../support/postgres.js'

const t0 = 1_700_000_000_000

describe('PostgreSQL lock waits of synchronous calls', () => {
  const schema = useSchemas()
  const closers: Array<() => unknown> = []
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close()
  })
  const open = (name: string): Store => {
    const store = openPostgresStore({ connectionString: postgresUrl(), schema: name, timeoutMs: 10_000 })
    closers.push(() => store.close())
    return store
  }
  const holder = async (name: string) => {
    const client = new (pgModule().Client)({ connectionString: postgresUrl() })
    await client.connect()
    closers.push(() => client.end())
    await client.query(`SET search_path TO "${name}"`)
    return client
  }

  it('cancel waits for a job row held by a transaction only a moment, fails busy, and succeeds once it ends', async () => {
    const name = schema()
    const store = open(name)
    store.declareChannel('jobs', channelConfig())
    const { id } = store.publish(message('jobs', 'x', t0))
    const other = await holder(name)
    await other.query('BEGIN')
    await other.query('SELECT id FROM durable_ipc_messages WHERE id = $1 FOR UPDATE', [id])
    const started = performance.now()
    expect(() => store.cancel(id, t0)).toThrow(expect.objectContaining({ name: 'StoreError', code: 'ERR_STORE_BUSY' }))
    const waited = performance.now() - started
    expect(waited).toBeGreaterThanOrEqual(CANCEL_LOCK_WAIT_MS - 10)
    expect(waited).toBeLessThan(3000)
    await other.query('COMMIT')
    expect(store.cancel(id, t0)).toBe(true)
    expect(store.job(id, t0)?.state).toBe('cancelled')
  })

  it('pauses and re-declares a rate-limited channel without waiting for a claim under way', async () => {
    const name = schema()
    const store = open(name)
    const config = channelConfig({ rateLimit: { max: 5, intervalMs: 1000 } })
    store.declareChannel('jobs', config)
    store.publish(message('jobs', 'x', t0))
    // A claim of the channel between two statements holds the channel's turn.
    const other = await holder(name)
    await other.query('BEGIN')
    await other.query("SELECT pg_advisory_xact_lock(hashtext('durable_ipc rate ' || current_schema() || '.' || $1))", ['jobs'])
    const started = performance.now()
    store.setPaused('jobs', true)
    store.declareChannel('jobs', { ...config, maxAttempts: 7 })
    store.setPaused('jobs', false)
    expect(performance.now() - started).toBeLessThan(1000)
    // Another claim of the channel waits for the turn meanwhile, and claims once it is given back.
    const claiming = store.claim('jobs', 'main', 'h/1/a', t0, 1000, 1)
    await new Promise((resolve) => setTimeout(resolve, 200))
    await other.query('COMMIT')
    expect(await claiming).toHaveLength(1)
  })
})
