// Owner ids (host/pid/random) and how SQLite tells an owner is gone: on this host, with a dead pid;
// one of another host never is (releasing by owner is in the contract suite).

import { spawnSync } from 'node:child_process'
import { hostname } from 'node:os'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isOwnerGone, newOwnerId, parseOwnerId } from '../../../src/store/sqlite/owners.js'
import { openSqliteStore } from '../../../src/store/sqlite/sqliteStore.js'
import type { Store } from '../../../src/store/contract.js'
import { channelConfig, message, tempDir, text } from '../helpers.js'

const file = tempDir()
const t0 = 1_700_000_000_000
let store: Store

beforeEach(() => {
  store = openSqliteStore({ path: file('owners.db') })
  store.declareChannel('jobs', channelConfig())
})
afterEach(() => store.close())

/** The pid of a real process that has exited by the time this returns. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
  expect(child.status).toBe(0)
  return Number(child.stdout)
}

/** Publishes one message per owner and leases it to that owner; returns the texts by owner. */
function leaseOneEach(owners: string[]): void {
  for (const owner of owners) {
    store.publish(message('jobs', owner, t0))
    expect(store.claim('jobs', 'main', owner, t0, 60_000, 1)).toHaveLength(1)
  }
}

describe('owner ids', () => {
  it('are host/pid/random and unique', () => {
    const a = newOwnerId()
    expect(parseOwnerId(a)).toMatchObject({ host: hostname(), pid: process.pid })
    expect(newOwnerId()).not.toBe(a)
    expect(parseOwnerId('garbage')).toBeUndefined()
    expect(parseOwnerId('host/0/x')).toBeUndefined()
  })

  it('count as gone only on this host with a dead pid', () => {
    const pid = deadPid()
    expect(isOwnerGone(`${hostname()}/${pid}/x`)).toBe(true)
    expect(isOwnerGone(`${hostname()}/${process.pid}/x`)).toBe(false)
    expect(isOwnerGone(`another-host.example/${pid}/x`)).toBe(false)
    expect(isOwnerGone('not an owner')).toBe(false)
  })
})

describe('releasing leases', () => {
  it('releases the leases of a dead process of this host, keeping their attempt count', () => {
    const dead = `${hostname()}/${deadPid()}/dead`
    const alive = `${hostname()}/${process.pid}/alive`
    const remote = `another-host.example/${deadPid()}/remote`
    leaseOneEach([dead, alive, remote])

    expect(store.releaseDeadOwners(t0 + 10)).toBe(1)
    const again = store.claim('jobs', 'main', newOwnerId(), t0 + 10, 60_000, 10)
    expect(again.map((m) => [text(m.payload), m.attempt])).toEqual([[dead, 2]])
    expect(store.releaseDeadOwners(t0 + 10)).toBe(0)
  })
})
