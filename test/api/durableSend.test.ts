// Sending on a durable channel (issue 4, points 2 and 11): stored before send/enqueue returns,
// delivered to every main-side listener in EventEmitter order, acknowledged when all of them
// succeeded; uncloneable arguments store nothing; sendSync is never stored.

import { describe, expect, it } from 'vitest'
import { CloneError, SyncReplyError } from '../../src/index.js'
import { Counter, dbPath, deferred, openBroker, storedMessages, thrown, turns, useDurableFixtures } from './durableHelpers.js'

useDurableFixtures()

describe('durable send and enqueue', () => {
  it('stores a renderer send before it returns (seen by another connection)', () => {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('jobs', { durable: true })
    const win = broker.createRenderer({ id: 'w1' })
    win.ipcRenderer.send('jobs', { n: 1 })
    expect(storedMessages(path, 'jobs')).toHaveLength(1)
    win.ipcRenderer.send('jobs', { n: 2 })
    expect(storedMessages(path, 'jobs')).toHaveLength(2)
  })

  it('stores an enqueue before it returns; enqueue is synchronous and returns the id', () => {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('jobs', { durable: true })
    const result = broker.enqueue('jobs', ['a'])
    expect(result).not.toBeInstanceOf(Promise)
    expect(result).toEqual({ id: expect.any(Number), duplicate: false })
    expect(storedMessages(path, 'jobs').map((m) => m.id)).toEqual([result.id])
  })

  it('delivers each message to every listener in EventEmitter order, with the same arguments', async () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true })
    const calls = new Counter<string>()
    broker.ipcMain.on('jobs', (_e, v: string) => calls.push(`a:${v}`))
    broker.ipcMain.prependListener('jobs', (_e, v: string) => calls.push(`b:${v}`))
    broker.ipcMain.on('jobs', (_e, v: string) => calls.push(`c:${v}`))
    broker.enqueue('jobs', ['1'])
    broker.enqueue('jobs', ['2'])
    await calls.reach(6)
    expect(calls.items).toEqual(['b:1', 'a:1', 'c:1', 'b:2', 'a:2', 'c:2'])
  })

  it('gives listeners event.attempt, event.messageId and the sending renderer as event.sender', async () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true })
    const win = broker.createRenderer({ id: 'w1' })
    const events = new Counter<{ attempt: number; messageId: number | undefined; sender: string }>()
    broker.ipcMain.on('jobs', (event) => events.push({ attempt: event.attempt, messageId: event.messageId, sender: event.sender.id }))
    const { id } = broker.enqueue('jobs', [])
    win.ipcRenderer.send('jobs')
    await events.reach(2)
    expect(events.items[0]).toEqual({ attempt: 1, messageId: id, sender: '' })
    expect(events.items[1]).toMatchObject({ attempt: 1, sender: 'w1' })
  })

  it('acknowledges a listener that returns: nothing is left and nothing comes again', async () => {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('jobs', { durable: true })
    const calls = new Counter<number>()
    broker.ipcMain.on('jobs', (event) => calls.push(event.attempt))
    broker.enqueue('jobs', [1])
    await calls.reach(1)
    await expect.poll(() => storedMessages(path, 'jobs')).toEqual([])
    await turns()
    expect(calls.items).toEqual([1])
  })

  it('acknowledges an async listener only when its promise resolves', async () => {
    const path = dbPath()
    const broker = openBroker({ path })
    const jobs = broker.channel('jobs', { durable: true })
    const gate = deferred()
    const started = deferred()
    broker.ipcMain.on('jobs', async () => {
      started.resolve()
      await gate.promise
    })
    broker.enqueue('jobs', [1])
    await started.promise
    await turns()
    expect(jobs.stats()).toMatchObject({ inFlight: 1, ready: 0 })
    expect(storedMessages(path, 'jobs')).toHaveLength(1)
    gate.resolve()
    await expect.poll(() => storedMessages(path, 'jobs')).toEqual([])
  })

  it.each([
    ['throws', (attempt: number) => { if (attempt === 1) throw new Error('sync failure') }],
    ['rejects', async (attempt: number) => { if (attempt === 1) throw new Error('async failure') }],
  ])('retries when a listener %s, with event.attempt counting up', async (_name, body) => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true, backoff: { initialMs: 1, maxMs: 2 } })
    const attempts = new Counter<number>()
    broker.ipcMain.on('jobs', (event) => {
      attempts.push(event.attempt)
      return body(event.attempt)
    })
    broker.enqueue('jobs', ['x'])
    await attempts.reach(2)
    await expect.poll(() => broker.channel('jobs').stats().ready + broker.channel('jobs').stats().inFlight).toBe(0)
    expect(attempts.items).toEqual([1, 2])
  })

  it('acknowledges only when every listener succeeded: one failure makes all run again', async () => {
    const broker = openBroker({ path: dbPath() })
    const jobs = broker.channel('jobs', { durable: true, backoff: { initialMs: 1, maxMs: 2 } })
    const calls = new Counter<string>()
    broker.ipcMain.on('jobs', (event) => calls.push(`ok:${event.attempt}`))
    broker.ipcMain.on('jobs', (event) => {
      calls.push(`flaky:${event.attempt}`)
      if (event.attempt === 1) throw new Error('first time fails')
    })
    broker.enqueue('jobs', [])
    await calls.reach(4)
    await expect.poll(() => jobs.stats().ready + jobs.stats().inFlight + jobs.stats().delayed).toBe(0)
    expect(calls.items).toEqual(['ok:1', 'flaky:1', 'ok:2', 'flaky:2'])
    expect(jobs.deadLetters()).toEqual([])
  })

  it('throws "An object could not be cloned." on uncloneable arguments and stores nothing', () => {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('jobs', { durable: true })
    const win = broker.createRenderer()
    const fromEnqueue = thrown(() => broker.enqueue('jobs', [{ fn: () => 1 }]))
    expect(fromEnqueue).toBeInstanceOf(CloneError)
    expect(fromEnqueue.message).toMatch(/^An object could not be cloned\./)
    const fromSend = thrown(() => win.ipcRenderer.send('jobs', Symbol('s')))
    expect(fromSend).toBeInstanceOf(CloneError)
    expect(storedMessages(path, 'jobs')).toEqual([])
  })

  it('refuses enqueue arguments that are not an array', () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true })
    expect(thrown(() => broker.enqueue('jobs', 'x' as never)).code).toBe('ERR_INVALID_ARGUMENT')
  })

  it('delivers structured-clone values intact through the file', async () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true })
    const got = new Counter<unknown[]>()
    broker.ipcMain.on('jobs', (_e, ...args: unknown[]) => got.push(args))
    const value = { when: new Date(5), map: new Map([[1, 'one']]), set: new Set([2n]), bytes: new Uint8Array([1, 2]) }
    broker.enqueue('jobs', [value, 'two'])
    await got.reach(1)
    expect(got.items[0]).toEqual([value, 'two'])
  })
})

describe('sendSync on a durable channel', () => {
  it('is answered by the live listener and never stored', () => {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('jobs', { durable: true })
    broker.ipcMain.on('jobs', (event, v: number) => { event.returnValue = v * 2 })
    const win = broker.createRenderer()
    expect(win.ipcRenderer.sendSync('jobs', 21)).toBe(42)
    expect(storedMessages(path, 'jobs')).toEqual([])
    expect(broker.channel('jobs').stats().ready).toBe(0)
  })

  it('with no listener fails at once and stores nothing (it is never queued)', async () => {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('jobs', { durable: true })
    const win = broker.createRenderer()
    const err = thrown(() => win.ipcRenderer.sendSync('jobs', 1))
    expect(err).toBeInstanceOf(SyncReplyError)
    expect(err.code).toBe('ERR_IPC_NO_SYNC_LISTENER')
    expect(storedMessages(path, 'jobs')).toEqual([])
    // A listener added later gets nothing from that sendSync.
    const calls = new Counter<unknown>()
    broker.ipcMain.on('jobs', (_e, v: unknown) => calls.push(v))
    await turns()
    expect(calls.items).toEqual([])
  })
})
