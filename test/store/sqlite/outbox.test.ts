// The outbox: on the application's own better-sqlite3 handle, a publish commits or rolls back with
// the application's transaction, and the store leaves the handle (and the app's schema) alone.

import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { openSqliteStore } from '../../../src/store/sqlite/sqliteStore.js'
import { UnknownChannelError } from '../../../src/errors.js'
import { channelConfig, message, tempDir } from '../helpers.js'

const file = tempDir()
const t0 = 1_700_000_000_000
const opened: Database.Database[] = []

function appDatabase(): Database.Database {
  const db = new Database(file('app.db'))
  opened.push(db)
  db.pragma('journal_mode = WAL')
  // Names and a user_version an application could well have: the store must not collide with them.
  db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT NOT NULL); CREATE TABLE messages (body TEXT)')
  db.pragma('user_version = 7')
  return db
}

afterEach(() => {
  for (const db of opened.splice(0)) if (db.open) db.close()
})

const ready = (store: ReturnType<typeof openSqliteStore>) => store.stats(t0).find((s) => s.channel === 'jobs')?.ready

describe('outbox on the application database', () => {
  it('rolls the message back with the application transaction that throws', () => {
    const db = appDatabase()
    const store = openSqliteStore({ database: db })
    store.declareChannel('jobs', channelConfig())
    const placeOrder = db.transaction((item: string) => {
      db.prepare('INSERT INTO orders (item) VALUES (?)').run(item)
      expect(store.mayWrite()).toBe(false)
      store.publish(message('jobs', item, t0))
      throw new Error('payment declined')
    })
    expect(() => placeOrder('book')).toThrow('payment declined')
    expect(db.prepare('SELECT COUNT(*) FROM orders').pluck().get()).toBe(0)
    expect(ready(store)).toBe(0)
    expect(store.mayWrite()).toBe(true)
  })

  it('commits the message with the application transaction', () => {
    const db = appDatabase()
    const store = openSqliteStore({ database: db })
    store.declareChannel('jobs', channelConfig())
    const placeOrder = db.transaction((item: string) => {
      db.prepare('INSERT INTO orders (item) VALUES (?)').run(item)
      return store.publish(message('jobs', item, t0)).id
    })
    expect(typeof placeOrder('book')).toBe('number')
    expect(db.prepare('SELECT COUNT(*) FROM orders').pluck().get()).toBe(1)
    expect(ready(store)).toBe(1)
  })

  it('keeps the application transaction usable after a publish refused inside it', () => {
    const db = appDatabase()
    const store = openSqliteStore({ database: db })
    store.declareChannel('jobs', channelConfig({ maxMessageBytes: 2 }))
    db.transaction(() => {
      db.prepare('INSERT INTO orders (item) VALUES (?)').run('pen')
      expect(() => store.publish(message('jobs', 'too long', t0))).toThrow(expect.objectContaining({ code: 'ERR_MESSAGE_TOO_LARGE' }))
      store.publish(message('jobs', 'ok', t0))
    })()
    expect(db.prepare('SELECT COUNT(*) FROM orders').pluck().get()).toBe(1)
    expect(ready(store)).toBe(1)
  })

  it('leaves the application handle open, its user_version and tables alone', () => {
    const db = appDatabase()
    const store = openSqliteStore({ database: db })
    store.declareChannel('jobs', channelConfig())
    store.close()
    expect(db.open).toBe(true)
    expect(db.pragma('user_version', { simple: true })).toBe(7)
    expect(db.prepare('SELECT COUNT(*) FROM messages').pluck().get()).toBe(0)
    expect(() => store.stats()).toThrow(expect.objectContaining({ code: 'ERR_STORE_CLOSED' }))
  })

  it('returns plain numbers even when the application turned on safe integers', () => {
    const db = appDatabase()
    db.defaultSafeIntegers(true)
    const store = openSqliteStore({ database: db })
    store.declareChannel('jobs', channelConfig())
    const { id } = store.publish(message('jobs', 'x', t0))
    const [m] = store.claim('jobs', 'main', 'h/1/a', t0, 1000, 1)
    expect(typeof id).toBe('number')
    expect(m).toMatchObject({ id, attempt: 1, createdAt: t0 })
    expect(typeof store.changeToken()).toBe('number')
  })

  it('reports a clear error once the application closed its handle', () => {
    const db = appDatabase()
    const store = openSqliteStore({ database: db })
    store.declareChannel('jobs', channelConfig())
    db.close()
    expect(() => store.publish(message('jobs', 'x', t0))).toThrow(expect.objectContaining({ name: 'StoreError', code: 'ERR_STORE_CLOSED' }))
  })

  it('rejects something that is not a better-sqlite3 handle', () => {
    expect(() => openSqliteStore({ database: {} })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
  })
})

describe('the publish path reads channel settings fresh when they may have changed', () => {
  it('forgets a declaration that the application rolled back (outbox)', () => {
    const db = new Database(file('app.db'))
    const store = openSqliteStore({ database: db })
    try {
      store.declareChannel('kept', channelConfig())
      store.publish(message('kept', 'a', t0))
      const declareThenFail = db.transaction(() => {
        store.declareChannel('gone', channelConfig())
        store.publish(message('gone', 'a', t0))
        throw new Error('rolled back')
      })
      expect(declareThenFail).toThrow('rolled back')
      expect(() => store.publish(message('gone', 'b', t0))).toThrow(UnknownChannelError)
      expect(store.publish(message('kept', 'b', t0)).duplicate).toBe(false)
    } finally {
      store.close()
      db.close()
    }
  })
})
