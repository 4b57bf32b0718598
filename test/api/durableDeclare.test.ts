// Declaring durable channels (issue 4, point 1): the handle, persisted declarations, updates,
// looking a channel up by name, and options that are refused without changing anything.

import { describe, expect, it } from 'vitest'
import { InvalidArgumentError, UnknownChannelError } from '../../src/index.js'
import { Counter, dbPath, openBroker, storedMessages, thrown, turns, useDurableFixtures } from './durableHelpers.js'

useDurableFixtures()

describe('broker.channel', () => {
  it('returns a handle with stats, deadLetters, replay and purgeDeadLetters', () => {
    const broker = openBroker({ path: dbPath() })
    const jobs = broker.channel('jobs', { durable: true })
    expect(jobs.name).toBe('jobs')
    expect(jobs.stats()).toEqual({ ready: 0, delayed: 0, inFlight: 0, dead: 0, oldestAgeMs: null, paused: false, subscriptions: { main: { ready: 0, delayed: 0, inFlight: 0, dead: 0 } } })
    expect(jobs.deadLetters()).toEqual([])
    expect(jobs.replay()).toBe(0)
    expect(jobs.purgeDeadLetters()).toBe(0)
  })

  it('refuses a lookup of a channel never declared, in this run or an earlier one', async () => {
    const path = dbPath()
    const broker = openBroker({ path })
    const err = thrown(() => broker.channel('nope'))
    expect(err).toBeInstanceOf(UnknownChannelError)
    expect(err.code).toBe('ERR_UNKNOWN_CHANNEL')
    expect(thrown(() => broker.enqueue('nope', [1])).code).toBe('ERR_UNKNOWN_CHANNEL')
    await broker.close()
    expect(thrown(() => openBroker({ path }).channel('nope')).code).toBe('ERR_UNKNOWN_CHANNEL')
  })

  it('persists the declaration: after a restart the channel is durable without declaring it again', async () => {
    const path = dbPath()
    const first = openBroker({ path })
    first.channel('jobs', { durable: true, maxAttempts: 2 })
    await first.close()

    const broker = openBroker({ path })
    // A renderer's send on it is stored, not dropped as a transient send with no listener would be.
    broker.createRenderer({ id: 'w' }).ipcRenderer.send('jobs', 'kept')
    expect(storedMessages(path, 'jobs')).toHaveLength(1)
    const handle = broker.channel('jobs')
    expect(handle.stats().ready).toBe(1)
  })

  it('updates the options of a declared channel, and the update persists', async () => {
    const path = dbPath()
    let broker = openBroker({ path })
    broker.channel('jobs', { durable: true, maxAttempts: 1, backoff: { initialMs: 1, maxMs: 1 } })
    broker.channel('jobs', { durable: true, maxAttempts: 3 })
    await broker.close()

    broker = openBroker({ path })
    const attempts = new Counter<number>()
    broker.ipcMain.on('jobs', (event) => {
      attempts.push(event.attempt)
      throw new Error('fails every time')
    })
    broker.enqueue('jobs', ['x'])
    await expect.poll(() => broker.channel('jobs').stats().dead).toBe(1)
    // Three attempts: the update's maxAttempts, and the first declaration's back-off kept.
    expect(attempts.items).toEqual([1, 2, 3])
  })

  it('starts consuming when a channel is declared after its listener was added', async () => {
    const broker = openBroker({ path: dbPath() })
    const got = new Counter<string>()
    broker.ipcMain.on('late', (_event, value: string) => got.push(value))
    broker.channel('late', { durable: true })
    broker.enqueue('late', ['a'])
    await got.reach(1)
    expect(got.items).toEqual(['a'])
  })

  it('makes a channel declared by another broker on the file durable on lookup, listeners included', async () => {
    const path = dbPath()
    const broker = openBroker({ path })
    const got = new Counter<string>()
    broker.ipcMain.on('jobs', (_event, value: string) => got.push(value))
    // Declared through another connection after this broker opened.
    const other = openBroker({ path })
    other.channel('jobs', { durable: true })
    other.enqueue('jobs', ['from-other'])
    broker.channel('jobs')
    await got.reach(1)
    expect(got.items).toEqual(['from-other'])
  })

  it('learns within about a second of a channel another process declared, so renderer sends on it are stored', async () => {
    const path = dbPath()
    const broker = openBroker({ path })
    const win = broker.createRenderer({ id: 'w' })
    const other = openBroker({ path })
    const started = Date.now()
    other.channel('late', { durable: true })
    const late = other.channel('late')
    // Probes: dropped while 'late' is transient here (no listener), stored once this broker knows.
    let probe = 0
    await expect.poll(() => {
      win.ipcRenderer.send('late', probe++)
      return late.stats().ready
    }, { timeout: 3000, interval: 50 }).toBeGreaterThan(0)
    expect(Date.now() - started).toBeLessThan(2500)
    // And listeners added now consume it as a durable channel (acknowledged, with an attempt).
    const got = new Counter<number>()
    broker.ipcMain.on('late', (event) => got.push(event.attempt!))
    await got.reach(1)
    expect(got.items[0]).toBe(1)
  })

  it.each([
    ['no durable flag', { maxAttempts: 2 }],
    ['durable false', { durable: false }],
    ['maxAttempts 0', { durable: true, maxAttempts: 0 }],
    ['fractional concurrency', { durable: true, concurrency: 1.5 }],
    ['negative backoff', { durable: true, backoff: { initialMs: -1 } }],
    ['maxMs below initialMs', { durable: true, backoff: { initialMs: 100, maxMs: 10 } }],
    ['leaseMs 0', { durable: true, leaseMs: 0 }],
    ['a string', 'durable'],
  ])('refuses %s with InvalidArgumentError and declares nothing', (_name, options) => {
    const broker = openBroker({ path: dbPath() })
    const err = thrown(() => broker.channel('jobs', options as never))
    expect(err).toBeInstanceOf(InvalidArgumentError)
    expect(err.code).toBe('ERR_INVALID_ARGUMENT')
    expect(thrown(() => broker.channel('jobs')).code).toBe('ERR_UNKNOWN_CHANNEL')
  })

  it('refuses a bad channel name', () => {
    const broker = openBroker({ path: dbPath() })
    expect(thrown(() => broker.channel('', { durable: true })).code).toBe('ERR_IPC_INVALID_CHANNEL')
    expect(thrown(() => broker.channel(42 as never, { durable: true })).code).toBe('ERR_IPC_INVALID_CHANNEL')
  })

  it('keeps transient channels transient: a send with no listener is dropped, not stored', async () => {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('jobs', { durable: true })
    broker.createRenderer().ipcRenderer.send('chatter', 1)
    await turns()
    expect(storedMessages(path, 'chatter')).toEqual([])
    expect(Object.keys(broker.stats().durable)).toEqual(['jobs'])
  })
})
