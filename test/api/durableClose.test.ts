// broker.close() on durable channels (issue 4, point 12): no new deliveries, deliveries in flight
// awaited (bounded by closeTimeoutMs), and once close() resolves every delivery whose listeners
// returned is recorded as acknowledged: reopening the file redelivers none of them.

import { describe, expect, it } from 'vitest'
import { BrokerClosedError } from '../../src/index.js'
import { Counter, dbPath, deferred, openBroker, storedMessages, thrown, useDurableFixtures } from './durableHelpers.js'

useDurableFixtures()

describe('close()', () => {
  it('waits for a delivery in flight, records its acknowledgement, and redelivers nothing on reopen', async () => {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('jobs', { durable: true })
    const gate = deferred()
    const started = deferred()
    let finished = false
    broker.ipcMain.on('jobs', async () => {
      started.resolve()
      await gate.promise
      finished = true
    })
    broker.enqueue('jobs', [1])
    await started.promise
    const closing = broker.close()
    let closed = false
    void closing.then(() => (closed = true))
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(closed).toBe(false)
    gate.resolve()
    await closing
    expect(finished).toBe(true)
    expect(storedMessages(path, 'jobs')).toEqual([])
  })

  it('records every acknowledgement of a burst of synchronous listeners before it resolves', async () => {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('jobs', { durable: true })
    const got = new Counter<number>()
    broker.ipcMain.on('jobs', (_e, n: number) => got.push(n))
    for (let i = 0; i < 300; i++) broker.enqueue('jobs', [i])
    await got.reach(300)
    await broker.close()
    expect(storedMessages(path, 'jobs')).toEqual([])
  })

  it('stops taking new deliveries: the messages behind one in flight stay stored, attempts untouched', async () => {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('jobs', { durable: true })
    const gate = deferred()
    const got = new Counter<number>()
    broker.ipcMain.on('jobs', async (_e, n: number) => {
      got.push(n)
      await gate.promise
    })
    for (let i = 1; i <= 3; i++) broker.enqueue('jobs', [i])
    await got.reach(1)
    const closing = broker.close()
    gate.resolve()
    await closing
    expect(got.items).toEqual([1])
    expect(storedMessages(path, 'jobs').map((m) => m.attempts)).toEqual([0, 0])

    const reopened = openBroker({ path })
    const again = new Counter<[number, number]>()
    reopened.ipcMain.on('jobs', (event, n: number) => again.push([n, event.attempt]))
    await again.reach(2)
    // First deliveries of 2 and 3: the claim at close time was handed back, not counted.
    expect(again.items).toEqual([[2, 1], [3, 1]])
  })

  it('gives up waiting after closeTimeoutMs; the unfinished delivery comes back later, nothing lost', async () => {
    const path = dbPath()
    const broker = openBroker({ path, closeTimeoutMs: 100 })
    broker.channel('jobs', { durable: true, leaseMs: 300 })
    const started = deferred()
    broker.ipcMain.on('jobs', () => {
      started.resolve()
      return new Promise(() => {}) // never settles
    })
    broker.enqueue('jobs', ['stuck'])
    await started.promise
    const t0 = Date.now()
    await broker.close()
    const took = Date.now() - t0
    expect(took).toBeGreaterThanOrEqual(90)
    expect(took).toBeLessThan(1000)
    expect(storedMessages(path, 'jobs')).toHaveLength(1)

    const reopened = openBroker({ path })
    const again = new Counter<[string, number]>()
    reopened.ipcMain.on('jobs', (event, v: string) => again.push([v, event.attempt]))
    await again.reach(1)
    expect(again.items).toEqual([['stuck', 2]])
  })

  it('records the acknowledgements of deliveries that finished even when another one times out', async () => {
    const path = dbPath()
    const broker = openBroker({ path, closeTimeoutMs: 100 })
    broker.channel('jobs', { durable: true, concurrency: 2, leaseMs: 60_000 })
    const got = new Counter<string>()
    const quick = deferred()
    broker.ipcMain.on('jobs', async (_e, v: string) => {
      got.push(v)
      if (v === 'quick') await quick.promise
      else await new Promise(() => {}) // never settles
    })
    broker.enqueue('jobs', ['stuck'])
    broker.enqueue('jobs', ['quick'])
    await got.reach(2)
    const closing = broker.close()
    quick.resolve()
    await closing
    // Only the stuck one is left: the quick one returned before close() resolved.
    expect(storedMessages(path, 'jobs')).toHaveLength(1)
  })

  it('refuses calls after close with BrokerClosedError, and a second close resolves', async () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true })
    await broker.close()
    expect(thrown(() => broker.enqueue('jobs', [1]))).toBeInstanceOf(BrokerClosedError)
    expect(thrown(() => broker.channel('jobs')).code).toBe('ERR_BROKER_CLOSED')
    await expect(broker.close()).resolves.toBeUndefined()
  })

  it('closes a broker whose durable channel never had a listener at once', async () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true })
    broker.enqueue('jobs', [1])
    const t0 = Date.now()
    await broker.close()
    expect(Date.now() - t0).toBeLessThan(200)
  })
})
