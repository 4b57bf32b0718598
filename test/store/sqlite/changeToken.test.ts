// SQLite's change token is PRAGMA data_version: another connection's commit changes it, this
// connection's own writes do not (the contract allows either for own writes; this backend's
// watchers rely on the quiet).

import { describe, expect, it } from 'vitest'
import { channelConfig, message, tempDir, useSqliteStores } from '../helpers.js'

const file = tempDir()
const t0 = 1_700_000_000_000
const open = useSqliteStores()

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
