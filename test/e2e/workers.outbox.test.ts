// Durable sends from a worker renderer on a broker that shares the application's database (the
// outbox), while the application holds a transaction open by hand (issue "trust:", point 6): the
// worker's message never joins that transaction. Its send waits until the transaction ended, then
// the message is stored on its own, while the main thread goes on running.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { closeBrokers, newBroker } from '../api/helpers.js'
import { spawnRemote } from './workerHelpers.js'

const dirs: string[] = []
const handles: Database.Database[] = []
afterEach(async () => {
  await closeBrokers()
  for (const db of handles.splice(0)) db.close()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** The application's database with a table of its own, and a broker on that handle. */
function app(options: { busyTimeoutMs?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'durable-ipc-worker-outbox-'))
  dirs.push(dir)
  const path = join(dir, 'app.db')
  const db = new Database(path)
  handles.push(db)
  db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT NOT NULL)')
  const broker = newBroker({ database: db, ...options })
  const stored = (channel: string): number => db.prepare('SELECT count(*) FROM durable_ipc_messages WHERE channel = ?').pluck().get(channel) as number
  return { db, broker, stored }
}

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('a worker renderer’s durable send while the application holds a transaction open', () => {
  it('returns only after the application rolled back, and is then stored and delivered', async () => {
    const { db, broker } = app()
    broker.channel('jobs', { durable: true })
    const got: unknown[] = []
    broker.ipcMain.on('jobs', (_event, value: unknown) => void got.push(value))
    const remote = spawnRemote(broker)
    await remote.ready

    db.exec('BEGIN')
    db.prepare("INSERT INTO orders (item) VALUES ('held')").run()
    let rolledBack = false
    const sent = remote.ok('send', { channel: 'jobs', args: ['from-worker'] }).then(() => rolledBack)
    // Main keeps its event loop: this timer fires while the worker's send waits.
    await wait(50)
    db.exec('ROLLBACK')
    rolledBack = true

    expect(await sent).toBe(true)
    expect(db.prepare('SELECT count(*) FROM orders').pluck().get()).toBe(0)
    await expect.poll(() => got).toEqual(['from-worker'])
    await wait(20)
    expect(got).toEqual(['from-worker'])
  })

  it('is stored when the application commits, on its own: not as part of that transaction', async () => {
    const { db, broker, stored } = app()
    broker.channel('jobs', { durable: true })
    const remote = spawnRemote(broker)
    await remote.ready
    db.exec('BEGIN')
    const sent = remote.ok('send', { channel: 'jobs', args: [1] })
    await wait(30)
    expect(stored('jobs')).toBe(0)
    db.exec('COMMIT')
    await sent
    expect(stored('jobs')).toBe(1)
  })

  it('waits the same way for a durable invoke, which then runs', async () => {
    const { db, broker } = app()
    broker.channel('add', { durable: true })
    broker.ipcMain.handle('add', (_event, a: number, b: number) => a + b)
    const remote = spawnRemote(broker)
    await remote.ready
    db.exec('BEGIN')
    const invoked = remote.ok('invoke', { channel: 'add', args: [1, 2] })
    await wait(30)
    db.exec('ROLLBACK')
    expect(await invoked).toEqual({ value: 3 })
  })

  it('throws StoreError (ERR_STORE_BUSY) in the worker once the transaction outlasted busyTimeoutMs; nothing is stored', async () => {
    const { db, broker, stored } = app({ busyTimeoutMs: 60 })
    broker.channel('jobs', { durable: true })
    const remote = spawnRemote(broker)
    await remote.ready
    db.exec('BEGIN')
    let ticks = 0
    const ticker = setInterval(() => ticks++, 5)
    const started = performance.now()
    const error = await remote.fail('send', { channel: 'jobs', args: [1] })
    const elapsed = performance.now() - started
    clearInterval(ticker)
    db.exec('ROLLBACK')
    expect(error).toMatchObject({ className: 'StoreError', name: 'StoreError', code: 'ERR_STORE_BUSY', isDurableIpcError: true })
    expect(error.message).toMatch(/transaction/)
    expect(elapsed).toBeGreaterThanOrEqual(55)
    // The main thread ran its timers all along (it never blocked while the worker waited).
    expect(ticks).toBeGreaterThan(3)
    expect(stored('jobs')).toBe(0)
    await remote.ok('send', { channel: 'jobs', args: [2] })
    expect(stored('jobs')).toBe(1)
  })

  it('stores waiting sends of several workers in the order they arrived', async () => {
    const { db, broker } = app()
    broker.channel('jobs', { durable: true })
    const a = spawnRemote(broker, { id: 'a' })
    const b = spawnRemote(broker, { id: 'b' })
    await Promise.all([a.ready, b.ready])
    db.exec('BEGIN')
    const first = a.ok('send', { channel: 'jobs', args: ['a'] })
    await wait(20)
    const second = b.ok('send', { channel: 'jobs', args: ['b'] })
    await wait(20)
    db.exec('ROLLBACK')
    await Promise.all([first, second])
    const payloads = db.prepare("SELECT payload FROM durable_ipc_messages WHERE channel = 'jobs' ORDER BY id").pluck().all() as unknown[]
    expect(payloads).toEqual(['["a",["a"]]', '["b",["b"]]'])
  })
})
