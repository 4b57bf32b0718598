// Group commit (actors/durable/groupCommit.ts): the durable sends of worker renderers that reach
// main in one turn are stored in one transaction, each in a savepoint; a bad one fails alone, a
// failed transaction fails them all and stores none, and an application's open transaction (the
// outbox) is waited out. On the real SQLite store, its writeTogether calls counted on the way.

import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { GroupCommit } from '../../../src/actors/durable/groupCommit.js'
import type { GroupedWrite } from '../../../src/actors/durable/groupCommit.js'
import { TransactionWait } from '../../../src/actors/durable/transactionWait.js'
import { BrokerClosedError, MessageTooLargeError, StoreError } from '../../../src/errors.js'
import { openSqliteStore } from '../../../src/store/index.js'
import type { ChannelConfig, Store, SyncStore } from '../../../src/store/index.js'

const config: ChannelConfig = {
  maxAttempts: 3, backoffInitialMs: 1, backoffMaxMs: 2, concurrency: 1, leaseMs: 30_000, maxMessageBytes: 32, maxDepth: null,
  timeoutMs: null, rateLimit: null,
}

let dir: string
const stores: SyncStore[] = []
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'durable-ipc-group-'))
})
afterEach(() => {
  for (const store of stores.splice(0)) store.close()
  rmSync(dir, { recursive: true, force: true })
})

function open(options: Parameters<typeof openSqliteStore>[0] = { path: join(dir, 'group.db') }): { store: SyncStore; together: () => number } {
  const store = openSqliteStore(options)
  stores.push(store)
  store.declareChannel('jobs', config)
  let calls = 0
  const real = store.writeTogether!.bind(store)
  store.writeTogether = (fn) => {
    calls++
    real(fn)
  }
  return { store, together: () => calls }
}

/** A write that publishes `text`; its answer lands in `answers`. */
function write(store: Store, text: string, answers: Map<string, unknown>): GroupedWrite {
  return {
    store: () => {
      store.publish({ channel: 'jobs', payload: JSON.stringify(text), kind: 'message', visibleAt: Date.now(), now: Date.now() })
      return true
    },
    done: (error) => void answers.set(text, error ?? 'stored'),
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
const stored = (store: Store): number => store.stats()[0]!.ready

describe('group commit of the writes of one turn', () => {
  it('stores them in one transaction; a bad one fails alone, the others commit', async () => {
    const { store, together } = open()
    const group = new GroupCommit(store, new TransactionWait(() => store.mayWrite(), 1000))
    const answers = new Map<string, unknown>()
    for (const text of ['a', 'x'.repeat(100), 'b', 'c']) group.add('jobs', write(store, text, answers))
    expect(answers.size).toBe(0) // answered only after the turn's transaction
    await turn()
    expect(together()).toBe(1)
    expect(answers.get('a')).toBe('stored')
    expect(answers.get('x'.repeat(100))).toBeInstanceOf(MessageTooLargeError)
    expect(answers.get('b')).toBe('stored')
    expect(answers.get('c')).toBe('stored')
    const line = (await store.claim('jobs', 'main', 'host/1/o', Date.now(), 30_000, 10)).map((m) => JSON.parse(m.payload as string))
    expect(line).toEqual(['a', 'b', 'c'])
  })

  it('skips a write whose caller gave up (store() false): it is neither stored nor answered', async () => {
    const { store } = open()
    const group = new GroupCommit(store, new TransactionWait(() => store.mayWrite(), 1000))
    const answers = new Map<string, unknown>()
    let doneCalled = false
    group.add('jobs', { store: () => false, done: () => (doneCalled = true) })
    group.add('jobs', write(store, 'kept', answers))
    await turn()
    expect(doneCalled).toBe(false)
    expect(answers.get('kept')).toBe('stored')
    expect(stored(store)).toBe(1)
  })

  it('a transaction that cannot begin fails every write of the group, storing none', async () => {
    const path = join(dir, 'busy.db')
    const { store } = open({ path, busyTimeoutMs: 30 })
    const other = new Database(path)
    other.exec('BEGIN IMMEDIATE')
    const group = new GroupCommit(store, new TransactionWait(() => store.mayWrite(), 1000))
    const answers = new Map<string, unknown>()
    for (const text of ['a', 'b']) group.add('jobs', write(store, text, answers))
    await turn()
    other.exec('ROLLBACK')
    other.close()
    expect(answers.get('a')).toMatchObject({ code: 'ERR_STORE_BUSY' })
    expect(answers.get('b')).toBeInstanceOf(StoreError)
    expect(stored(store)).toBe(0)
  })

  it('waits out an application transaction on the shared handle, then stores them', async () => {
    const db = new Database(join(dir, 'outbox.db'))
    db.pragma('journal_mode = WAL')
    const { store } = open({ database: db })
    const group = new GroupCommit(store, new TransactionWait(() => store.mayWrite(), 2000))
    const answers = new Map<string, unknown>()
    db.exec('BEGIN')
    group.add('jobs', write(store, 'after', answers))
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(answers.size).toBe(0)
    db.exec('ROLLBACK') // the application's own work rolls back; the send is not part of it
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(answers.get('after')).toBe('stored')
    expect(stored(store)).toBe(1)
    db.close()
  })

  it('refuses queued and later writes with BrokerClosedError once closed', async () => {
    const { store } = open()
    const group = new GroupCommit(store, new TransactionWait(() => store.mayWrite(), 1000))
    const answers = new Map<string, unknown>()
    group.add('jobs', write(store, 'queued', answers))
    group.close()
    group.add('jobs', write(store, 'later', answers))
    await turn()
    expect(answers.get('queued')).toBeInstanceOf(BrokerClosedError)
    expect(answers.get('later')).toBeInstanceOf(BrokerClosedError)
    expect(stored(store)).toBe(0)
  })
})
