// The outbox (issue 4, point 14): createBroker({ database }) on the application's own
// better-sqlite3 handle. A durable send made inside the application's transaction exists exactly
// when the transaction commits, and close() leaves the handle open. A send made outside it while
// the application holds a transaction open by hand never joins it (issue "trust:", point 6): it is
// refused, unless enqueue asks to join with { joinTransaction: true }.

import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { DurableIpcError, TransactionOpenError } from '../../src/index.js'
import { Counter, connect, dbPath, deferred, openBroker, storedMessages, turns, useDurableFixtures, wait } from './durableHelpers.js'

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

/** What `fn` throws or rejects with, run on a timer: as another part of the application would. */
function onTimer(fn: () => unknown): Promise<unknown> {
  return new Promise((resolve) => {
    setTimeout(() => {
      try {
        const result = fn()
        if (result instanceof Promise) result.then(() => resolve(undefined), resolve)
        else resolve(undefined)
      } catch (error) {
        resolve(error)
      }
    }, 5)
  })
}

describe('outbox: a transaction the application holds open by hand (BEGIN ... await ... ROLLBACK)', () => {
  it('refuses an in-process send made meanwhile, on every durable path, with TransactionOpenError; nothing is stored', async () => {
    const { path, db, broker, got } = app()
    broker.channel('notices', { durable: true })
    broker.channel('jobs', { durable: true })
    broker.ipcMain.handle('jobs', () => 'done')
    const win = broker.createRenderer({ id: 'w1' })
    win.ipcRenderer.on('notices', () => {})

    db.exec('BEGIN')
    db.prepare("INSERT INTO orders (item) VALUES ('held')").run()
    const refused = [
      await onTimer(() => win.ipcRenderer.send('order-placed', 'renderer')),
      await onTimer(() => win.webContents.send('notices', 'inbox')),
      await onTimer(() => broker.enqueue('order-placed', ['enqueue'])),
      await onTimer(() => win.ipcRenderer.invoke('jobs')),
    ]
    await wait(20)
    db.exec('ROLLBACK')

    for (const error of refused) {
      expect(error).toBeInstanceOf(TransactionOpenError)
      expect(error).toBeInstanceOf(DurableIpcError)
      expect(error).toMatchObject({ name: 'TransactionOpenError', code: 'ERR_STORE_TRANSACTION_OPEN' })
    }
    expect((refused[0] as Error).message).toMatch(/database\.transaction\(fn\)/)
    expect((refused[0] as Error).message).toMatch(/joinTransaction: true/)
    for (const channel of ['order-placed', 'notices', 'jobs']) expect(storedMessages(path, channel)).toEqual([])

    // Once the transaction ended, the same sends are stored and delivered.
    win.ipcRenderer.send('order-placed', 'after')
    expect(storedMessages(path, 'order-placed')).toHaveLength(1)
    await got.reach(1)
    expect(got.items).toEqual(['after'])
    await expect(win.ipcRenderer.invoke('jobs')).resolves.toBe('done')
  })

  it('refuses a send made right after BEGIN in the same task too: only database.transaction(fn) is joined implicitly', () => {
    const { path, db, broker } = app()
    db.exec('BEGIN')
    expect(() => broker.enqueue('order-placed', ['x'])).toThrow(TransactionOpenError)
    db.exec('COMMIT')
    expect(storedMessages(path, 'order-placed')).toEqual([])
  })

  it('joins with enqueue(..., { joinTransaction: true }): rolled back with ROLLBACK, stored with COMMIT', async () => {
    const { path, db, broker, got } = app()
    db.exec('BEGIN')
    await wait(5)
    expect(broker.enqueue('order-placed', ['rolled-back'], { joinTransaction: true }).duplicate).toBe(false)
    await wait(5)
    db.exec('ROLLBACK')
    expect(storedMessages(path, 'order-placed')).toEqual([])

    db.exec('BEGIN')
    await wait(5)
    broker.enqueue('order-placed', ['committed'], { joinTransaction: true })
    expect(storedMessages(path, 'order-placed')).toEqual([]) // another connection sees nothing yet
    await wait(5)
    db.exec('COMMIT')
    expect(storedMessages(path, 'order-placed')).toHaveLength(1)
    await got.reach(1)
    await turns()
    expect(got.items).toEqual(['committed'])
  })

  it('stores enqueue(..., { joinTransaction: true }) on its own when no transaction is open', async () => {
    const { path, broker, got } = app()
    broker.enqueue('order-placed', ['alone'], { joinTransaction: true })
    expect(storedMessages(path, 'order-placed')).toHaveLength(1)
    await got.reach(1)
    expect(got.items).toEqual(['alone'])
  })

  it('refuses a joinTransaction that is not a boolean', () => {
    const { broker } = app()
    expect(() => broker.enqueue('order-placed', ['x'], { joinTransaction: 'yes' as unknown as boolean })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    )
  })
})

describe('outbox: a send inside database.transaction(fn)', () => {
  // The broker tells "inside database.transaction(fn)" from "a transaction held open by hand" by
  // better-sqlite3's wrapper frame on the stack. Should better-sqlite3 rename it, this fails first.
  it('finds better-sqlite3’s transaction wrapper under the name the broker looks for', () => {
    const db = new Database(':memory:')
    try {
      const fn = db.transaction(() => {})
      for (const variant of [fn, fn.deferred, fn.immediate, fn.exclusive]) expect(variant.name).toBe('sqliteTransaction')
    } finally {
      db.close()
    }
  })

  it('joins from every in-process path and every variant: rolled back with a throwing fn, stored with a returning one', async () => {
    const { path, db, broker } = app()
    broker.channel('notices', { durable: true })
    broker.channel('jobs', { durable: true })
    const win = broker.createRenderer({ id: 'w1' })
    const sendAll = (tag: string): void => {
      win.ipcRenderer.send('order-placed', `${tag}-send`)
      broker.enqueue('order-placed', [`${tag}-enqueue`])
      win.webContents.send('notices', tag)
      void win.ipcRenderer.invoke('jobs', tag).catch(() => {})
    }
    const fn = db.transaction((tag: string, fail: boolean) => {
      sendAll(tag)
      if (fail) throw new Error('rolled back')
    })
    for (const variant of [fn, fn.deferred, fn.immediate, fn.exclusive]) {
      expect(() => variant('bad', true)).toThrow('rolled back')
    }
    for (const channel of ['order-placed', 'notices', 'jobs']) expect(storedMessages(path, channel)).toEqual([])
    for (const variant of [fn, fn.deferred, fn.immediate, fn.exclusive]) variant('good', false)
    expect(storedMessages(path, 'order-placed')).toHaveLength(8)
    expect(storedMessages(path, 'notices')).toHaveLength(4)
    expect(storedMessages(path, 'jobs')).toHaveLength(4)
  })

  it('joins however deep in the stack the send is, whatever the application did to Error’s stack settings', () => {
    const { path, db, broker } = app()
    const deep = (n: number, fn: () => void): void => (n === 0 ? fn() : deep(n - 1, fn))
    const { stackTraceLimit, prepareStackTrace } = Error
    try {
      Error.stackTraceLimit = 0
      Error.prepareStackTrace = () => 'the application’s own format'
      expect(() =>
        db.transaction(() => {
          deep(200, () => broker.enqueue('order-placed', ['deep']))
          throw new Error('rolled back')
        })(),
      ).toThrow('rolled back')
      expect(Error.stackTraceLimit).toBe(0)
      expect(new Error('x').stack).toBe('the application’s own format')
    } finally {
      Error.stackTraceLimit = stackTraceLimit
      Error.prepareStackTrace = prepareStackTrace
    }
    expect(storedMessages(path, 'order-placed')).toEqual([])
  })

  it('joins inside a database.transaction(fn) nested in a transaction held open by hand', async () => {
    const { path, db, broker } = app()
    db.exec('BEGIN')
    await wait(5)
    db.transaction(() => broker.enqueue('order-placed', ['nested']))()
    db.exec('ROLLBACK')
    expect(storedMessages(path, 'order-placed')).toEqual([])
  })
})
