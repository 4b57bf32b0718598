// Limits and faults of the database (issue 4, point 13, and the store's open checks): typed errors
// at the call that caused them, nothing stored, and the broker working again once the cause is gone.

import { readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { MessageTooLargeError, QueueFullError, StoreError } from '../../src/index.js'
import { Counter, connect, dbPath, openBroker, storedMessages, thrown, useDurableFixtures } from './durableHelpers.js'

useDurableFixtures()

describe('channel limits', () => {
  it('refuses a message over maxMessageBytes with MessageTooLargeError and stores nothing', () => {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('jobs', { durable: true, maxMessageBytes: 200 })
    const win = broker.createRenderer()
    broker.enqueue('jobs', ['small'])
    const err = thrown(() => broker.enqueue('jobs', ['x'.repeat(500)]))
    expect(err).toBeInstanceOf(MessageTooLargeError)
    expect(err.code).toBe('ERR_MESSAGE_TOO_LARGE')
    expect(thrown(() => win.ipcRenderer.send('jobs', 'y'.repeat(500))).code).toBe('ERR_MESSAGE_TOO_LARGE')
    expect(storedMessages(path, 'jobs')).toHaveLength(1)
  })

  it('refuses a message over maxDepth with QueueFullError, then takes one again once there is room', async () => {
    const path = dbPath()
    const broker = openBroker({ path })
    const jobs = broker.channel('jobs', { durable: true, maxDepth: 2 })
    broker.enqueue('jobs', [1])
    broker.enqueue('jobs', [2])
    const err = thrown(() => broker.enqueue('jobs', [3]))
    expect(err).toBeInstanceOf(QueueFullError)
    expect(err.code).toBe('ERR_QUEUE_FULL')
    expect(thrown(() => broker.createRenderer().ipcRenderer.send('jobs', 3)).code).toBe('ERR_QUEUE_FULL')
    expect(storedMessages(path, 'jobs')).toHaveLength(2)
    const got = new Counter<number>()
    broker.ipcMain.on('jobs', (_e, n: number) => got.push(n))
    await got.reach(2)
    await expect.poll(() => jobs.stats().ready + jobs.stats().inFlight).toBe(0)
    broker.enqueue('jobs', [4])
    await got.reach(3)
    expect(got.items).toEqual([1, 2, 4])
  })
})

describe('store options', () => {
  it("accepts synchronous 'full' (power-loss safe) and refuses anything but 'normal' or 'full'", async () => {
    const path = dbPath()
    const broker = openBroker({ path, synchronous: 'full' })
    broker.channel('jobs', { durable: true })
    broker.enqueue('jobs', [1])
    expect(storedMessages(path, 'jobs')).toHaveLength(1)
    expect(thrown(() => openBroker({ path: dbPath(), synchronous: 'off' as never })).code).toBe('ERR_INVALID_ARGUMENT')
    expect(thrown(() => openBroker({ path: dbPath(), busyTimeoutMs: -1 })).code).toBe('ERR_INVALID_ARGUMENT')
  })
})

describe('faults of the database', () => {
  it('fails with ERR_STORE_BUSY while another connection holds the write lock past busyTimeoutMs, then recovers', async () => {
    const path = dbPath()
    const broker = openBroker({ path, busyTimeoutMs: 50 })
    broker.channel('jobs', { durable: true })
    const errors: unknown[] = []
    broker.on('error', (error: unknown) => errors.push(error))
    const other = connect(path)
    other.exec('BEGIN IMMEDIATE')
    const t0 = Date.now()
    const err = thrown(() => broker.enqueue('jobs', ['locked']))
    expect(err).toBeInstanceOf(StoreError)
    expect(err.code).toBe('ERR_STORE_BUSY')
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40)
    // A listener added meanwhile cannot claim either; its consumer reports and keeps trying.
    const got = new Counter<string>()
    broker.ipcMain.on('jobs', (_e, v: string) => got.push(v))
    other.exec('COMMIT')
    broker.enqueue('jobs', ['free'])
    await got.reach(1)
    expect(got.items).toEqual(['free'])
    expect(errors.every((e) => (e as StoreError).code === 'ERR_STORE_BUSY')).toBe(true)
  })

  it('delivers what waited once a lock held while the consumer was claiming goes away', async () => {
    const path = dbPath()
    const broker = openBroker({ path, busyTimeoutMs: 20 })
    broker.channel('jobs', { durable: true })
    broker.enqueue('jobs', ['waiting'])
    const errors = new Counter<unknown>()
    broker.on('error', (error: unknown) => errors.push(error))
    const other = connect(path)
    other.exec('BEGIN IMMEDIATE')
    const got = new Counter<string>()
    broker.ipcMain.on('jobs', (_e, v: string) => got.push(v))
    await errors.reach(1)
    expect((errors.items[0] as StoreError).code).toBe('ERR_STORE_BUSY')
    other.exec('COMMIT')
    await got.reach(1)
    expect(got.items).toEqual(['waiting'])
  })

  it('fails with ERR_STORE_READONLY on a read-only handle, then works once it may write again', async () => {
    const path = dbPath()
    const setup = openBroker({ path })
    setup.channel('jobs', { durable: true })
    await setup.close()
    const db = connect(path)
    db.pragma('query_only = ON')
    const broker = openBroker({ database: db })
    const err = thrown(() => broker.enqueue('jobs', [1]))
    expect(err).toBeInstanceOf(StoreError)
    expect(err.code).toBe('ERR_STORE_READONLY')
    expect(storedMessages(path, 'jobs')).toEqual([])
    db.pragma('query_only = OFF')
    broker.enqueue('jobs', [2])
    expect(storedMessages(path, 'jobs')).toHaveLength(1)
  })

  it('opens a file opened read-only by the application for reading, and refuses writes with ERR_STORE_READONLY', async () => {
    const path = dbPath()
    const setup = openBroker({ path })
    setup.channel('jobs', { durable: true })
    setup.enqueue('jobs', ['kept'])
    await setup.close()
    const broker = openBroker({ database: connect(path, { readonly: true }) })
    expect(broker.channel('jobs').stats().ready).toBe(1)
    expect(thrown(() => broker.enqueue('jobs', [1])).code).toBe('ERR_STORE_READONLY')
  })

  it('makes createBroker throw ERR_STORE_NOT_A_DATABASE for a file that is not a database, leaving it untouched', () => {
    const path = dbPath('notes.txt')
    const text = 'This is not a SQLite database, just some text that is long enough to fill a header. '.repeat(20)
    writeFileSync(path, text)
    const err = thrown(() => openBroker({ path }))
    expect(err).toBeInstanceOf(StoreError)
    expect(err.code).toBe('ERR_STORE_NOT_A_DATABASE')
    expect(readFileSync(path, 'utf8')).toBe(text)
  })

  it('makes createBroker throw ERR_STORE_NEWER_SCHEMA for a file from a newer version, leaving it untouched', async () => {
    const path = dbPath()
    const setup = openBroker({ path })
    setup.channel('jobs', { durable: true })
    await setup.close()
    const db = connect(path)
    db.prepare('INSERT INTO durable_ipc_migrations (version, name, applied_at) VALUES (999, ?, 0)').run('999_future.sql')
    db.close()
    const before = readFileSync(path)
    const err = thrown(() => openBroker({ path }))
    expect(err).toBeInstanceOf(StoreError)
    expect(err.code).toBe('ERR_STORE_NEWER_SCHEMA')
    expect(readFileSync(path).equals(before)).toBe(true)
  })

  it('fails with ERR_STORE_FULL when the database cannot grow, stores nothing, and works after the limit is raised', async () => {
    const path = dbPath()
    const db = connect(path)
    const broker = openBroker({ database: db })
    broker.channel('jobs', { durable: true })
    const pages = db.pragma('page_count', { simple: true }) as number
    db.pragma(`max_page_count = ${pages + 2}`)
    const blob = 'x'.repeat(3000)
    let full: (Error & { code?: unknown }) | undefined
    let stored = 0
    for (let i = 0; i < 100 && !full; i++) {
      try {
        broker.enqueue('jobs', [blob])
        stored++
      } catch (err) {
        full = err as Error & { code?: unknown }
      }
    }
    expect(full).toBeInstanceOf(StoreError)
    expect(full!.code).toBe('ERR_STORE_FULL')
    expect(storedMessages(path, 'jobs')).toHaveLength(stored)
    db.pragma('max_page_count = 1000000')
    broker.enqueue('jobs', [blob])
    const got = new Counter<string>()
    broker.ipcMain.on('jobs', (_e, v: string) => got.push(v))
    await got.reach(stored + 1)
  })
})
