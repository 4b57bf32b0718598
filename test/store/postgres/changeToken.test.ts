// The PostgreSQL change probe: a count of other stores' commit notifications (LISTEN/NOTIFY), read
// without a round trip. It moves for another store's writes from either side (the synchronous
// bridge, the consumer side's pool), not for the store's own, and not for a store on another schema.

import { afterEach, describe, expect, it } from 'vitest'
import { openPostgresStore } from '../../../src/store/index.js'
import type { Store } from '../../../src/store/index.js'
import { channelConfig, message } from '../helpers.js'
import { postgresUrl, useSchemas } from '../../support/postgres.js'

const t0 = 1_700_000_000_000

async function settle(): Promise<void> {
  // Long enough for a notification on its way to arrive (they take about a millisecond here).
  await new Promise((resolve) => setTimeout(resolve, 300))
}

describe('PostgreSQL changeToken', () => {
  const schema = useSchemas()
  const stores: Store[] = []
  afterEach(() => {
    for (const store of stores.splice(0)) store.close()
  })
  const open = (name: string): Store => {
    const store = openPostgresStore({ connectionString: postgresUrl(), schema: name })
    stores.push(store)
    return store
  }

  it('moves for another store’s synchronous and consumer-side commits, not for its own', async () => {
    const name = schema()
    const [mine, theirs] = [open(name), open(name)]
    mine.declareChannel('jobs', channelConfig())
    await settle()
    const start = mine.changeToken()
    mine.publish(message('jobs', 'mine', t0))
    await mine.claim('jobs', 'main', 'h/1/a', t0, 1000, 1)
    await settle()
    expect(mine.changeToken()).toBe(start)

    theirs.publish(message('jobs', 'theirs', t0))
    await settle()
    const afterPublish = mine.changeToken()
    expect(afterPublish).not.toBe(start)
    await theirs.claim('jobs', 'main', 'h/1/b', t0, 1000, 1)
    await settle()
    expect(mine.changeToken()).not.toBe(afterPublish)
  })

  it('does not move for a store on another schema of the same database', async () => {
    const mine = open(schema())
    const elsewhere = open(schema())
    elsewhere.declareChannel('jobs', channelConfig())
    await settle()
    const start = mine.changeToken()
    elsewhere.publish(message('jobs', 'x', t0))
    await settle()
    expect(mine.changeToken()).toBe(start)
  })
})
