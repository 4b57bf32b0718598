// Messages that wait (issue 4, point 3): sent while no listener is registered, or while no process
// runs, they are kept and delivered in order once a listener is there; concurrency > 1 keeps
// taking new messages while others are in flight.

import { describe, expect, it } from 'vitest'
import { Counter, dbPath, deferred, openBroker, storedMessages, turns, useDurableFixtures } from './durableHelpers.js'

useDurableFixtures()

describe('waiting for a listener', () => {
  it('keeps messages sent with no listener and delivers them in order to a listener added later', async () => {
    const broker = openBroker({ path: dbPath() })
    const jobs = broker.channel('jobs', { durable: true })
    const win = broker.createRenderer({ id: 'w' })
    for (let i = 0; i < 5; i++) win.ipcRenderer.send('jobs', i)
    broker.enqueue('jobs', [5])
    await turns()
    expect(jobs.stats().ready).toBe(6)
    const got = new Counter<number>()
    broker.ipcMain.on('jobs', (_e, n: number) => got.push(n))
    await got.reach(6)
    expect(got.items).toEqual([0, 1, 2, 3, 4, 5])
  })

  it('stops delivering when the last listener goes, and resumes in order when one comes back', async () => {
    const broker = openBroker({ path: dbPath() })
    const jobs = broker.channel('jobs', { durable: true })
    const got = new Counter<number>()
    const listener = (_e: unknown, n: number): void => got.push(n)
    broker.ipcMain.on('jobs', listener)
    broker.enqueue('jobs', [1])
    await got.reach(1)
    broker.ipcMain.off('jobs', listener)
    broker.enqueue('jobs', [2])
    broker.enqueue('jobs', [3])
    await turns()
    expect(got.items).toEqual([1])
    expect(jobs.stats().ready).toBe(2)
    broker.ipcMain.on('jobs', listener)
    await got.reach(3)
    expect(got.items).toEqual([1, 2, 3])
  })

  it('keeps order when a listener is swapped while a delivery is in flight', async () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true })
    const gate = deferred()
    const first = new Counter<number>()
    const slow = async (_e: unknown, n: number): Promise<void> => {
      first.push(n)
      await gate.promise
    }
    broker.ipcMain.on('jobs', slow)
    for (let i = 1; i <= 4; i++) broker.enqueue('jobs', [i])
    await first.reach(1)
    // The old listener's consumer still waits for message 1; the new one must not skip ahead of 2.
    broker.ipcMain.off('jobs', slow)
    const got = new Counter<number>()
    broker.ipcMain.on('jobs', (_e, n: number) => got.push(n))
    await got.reach(3)
    expect(got.items).toEqual([2, 3, 4])
    gate.resolve()
    await expect.poll(() => broker.channel('jobs').stats().inFlight).toBe(0)
  })

  it('keeps messages sent while no process runs and delivers them in order after a restart', async () => {
    const path = dbPath()
    const producer = openBroker({ path })
    producer.channel('jobs', { durable: true })
    const win = producer.createRenderer({ id: 'sender' })
    win.ipcRenderer.send('jobs', 'a')
    producer.enqueue('jobs', ['b'])
    win.ipcRenderer.send('jobs', 'c')
    await producer.close()

    const consumer = openBroker({ path })
    const got = new Counter<[string, string, number]>()
    consumer.ipcMain.on('jobs', (event, v: string) => got.push([v, event.sender.id, event.attempt]))
    await got.reach(3)
    // The sender is gone after the restart; event.sender still names it.
    expect(got.items).toEqual([['a', 'sender', 1], ['b', '', 1], ['c', 'sender', 1]])
    await expect.poll(() => storedMessages(path, 'jobs')).toEqual([])
  })

  it('with concurrency 2 delivers a new message while another is still in flight', async () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true, concurrency: 2 })
    const gate = deferred()
    const got = new Counter<string>()
    broker.ipcMain.on('jobs', async (_e, v: string) => {
      got.push(v)
      if (v === 'slow') await gate.promise
    })
    broker.enqueue('jobs', ['slow'])
    await got.reach(1)
    broker.enqueue('jobs', ['fast'])
    await got.reach(2)
    expect(got.items).toEqual(['slow', 'fast'])
    gate.resolve()
  })

  it('with concurrency 3 has at most three deliveries in flight', async () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true, concurrency: 3 })
    let running = 0
    let peak = 0
    const done = new Counter<number>()
    broker.ipcMain.on('jobs', async (_e, n: number) => {
      running++
      peak = Math.max(peak, running)
      await turns(2)
      running--
      done.push(n)
    })
    for (let i = 0; i < 20; i++) broker.enqueue('jobs', [i])
    await done.reach(20)
    expect(peak).toBe(3)
    expect([...done.items].sort((a, b) => a - b)).toEqual([...Array(20).keys()])
  })
})
