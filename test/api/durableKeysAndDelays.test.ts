// Idempotency keys and delayed delivery (issue 4, points 5 and 6): a second message with a pending
// key is not stored (enqueue says duplicate); delayMs / runAt are not delivered before their time.

import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../../src/index.js'
import { Counter, dbPath, openBroker, storedMessages, thrown, turns, useDurableFixtures, wait } from './durableHelpers.js'

useDurableFixtures()

describe('idempotency keys', () => {
  it('does not store a second message with the key of a pending one, and says so', async () => {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('jobs', { durable: true })
    const first = broker.enqueue('jobs', ['first'], { key: 'order-42' })
    const second = broker.enqueue('jobs', ['second'], { key: 'order-42' })
    expect(first.duplicate).toBe(false)
    expect(second).toEqual({ id: first.id, duplicate: true })
    expect(storedMessages(path, 'jobs')).toEqual([expect.objectContaining({ id: first.id, key: 'order-42' })])
    const got = new Counter<string>()
    broker.ipcMain.on('jobs', (_e, v: string) => got.push(v))
    await got.reach(1)
    await turns()
    expect(got.items).toEqual(['first'])
  })

  it('stores the key again once the first message was acknowledged', async () => {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('jobs', { durable: true })
    const got = new Counter<string>()
    broker.ipcMain.on('jobs', (_e, v: string) => got.push(v))
    broker.enqueue('jobs', ['one'], { key: 'k' })
    await got.reach(1)
    await expect.poll(() => storedMessages(path, 'jobs')).toEqual([])
    expect(broker.enqueue('jobs', ['two'], { key: 'k' }).duplicate).toBe(false)
    await got.reach(2)
    expect(got.items).toEqual(['one', 'two'])
  })

  it('keeps a key per channel: the same key on another channel is a new message', () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('a', { durable: true })
    broker.channel('b', { durable: true })
    expect(broker.enqueue('a', [], { key: 'k' }).duplicate).toBe(false)
    expect(broker.enqueue('b', [], { key: 'k' }).duplicate).toBe(false)
    expect(broker.enqueue('a', [], { key: 'k' }).duplicate).toBe(true)
  })

  it('holds across a restart while the message is pending', async () => {
    const path = dbPath()
    const first = openBroker({ path })
    first.channel('jobs', { durable: true })
    const { id } = first.enqueue('jobs', [1], { key: 'k' })
    await first.close()
    expect(openBroker({ path }).enqueue('jobs', [2], { key: 'k' })).toEqual({ id, duplicate: true })
  })

  it('refuses a key that is not a non-empty string', () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true })
    expect(thrown(() => broker.enqueue('jobs', [], { key: '' }))).toBeInstanceOf(InvalidArgumentError)
    expect(thrown(() => broker.enqueue('jobs', [], { key: 7 as never }))).toBeInstanceOf(InvalidArgumentError)
  })
})

describe('delayMs and runAt', () => {
  it('does not deliver before delayMs has passed, and counts the message as delayed meanwhile', async () => {
    const broker = openBroker({ path: dbPath() })
    const jobs = broker.channel('jobs', { durable: true })
    const got = new Counter<number>()
    broker.ipcMain.on('jobs', () => got.push(Date.now()))
    const sentAt = Date.now()
    broker.enqueue('jobs', [], { delayMs: 150 })
    await turns()
    expect(jobs.stats()).toMatchObject({ ready: 0, delayed: 1 })
    await got.reach(1)
    expect(got.items[0]! - sentAt).toBeGreaterThanOrEqual(150)
    // Delivered close to its time, not at the next slow poll.
    expect(got.items[0]! - sentAt).toBeLessThan(400)
  })

  it('does not deliver before runAt (a Date or epoch ms); a past runAt is due now', async () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true })
    const got = new Counter<[string, number]>()
    broker.ipcMain.on('jobs', (_e, v: string) => got.push([v, Date.now()]))
    const t0 = Date.now()
    broker.enqueue('jobs', ['date'], { runAt: new Date(t0 + 120) })
    broker.enqueue('jobs', ['epoch'], { runAt: t0 + 60 })
    broker.enqueue('jobs', ['past'], { runAt: t0 - 10_000 })
    await got.reach(3)
    expect(got.items.map(([v]) => v)).toEqual(['past', 'epoch', 'date'])
    expect(got.items[1]![1]).toBeGreaterThanOrEqual(t0 + 60)
    expect(got.items[2]![1]).toBeGreaterThanOrEqual(t0 + 120)
  })

  it('keeps the delay across a restart', async () => {
    const path = dbPath()
    const first = openBroker({ path })
    first.channel('jobs', { durable: true })
    const due = Date.now() + 200
    first.enqueue('jobs', [], { runAt: due })
    await first.close()
    const broker = openBroker({ path })
    const got = new Counter<number>()
    broker.ipcMain.on('jobs', () => got.push(Date.now()))
    await wait(50)
    expect(got.items).toEqual([])
    await got.reach(1)
    expect(got.items[0]).toBeGreaterThanOrEqual(due)
  })

  it('refuses a negative delayMs and a runAt that is not a time', () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true })
    expect(thrown(() => broker.enqueue('jobs', [], { delayMs: -1 }))).toBeInstanceOf(InvalidArgumentError)
    expect(thrown(() => broker.enqueue('jobs', [], { runAt: 'soon' as never }))).toBeInstanceOf(InvalidArgumentError)
    expect(thrown(() => broker.enqueue('jobs', [], { runAt: new Date(Number.NaN) }))).toBeInstanceOf(InvalidArgumentError)
    expect(thrown(() => broker.enqueue('jobs', [], null as never))).toBeInstanceOf(InvalidArgumentError)
  })
})
