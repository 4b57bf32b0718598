// Store and forward through the public API: brokers with `postgres` store each send in their own
// SQLite file, forward it to one shared PostgreSQL schema, and consume there. Each message is
// delivered once however many nodes listen; job ids work on every node; stats shows the outbox.

import { describe, expect, it } from 'vitest'
import { DurableIpcError } from '../../src/index.js'
import { connect, Counter, dbPath, openBroker, storedMessages, useDurableFixtures } from './durableHelpers.js'
import { freePort } from '../support/postgresServer.js'
import { postgresUrl, useSchemas } from '../support/postgres.js'

describe('a broker with postgres', () => {
  useDurableFixtures()
  const schema = useSchemas()
  const node = (path: string, pgSchema: string) => openBroker({ path, postgres: { connectionString: postgresUrl(), schema: pgSchema } })

  it('stores a send in its file before it returns, forwards it, and delivers it to a listener', async () => {
    const path = dbPath('node-1.db')
    const broker = node(path, schema())
    broker.channel('jobs', { durable: true })
    const got = new Counter<unknown>()
    broker.ipcMain.on('jobs', async (_event, value) => got.push(value))
    const { id } = broker.enqueue('jobs', [{ n: 1 }])
    expect(storedMessages(path, 'jobs').map((m) => m.id)).toContain(id)
    await got.reach(1)
    expect(got.items).toEqual([{ n: 1 }])
    // Forwarded, then deleted here: nothing waits in the file.
    await expect.poll(() => storedMessages(path, 'jobs').length).toBe(0)
    expect(broker.stats().outbox).toMatchObject({ pending: 0, reachable: true })
  })

  it('delivers each message once when two nodes share a channel', async () => {
    const shared = schema()
    const a = node(dbPath('a.db'), shared)
    const b = node(dbPath('b.db'), shared)
    for (const broker of [a, b]) broker.channel('jobs', { durable: true, concurrency: 4 })
    const got = new Counter<{ node: string; n: number }>()
    a.ipcMain.on('jobs', async (_event, n: number) => got.push({ node: 'a', n }))
    b.ipcMain.on('jobs', async (_event, n: number) => got.push({ node: 'b', n }))
    const ids = new Set<number>()
    for (let n = 0; n < 200; n++) ids.add((n % 2 === 0 ? a : b).enqueue('jobs', [n]).id)
    expect(ids.size).toBe(200)
    await got.reach(200)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(got.items.map((item) => item.n).sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, n) => n))
  })

  it('answers job(id), waitForJob(id) and invoke on either node, whichever node handles the job', async () => {
    const shared = schema()
    const a = node(dbPath('a.db'), shared)
    const b = node(dbPath('b.db'), shared)
    a.channel('add', { durable: true })
    // Only b handles: a's jobs run there.
    b.channel('add', { durable: true })
    b.ipcMain.handle('add', async (_event, x: number, y: number) => x + y)
    const { id } = a.enqueue('add', [2, 3])
    expect(a.job(id)).toMatchObject({ id, channel: 'add' })
    await expect(a.waitForJob(id, { timeoutMs: 10_000 })).resolves.toBe(5)
    await expect(b.waitForJob(id, { timeoutMs: 10_000 })).resolves.toBe(5)
    expect(b.job(id)).toMatchObject({ id, state: 'completed' })
    expect(a.jobResult(id)).toMatchObject({ ok: true, value: 5 })
    // A listener message leaves nothing once acknowledged: waiting for it by its id still settles.
    a.channel('note', { durable: true })
    const noted = new Counter<unknown>()
    b.channel('note', { durable: true })
    b.ipcMain.on('note', async (_event, v) => noted.push(v))
    const note = a.enqueue('note', ['hi']).id
    await noted.reach(1)
    await expect.poll(() => a.job(note), { timeout: 5000 }).toBeUndefined()
    await expect(b.waitForJob(note, { timeoutMs: 5000 })).resolves.toBeUndefined()
    await expect(b.waitForJob(note + 1_000_000)).rejects.toThrow(/No job/)
    const win = a.createRenderer()
    await expect(win.ipcRenderer.invoke('add', 20, 22)).resolves.toBe(42)
  })

  it('shows a send waiting in the outbox in stats, and a node restarted on its file goes on with its own ids', async () => {
    const path = dbPath('node.db')
    const pgSchema = schema()
    const first = node(path, pgSchema)
    first.channel('jobs', { durable: true })
    const { id } = first.enqueue('jobs', ['x'])
    // Until the forwarder's next turn it waits here, and stats says so.
    expect(first.stats().outbox).toMatchObject({ pending: 1, reachable: true })
    expect(first.stats().durable['jobs']?.ready).toBe(0)
    await first.close()
    const second = node(path, pgSchema)
    const got = new Counter<unknown>()
    second.ipcMain.on('jobs', async (_e, v) => got.push(v))
    await got.reach(1)
    // The next id continues the node's own range.
    second.channel('jobs')
    expect(second.enqueue('jobs', ['y']).id).toBeGreaterThan(id)
  })

  it('lists jobs still in its outbox after those in PostgreSQL, in one id order, page by page', async () => {
    const broker = node(dbPath('node.db'), schema())
    broker.channel('jobs', { durable: true })
    const first = broker.enqueue('jobs', ['a']).id
    await expect.poll(() => broker.stats().outbox?.pending).toBe(0)
    // Forwarded: listed under PostgreSQL's id. The next two wait here until the forwarder's next turn.
    const [forwarded] = broker.jobs('jobs', { state: 'waiting' })
    expect(forwarded).toMatchObject({ channel: 'jobs', state: 'waiting' })
    expect(forwarded!.id).not.toBe(first)
    const b = broker.enqueue('jobs', ['b']).id
    const c = broker.enqueue('jobs', ['c']).id
    expect(broker.stats().outbox).toMatchObject({ pending: 2 })
    const all = broker.jobs('jobs', { state: 'waiting' })
    expect(all.map((job) => job.id)).toEqual([forwarded!.id, b, c])
    expect(all.every((job) => job.state === 'waiting' && job.subscription === 'main')).toBe(true)
    const page1 = broker.jobs('jobs', { state: 'waiting', limit: 2 })
    const page2 = broker.jobs('jobs', { state: 'waiting', limit: 2, afterId: page1.at(-1)!.id })
    expect([...page1, ...page2].map((job) => job.id)).toEqual([forwarded!.id, b, c])
    expect(broker.jobs('jobs', { state: 'dead' })).toEqual([])
  })

  it('refuses postgres without a file, and unknown postgres options, with InvalidArgumentError', () => {
    expect(() => openBroker({ postgres: { connectionString: postgresUrl() } })).toThrow(DurableIpcError)
    expect(() => openBroker({ path: dbPath(), postgres: { connectionString: postgresUrl(), scheme: 'x' } as never })).toThrow(/Unknown option 'scheme' in postgres options/)
  })
})

describe('a broker with postgres in the outbox mode, and at startup', () => {
  useDurableFixtures()
  const schema = useSchemas()

  it("forwards what the application's transactions committed, and nothing of one rolled back", async () => {
    const path = dbPath('app.db')
    const db = connect(path)
    const broker = openBroker({ database: db, postgres: { connectionString: postgresUrl(), schema: schema() } })
    broker.channel('jobs', { durable: true })
    const got = new Counter<string>()
    broker.ipcMain.on('jobs', async (_event, value: string) => got.push(value))
    db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY)')
    db.transaction(() => {
      db.prepare('INSERT INTO orders (id) VALUES (1)').run()
      broker.enqueue('jobs', ['committed'])
    })()
    expect(() =>
      db.transaction(() => {
        broker.enqueue('jobs', ['rolled back'])
        throw new Error('the application changed its mind')
      })(),
    ).toThrow('changed its mind')
    await got.reach(1)
    await expect.poll(() => broker.stats().outbox?.pending).toBe(0)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(got.items).toEqual(['committed'])
  })

  it('fails createBroker with StoreError when PostgreSQL cannot be reached as it opens, leaving the file usable', async () => {
    const path = dbPath('node.db')
    const port = await freePort()
    const unreachable = `postgres://nobody:x@127.0.0.1:${port}/postgres`
    expect(() => openBroker({ path, postgres: { connectionString: unreachable, timeoutMs: 2000 } })).toThrow(expect.objectContaining({ name: 'StoreError', code: 'ERR_STORE_UNAVAILABLE' }))
    const later = openBroker({ path, postgres: { connectionString: postgresUrl(), schema: schema() } })
    later.channel('jobs', { durable: true })
    expect(later.enqueue('jobs', [1]).id).toBeGreaterThan(2 ** 50)
  })
})
