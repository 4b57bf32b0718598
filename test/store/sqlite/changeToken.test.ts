// SQLite's change token is PRAGMA data_version: another connection's commit changes it, this
// connection's own writes do not (the contract allows either for own writes; this backend's
// watchers rely on the quiet).

import { afterEach, describe, expect, it } from 'vitest'
import { openSqliteStore } from '../../../src/store/sqlite/sqliteStore.js'
import type { Store } from '../../../src/store/types.js'
import { channelConfig, message, tempDir } from '../helpers.js'

const file = tempDir()
const t0 = 1_700_000_000_000
const stores: Store[] = []

function open(path: string): Store {
  const store = openSqliteStore({ path })
  stores.push(store)
  return store
}

afterEach(() => {
  for (const store of stores.splice(0)) store.close()
})

describe('changeToken', () => {
  it('changes when another connection commits, not for our own writes', () => {
    const path = file('version.db')
    const mine = open(path)
    const theirs = open(path)
    mine.declareChannel('jobs', channelConfig())

    const before = mine.changeToken()
    mine.publish(message('jobs', 'own write', t0))
    expect(mine.changeToken()).toBe(before)
    theirs.publish(message('jobs', 'their write', t0))
    expect(mine.changeToken()).not.toBe(before)
  })
})
