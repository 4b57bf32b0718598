// The broker's lifecycle (issue "house:"): one shutdown however many close() calls, and nothing
// works, nor opens a database, once it is closing.

import { describe, expect, it } from 'vitest'
import { BrokerClosedError, createBroker } from '../../src/index.js'
import { dbPath, deferred, openBroker, useDurableFixtures } from './durableHelpers.js'

useDurableFixtures()

describe('close()', () => {
  it('called twice, resolves both only when the shutdown (and the store) has finished', async () => {
    const path = dbPath()
    const broker = openBroker({ path, closeTimeoutMs: 200 })
    broker.channel('jobs', { durable: true })
    const started = deferred()
    const finish = deferred()
    broker.ipcMain.on('jobs', async () => {
      started.resolve()
      await finish.promise
    })
    broker.enqueue('jobs', ['x'])
    await started.promise
    const order: string[] = []
    const first = broker.close().then(() => order.push('first'))
    const second = broker.close().then(() => order.push('second'))
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(order).toEqual([]) // the second did not resolve early
    finish.resolve()
    await Promise.all([first, second])
    expect(order).toEqual(['first', 'second'])
    // The store is closed: the file can be opened and used by another broker at once.
    const again = createBroker({ path })
    expect(again.channel('jobs').stats()).toMatchObject({ ready: 0, inFlight: 0 })
    await again.close()
  })

  it('refuses every method afterwards with BrokerClosedError, and opens no database', async () => {
    const broker = createBroker() // in memory, opened lazily: never opened here
    const handle = (() => {
      const other = createBroker()
      return { other, jobs: other.channel('jobs', { durable: true }) }
    })()
    await broker.close()
    await handle.other.close()
    for (const call of [
      () => broker.jobResult(1),
      () => broker.stats(),
      () => broker.channel('jobs', { durable: true }),
      () => broker.enqueue('jobs', []),
      () => broker.createRenderer(),
      () => handle.jobs.stats(),
      () => handle.jobs.deadLetters(),
      () => handle.jobs.replay(),
    ]) {
      expect(call).toThrow(BrokerClosedError)
    }
    await expect(broker.close()).resolves.toBeUndefined()
  })
})
