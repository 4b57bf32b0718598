// A PostgreSQL store's pool connections start with the store's session settings (its schema, its
// timeouts) from their first query on: given at connection startup, not as a setup query that the
// pool's first query would be queued behind (deprecated by pg). Also for a schema whose name needs
// quoting and escaping.

import { afterEach, describe, expect, it } from 'vitest'
import { openPostgresStore } from '../../../src/store/index.js'
import type { Store } from '../../../src/store/index.js'
import { postgresUrl, useSchemas } from '../../support/postgres.js'
import { channelConfig, message } from '../helpers.js'

const t0 = 1_700_000_000_000

describe('the PostgreSQL pool', () => {
  const schema = useSchemas()
  const stores: Store[] = []
  afterEach(() => {
    for (const store of stores.splice(0)) store.close()
  })

  it('queries in the store\'s schema from each pool connection\'s first query (settings given at startup, no setup query), for a schema name that needs quoting and escaping', async () => {
    const warnings: string[] = []
    const onWarning = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`)
    process.on('warning', onWarning)
    try {
      // A space, a backslash and a double quote: quoted as an identifier, escaped as a startup option.
      const name = `${schema()} a\\b "c"`
      const store = openPostgresStore({ connectionString: postgresUrl(), schema: name, poolSize: 2 })
      stores.push(store)
      store.declareChannel('jobs', channelConfig())
      const { id } = store.publish(message('jobs', 'job', t0))
      // Claims go through the pool: two at once open both of its connections.
      const [first, second] = await Promise.all([store.claim('jobs', 'main', 'h/1/a', t0, 30_000, 1), store.claim('jobs', 'main', 'h/1/b', t0, 30_000, 1)])
      expect([...first, ...second].map((m) => m.id)).toEqual([id])
      await new Promise((resolve) => setImmediate(resolve))
    } finally {
      process.off('warning', onWarning)
    }
    expect(warnings.filter((w) => w.startsWith('DeprecationWarning'))).toEqual([])
  })
})
