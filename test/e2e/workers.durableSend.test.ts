// Durable sends from a worker-thread renderer: as from an in-process one, the message is in SQLite
// when `send` returns, and a store error is thrown at the call, in the worker, as the same typed
// error; a durable invoke's store error rejects the worker's promise.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { closeBrokers, newBroker } from '../api/helpers.js'
import type { TestBroker } from '../api/helpers.js'
import { spawnRemote } from './workerHelpers.js'
import diagnosticsChannel from 'node:diagnostics_channel'
import { diagnosticChannels } from '../../src/index.js'
import type { PublishDiagnostic } from '../../src/index.js'

const dirs: string[] = []
const handles: Database.Database[] = []
afterEach(async () => {
  await closeBrokers()
  for (const handle of handles.splice(0)) handle.close()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function dbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'durable-ipc-worker-send-'))
  dirs.push(dir)
  return join(dir, 'app.db')
}

/** The application's own handle on a new file (the outbox): the worker's sends go through main. */
function openShared(): Database.Database {
  const database = new Database(dbPath())
  handles.push(database)
  return database
}

async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
}

/** Every error the broker reports on its 'error' event: a store error must never land there. */
function brokerErrors(broker: TestBroker): unknown[] {
  const errors: unknown[] = []
  broker.on('error', (error) => errors.push(error))
  return errors
}

describe('a durable send from a worker renderer', () => {
  it('is in SQLite when send returns, seen from the worker through its own connection', async () => {
    const path = dbPath()
    const broker = newBroker({ path })
    // No main-side listener: what is stored stays stored, so counting rows is exact.
    broker.channel('jobs', { durable: true })
    const remote = spawnRemote(broker)
    await remote.ready
    const counts = await remote.ok<number[]>('sendCounted', { channel: 'jobs', count: 20, dbPath: path })
    expect(counts).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    expect(broker.channel('jobs').stats()).toMatchObject({ ready: 20 })
  })

  // Weaker than the test above (the sendSync queues behind the send on one port, so main would
  // have stored it on receipt anyway); it shows what main's own stats report to such a check.
  it('is in SQLite when a sendSync right after it reaches main', async () => {
    const broker = newBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true })
    broker.ipcMain.on('check', (event, channel: string) => {
      event.returnValue = broker.channel(channel).stats().ready
    })
    const remote = spawnRemote(broker)
    expect(await remote.ok('sendChecked', { channel: 'jobs', count: 5 })).toEqual([1, 2, 3, 4, 5])
  })

  it('throws QueueFullError in the worker, at the call, when the channel is at maxDepth', async () => {
    const broker = newBroker({ path: dbPath() })
    const errors = brokerErrors(broker)
    broker.channel('jobs', { durable: true, maxDepth: 2 })
    const remote = spawnRemote(broker)
    await remote.ok('send', { channel: 'jobs', args: [1] })
    await remote.ok('send', { channel: 'jobs', args: [2] })
    const error = await remote.fail('send', { channel: 'jobs', args: [3] })
    expect(error).toMatchObject({
      name: 'QueueFullError',
      className: 'QueueFullError',
      code: 'ERR_QUEUE_FULL',
      message: "Channel 'jobs' holds 2 messages, its maxDepth",
      isDurableIpcError: true,
    })
    expect(broker.channel('jobs').stats()).toMatchObject({ ready: 2 })
    expect(errors).toEqual([])
  })

  it('throws MessageTooLargeError in the worker for a payload over maxMessageBytes', async () => {
    const broker = newBroker({ path: dbPath() })
    const errors = brokerErrors(broker)
    broker.channel('jobs', { durable: true, maxMessageBytes: 64 })
    const remote = spawnRemote(broker)
    const error = await remote.fail('send', { channel: 'jobs', args: ['x'.repeat(200)] })
    expect(error).toMatchObject({ className: 'MessageTooLargeError', code: 'ERR_MESSAGE_TOO_LARGE', isDurableIpcError: true })
    expect(error.message).toMatch(/^Message on 'jobs' is \d+ bytes, over maxMessageBytes 64$/)
    expect(broker.channel('jobs').stats()).toMatchObject({ ready: 0 })
    expect(errors).toEqual([])
  })

  it('several workers sending at once each store their own, and one bad send fails alone, at its call', async () => {
    const broker = newBroker({ path: dbPath() })
    const errors = brokerErrors(broker)
    broker.channel('jobs', { durable: true, maxMessageBytes: 64 })
    const remotes = Array.from({ length: 4 }, () => spawnRemote(broker))
    await Promise.all(remotes.map((remote) => remote.ready))
    const [a, bad, c, d] = await Promise.all(
      remotes.map((remote, i) => (i === 1 ? remote.run('send', { channel: 'jobs', args: ['x'.repeat(200)] }) : remote.run('sendTimed', { channel: 'jobs', count: 50 }))),
    )
    expect([a?.ok, c?.ok, d?.ok]).toEqual([true, true, true])
    expect(bad).toMatchObject({ ok: false, error: { className: 'MessageTooLargeError', code: 'ERR_MESSAGE_TOO_LARGE', isDurableIpcError: true } })
    expect(broker.channel('jobs').stats()).toMatchObject({ ready: 150 })
    expect(errors).toEqual([])
  })

  it('is announced on durable-ipc:publish in main, as a send main stored', async () => {
    const broker = newBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true })
    const events: PublishDiagnostic[] = []
    const listener = (event: unknown): void => void events.push(event as PublishDiagnostic)
    diagnosticsChannel.subscribe(diagnosticChannels.publish, listener)
    try {
      const remote = spawnRemote(broker)
      await remote.ready
      await remote.ok('sendTimed', { channel: 'jobs', count: 3 })
      await until(() => events.length === 3)
    } finally {
      diagnosticsChannel.unsubscribe(diagnosticChannels.publish, listener)
    }
    const ids = broker.jobs('jobs', { state: 'waiting' }).map((job) => job.id)
    expect(events.map((event) => event.id)).toEqual(ids)
    for (const event of events) expect(event).toMatchObject({ channel: 'jobs', subscription: undefined, duplicate: false, kind: 'message', key: null })
    expect(events.every((event) => event.bytes > 0)).toBe(true)
  })

  it('is stored by the worker itself: its sends return while main is busy', async () => {
    const path = dbPath()
    const broker = newBroker({ path })
    broker.channel('jobs', { durable: true })
    const heard: number[] = []
    broker.ipcMain.on('jobs', (_event, n: number) => void heard.push(n))
    const remote = spawnRemote(broker)
    await remote.ready
    const outcome = remote.run('sendTimed', { channel: 'jobs', count: 5 })
    // Busy until the worker has sent them all (seen through a connection of this test's own).
    const reader = new Database(path, { readonly: true })
    const count = reader.prepare('SELECT count(*) AS n FROM durable_ipc_messages WHERE channel = ?')
    const started = Date.now()
    while ((count.get('jobs') as { n: number }).n < 5 && Date.now() - started < 10_000) {
      // busy: this thread answers nothing
    }
    reader.close()
    const busyUntil = Date.now()
    const result = await outcome
    if (!result.ok) throw new Error(`the sends failed: ${result.error.message}`)
    const returned = result.result as number[]
    expect(returned).toHaveLength(5)
    for (const at of returned) expect(at).toBeLessThanOrEqual(busyUntil)
    // Main is told, and its consumer delivers them, in order.
    await until(() => heard.length === 5)
    expect(heard).toEqual([0, 1, 2, 3, 4])
  })

  it('on a shared database, several workers sending at once share a transaction, and one bad send fails alone, at its call', async () => {
    const database = openShared()
    const broker = newBroker({ database })
    const errors = brokerErrors(broker)
    broker.channel('jobs', { durable: true, maxMessageBytes: 64 })
    const remotes = Array.from({ length: 4 }, () => spawnRemote(broker))
    await Promise.all(remotes.map((remote) => remote.ready))
    const args = [['a'], ['x'.repeat(200)], ['c'], ['d']]
    const outcomes = remotes.map((remote, i) => remote.run('send', { channel: 'jobs', args: args[i] }))
    // Main is busy for a moment (as under load): the four sends reach it in one turn, one group.
    const until = performance.now() + 150
    while (performance.now() < until) {
      // busy
    }
    const [a, bad, c, d] = await Promise.all(outcomes)
    expect([a?.ok, c?.ok, d?.ok]).toEqual([true, true, true])
    expect(bad).toMatchObject({ ok: false, error: { className: 'MessageTooLargeError', code: 'ERR_MESSAGE_TOO_LARGE', isDurableIpcError: true } })
    expect(broker.channel('jobs').stats()).toMatchObject({ ready: 3 })
    expect(broker.channel('jobs').deadLetters()).toEqual([])
    expect(errors).toEqual([])
  })

  it('throws StoreError (ERR_STORE_BUSY) in the worker when another connection holds the write lock', async () => {
    const path = dbPath()
    const broker = newBroker({ path, busyTimeoutMs: 50 })
    broker.channel('jobs', { durable: true })
    const remote = spawnRemote(broker)
    await remote.ready
    const other = new Database(path)
    other.exec('BEGIN IMMEDIATE')
    try {
      const error = await remote.fail('send', { channel: 'jobs', args: [1] })
      expect(error).toMatchObject({ className: 'StoreError', name: 'StoreError', code: 'ERR_STORE_BUSY', isDurableIpcError: true })
    } finally {
      other.exec('ROLLBACK')
      other.close()
    }
    await remote.ok('send', { channel: 'jobs', args: [2] })
    expect(broker.channel('jobs').stats()).toMatchObject({ ready: 1 })
  })

  it('is known to be durable in a worker that connected before the channel was declared', async () => {
    const path = dbPath()
    const broker = newBroker({ path })
    const errors = brokerErrors(broker)
    const remote = spawnRemote(broker)
    await remote.ready
    // Told on the same port as the 'cmd' below, so the worker knows before it runs the command.
    broker.channel('late', { durable: true, maxDepth: 3 })
    expect(await remote.ok('sendCounted', { channel: 'late', count: 3, dbPath: path })).toEqual([1, 2, 3])
    // A transient send could not throw this: it would reach main after send returned.
    expect(await remote.fail('send', { channel: 'late', args: [4] })).toMatchObject({ className: 'QueueFullError', code: 'ERR_QUEUE_FULL' })
    expect(errors).toEqual([])
  })

  // On a broker's own file the worker stores by itself; on the application's handle main does.
  it('on a shared database, throws ERR_IPC_SYNC_TIMEOUT when main does not store it within syncTimeoutMs, and then it is not stored', async () => {
    const broker = newBroker({ database: openShared(), syncTimeoutMs: 50 })
    broker.channel('jobs', { durable: true })
    const remote = spawnRemote(broker)
    await remote.ready
    const outcome = remote.run('send', { channel: 'jobs', args: [1] })
    // Main is busy past the worker's deadline: the request it finds afterwards was given up on.
    const until = performance.now() + 500
    while (performance.now() < until) {
      // busy: this thread cannot answer
    }
    const result = await outcome
    expect(result).toMatchObject({ ok: false, error: { className: 'SyncReplyError', code: 'ERR_IPC_SYNC_TIMEOUT' } })
    expect(broker.channel('jobs').stats()).toMatchObject({ ready: 0 })
  })
})

describe('a durable invoke from a worker renderer', () => {
  it('resolves with the handler result', async () => {
    const broker = newBroker({ path: dbPath() })
    broker.channel('add', { durable: true })
    broker.ipcMain.handle('add', (_event, a: number, b: number) => a + b)
    const remote = spawnRemote(broker)
    expect(await remote.ok('invoke', { channel: 'add', args: [1, 2] })).toEqual({ value: 3 })
  })

  it('rejects in the worker with the store error when the request cannot be stored', async () => {
    const broker = newBroker({ path: dbPath() })
    const errors = brokerErrors(broker)
    broker.channel('work', { durable: true, maxDepth: 1 })
    // No handler: the enqueued job waits, and the queue is full.
    broker.enqueue('work', [0])
    const remote = spawnRemote(broker)
    const error = await remote.fail('invoke', { channel: 'work', args: [1] })
    expect(error).toMatchObject({
      name: 'QueueFullError',
      className: 'QueueFullError',
      code: 'ERR_QUEUE_FULL',
      message: "Channel 'work' holds 1 messages, its maxDepth",
      isDurableIpcError: true,
    })
    expect(errors).toEqual([])
  })
})
