// Leases between brokers sharing one file (issue 4, point 8, within one process: two connections
// compete as two processes would): each message goes to one broker, a batch claimed by a slow
// consumer stays its own, and a lease that runs out hands the delivery to the other broker.

import { describe, expect, it } from 'vitest'
import { Counter, dbPath, deferred, openBroker, turns, useDurableFixtures, wait } from './durableHelpers.js'

useDurableFixtures()

describe('leases between brokers on one file', () => {
  it('hands each message to exactly one of the competing brokers', async () => {
    const path = dbPath()
    const a = openBroker({ path })
    const b = openBroker({ path })
    a.channel('jobs', { durable: true })
    b.channel('jobs')
    const got = new Counter<[string, number]>()
    a.ipcMain.on('jobs', async (_e, n: number) => { got.push(['a', n]); await turns(1) })
    b.ipcMain.on('jobs', async (_e, n: number) => { got.push(['b', n]); await turns(1) })
    const producer = openBroker({ path })
    for (let i = 0; i < 200; i++) producer.enqueue('jobs', [i])
    await got.reach(200)
    await expect.poll(() => a.channel('jobs').stats().ready + a.channel('jobs').stats().inFlight).toBe(0)
    await turns()
    const seen = got.items.map(([, n]) => n).sort((x, y) => x - y)
    expect(seen).toEqual([...Array(200).keys()])
  })

  it('renews the leases of a claimed batch so that a slow consumer does not lose its queue to another', async () => {
    const path = dbPath()
    const slow = openBroker({ path })
    slow.channel('jobs', { durable: true, leaseMs: 120 })
    const got = new Counter<[string, number, number]>()
    slow.ipcMain.on('jobs', async (event, n: number) => {
      got.push(['slow', n, event.attempt])
      // The first is quick, so the consumer takes the rest in one claim; then each takes 25 ms.
      if (n > 0) await wait(25)
    })
    for (let i = 0; i < 12; i++) slow.enqueue('jobs', [i])
    await got.reach(2) // the slow broker holds the whole batch now
    const other = openBroker({ path })
    other.ipcMain.on('jobs', (event, n: number) => got.push(['other', n, event.attempt]))
    other.channel('jobs')
    await got.reach(12)
    await turns()
    // 12 deliveries of 25 ms outlast the 120 ms lease, yet none was taken over: no duplicates.
    expect(got.items).toEqual(Array.from({ length: 12 }, (_, i) => ['slow', i, 1]))
  })

  it('never starts a delivery again while it runs, however much longer than its lease (concurrency 4)', async () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true, concurrency: 4, leaseMs: 300 })
    const runs = new Counter<number>()
    broker.ipcMain.on('jobs', async (event) => {
      runs.push(event.attempt)
      await wait(1500)
    })
    const { id } = broker.enqueue('jobs', ['long'])
    await runs.reach(1)
    await expect.poll(() => broker.channel('jobs').stats().inFlight, { timeout: 3000 }).toBe(0)
    expect(runs.items).toEqual([1])
    expect(broker.jobResult(id)).toBeUndefined()
  })

  it('keeps the lease of a delivery that outlives it while its broker is alive, and hands it back when close() gives up', async () => {
    const path = dbPath()
    const stuck = openBroker({ path, closeTimeoutMs: 10 })
    stuck.channel('jobs', { durable: true, leaseMs: 150 })
    const started = deferred()
    stuck.ipcMain.on('jobs', () => {
      started.resolve()
      return new Promise(() => {}) // hangs: its process is alive, its event loop runs
    })
    stuck.enqueue('jobs', ['x'])
    await started.promise
    const rescuer = openBroker({ path })
    const got = new Counter<[string, number]>()
    rescuer.ipcMain.on('jobs', (event, v: string) => got.push([v, event.attempt]))
    rescuer.channel('jobs')
    // Three leases' worth: renewed all along, never taken over.
    await wait(450)
    expect(got.items).toEqual([])
    const closedAt = Date.now()
    await stuck.close()
    // Handed back by close(), not left to expire; its attempt counted.
    await got.reach(1)
    expect(got.items).toEqual([['x', 2]])
    expect(Date.now() - closedAt).toBeLessThan(140)
  })

  it('claims no more than a slow listener can start soon, so a crash counts no attempt for the rest', async () => {
    const path = dbPath()
    const broker = openBroker({ path })
    const jobs = broker.channel('jobs', { durable: true })
    const got = new Counter<number>()
    broker.ipcMain.on('jobs', async (_event, n: number) => {
      got.push(n)
      await wait(60)
    })
    for (let i = 0; i < 40; i++) broker.enqueue('jobs', [i])
    await got.reach(4)
    // 60 ms a delivery, one at a time: a claim takes ~100 ms of work (1 or 2), not the whole queue.
    expect(jobs.stats().inFlight).toBeLessThanOrEqual(3)
    expect(jobs.stats().ready).toBeGreaterThanOrEqual(33)
  })
})

