// The outbox (issue 4, point 14): createBroker({ database }) on the application's own
// better-sqlite3 handle. A durable send made inside the application's transaction exists exactly
// when the transaction commits, and close() leaves the handle open.

import { describe, expect, it } from 'vitest'
import { Counter, connect, dbPath, deferred, openBroker, storedMessages, turns, useDurableFixtures } from './durableHelpers.js'

useDurableFixtures()

/** The application's database with a table of its own, and a broker on the same handle. */
function app() {
  const path = dbPath()
  const db = connect(path)
  db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT NOT NULL)')
  const broker = openBroker({ database: db })
  broker.channel('order-placed', { durable: true })
  const got = new Counter<string>()
  broker.ipcMain.on('order-placed', (_e, item: string) => got.push(item))
  const orders = (): string[] => db.prepare('SELECT item FROM orders ORDER BY id').pluck().all() as string[]
  return { path, db, broker, got, orders }
}

describe('outbox', () => {
  it('rolls a send back with the application transaction that throws: no message, nothing delivered', async () => {
    const { path, db, broker, got, orders } = app()
    const place = db.transaction((item: string) => {
      db.prepare('INSERT INTO orders (item) VALUES (?)').run(item)
      broker.enqueue('order-placed', [item])
      if (item === 'bad') throw new Error('payment declined')
    })
    expect(() => place('bad')).toThrow('payment declined')
    expect(orders()).toEqual([])
    expect(storedMessages(path, 'order-placed')).toEqual([])
    // FIFO: had the rolled-back message survived anywhere, it would arrive before this one.
    place('good')
    await got.reach(1)
    await turns()
    expect(got.items).toEqual(['good'])
    expect(orders()).toEqual(['good'])
  })

  it('delivers a send whose transaction committed, and not before the commit', async () => {
    const { path, db, broker, got } = app()
    // Let the consumer go idle first, so that it is polling when the transaction runs.
    await turns()
    db.transaction(() => {
      broker.enqueue('order-placed', ['a'])
      broker.createRenderer().ipcRenderer.send('order-placed', 'b')
      expect(got.items).toEqual([])
    })()
    expect(storedMessages(path, 'order-placed')).toHaveLength(2)
    await got.reach(2)
    expect(got.items).toEqual(['a', 'b'])
  })

  it('treats a nested transaction as a savepoint: its rollback drops only its own sends', async () => {
    const { db, broker, got, orders } = app()
    db.transaction(() => {
      db.prepare("INSERT INTO orders (item) VALUES ('outer')").run()
      broker.enqueue('order-placed', ['outer'])
      try {
        db.transaction(() => {
          db.prepare("INSERT INTO orders (item) VALUES ('inner')").run()
          broker.enqueue('order-placed', ['inner'])
          throw new Error('inner fails')
        })()
      } catch {
        // the outer transaction goes on
      }
      broker.enqueue('order-placed', ['after'])
    })()
    expect(orders()).toEqual(['outer'])
    await got.reach(2)
    await turns()
    expect(got.items).toEqual(['outer', 'after'])
  })

  it('acknowledges through the application handle while the application keeps writing', async () => {
    const { path, db, broker, got } = app()
    for (let i = 0; i < 50; i++) {
      db.transaction(() => {
        db.prepare('INSERT INTO orders (item) VALUES (?)').run(`o${i}`)
        broker.enqueue('order-placed', [`o${i}`])
      })()
    }
    await got.reach(50)
    expect(got.items).toEqual(Array.from({ length: 50 }, (_, i) => `o${i}`))
    await expect.poll(() => storedMessages(path, 'order-placed')).toEqual([])
  })

  it('hands back a stopped consumer’s claims even when its listener went inside a transaction that rolled back', async () => {
    const { db, broker } = app()
    broker.channel('slow-jobs', { durable: true })
    const gate = deferred()
    const first = new Counter<number>()
    const slow = async (_e: unknown, n: number): Promise<void> => {
      first.push(n)
      await gate.promise
    }
    broker.ipcMain.on('slow-jobs', slow)
    for (let n = 1; n <= 3; n++) broker.enqueue('slow-jobs', [n])
    await first.reach(1) // 2 and 3 sit claimed in the consumer's batch
    expect(() => db.transaction(() => {
      broker.ipcMain.off('slow-jobs', slow)
      throw new Error('the application changes its mind')
    })()).toThrow('changes its mind')
    gate.resolve()
    // Not after their 30 s lease: handed back once the transaction was over.
    const next = new Counter<number>()
    broker.ipcMain.on('slow-jobs', (_e, n: number) => next.push(n))
    await next.reach(2)
    expect(next.items).toEqual([2, 3])
  })

  it('leaves the application handle open on close, and a new broker on it delivers what waited', async () => {
    const { path, db, broker } = app()
    broker.ipcMain.removeAllListeners('order-placed')
    broker.enqueue('order-placed', ['pending'])
    await broker.close()
    expect(db.open).toBe(true)
    expect(db.prepare('SELECT COUNT(*) FROM orders').pluck().get()).toBe(0)
    expect(storedMessages(path, 'order-placed')).toHaveLength(1)

    const next = openBroker({ database: db })
    const got = new Counter<string>()
    next.ipcMain.on('order-placed', (_e, item: string) => got.push(item))
    await got.reach(1)
    expect(got.items).toEqual(['pending'])
  })

  it('refuses a database option that is not a better-sqlite3 handle', () => {
    expect(() => openBroker({ database: { prepare: 1 } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
  })
})
