// WriteLock: the lock a process's connections to one file take around writes. Real worker threads
// (the lock is for them): it excludes, it wakes a waiter when freed, and a lock whose holder died
// holding it (a terminated thread never releases) is taken over instead of hanging every writer.

import { Worker } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { WriteLock } from '../../../src/store/sqlite/writeLock.js'
import { ensureBuilt } from '../../e2e/durableProcesses.js'

const built = fileURLToPath(new URL('../../../dist/store/sqlite/writeLock.js', import.meta.url))

// Each thread adds 1 to a shared counter `rounds` times under the lock, as a read, a pause and a
// write: without the lock the threads overwrite each other's additions.
const adder = `
const { workerData, parentPort } = require('node:worker_threads')
import(workerData.module).then(({ WriteLock }) => {
  const lock = new WriteLock(workerData.lock)
  const counter = new Int32Array(workerData.counter)
  const pause = new Int32Array(new SharedArrayBuffer(4))
  for (let i = 0; i < workerData.rounds; i++) {
    lock.hold(() => {
      const seen = Atomics.load(counter, 0)
      if (i % 16 === 0) Atomics.wait(pause, 0, 0, 0.05)
      Atomics.store(counter, 0, seen + 1)
    })
  }
  parentPort.postMessage('done')
})
`

// Takes the lock and never lets go (until terminated).
const holder = `
const { workerData, parentPort } = require('node:worker_threads')
import(workerData.module).then(({ WriteLock }) => {
  new WriteLock(workerData.lock).hold(() => {
    parentPort.postMessage('holding')
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)
  })
})
`

function run(source: string, workerData: Record<string, unknown>): { worker: Worker; message: Promise<unknown> } {
  const worker = new Worker(source, { eval: true, workerData: { module: built, ...workerData } })
  const message = new Promise((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  return { worker, message }
}

describe('WriteLock', () => {
  beforeAll(ensureBuilt, 120_000)

  it('lets one thread in at a time: no addition of four threads is lost', async () => {
    const lock = WriteLock.shared()
    const counter = new SharedArrayBuffer(4)
    const threads = Array.from({ length: 4 }, () => run(adder, { lock, counter, rounds: 2000 }))
    await Promise.all(threads.map((thread) => thread.message))
    await Promise.all(threads.map((thread) => thread.worker.terminate()))
    expect(new Int32Array(counter)[0]).toBe(8000)
  })

  it('wakes a waiting thread as soon as the holder lets go', async () => {
    const shared = WriteLock.shared()
    const lock = new WriteLock(shared)
    const counter = new SharedArrayBuffer(4)
    let waiter: ReturnType<typeof run> | undefined
    const started = performance.now()
    lock.hold(() => {
      waiter = run(adder, { lock: shared, counter, rounds: 1 })
      // The thread starts and queues behind this hold.
      const pause = new Int32Array(new SharedArrayBuffer(4))
      while (new Int32Array(shared)[0] !== 2 && performance.now() - started < 5000) Atomics.wait(pause, 0, 0, 1)
    })
    expect(new Int32Array(shared)[0]).not.toBe(1)
    await waiter!.message
    await waiter!.worker.terminate()
    expect(new Int32Array(counter)[0]).toBe(1)
    expect(new Int32Array(shared)[0]).toBe(0)
  })

  it('takes over a lock whose holder was terminated holding it, after about a second', async () => {
    const shared = WriteLock.shared()
    const { worker, message } = run(holder, { lock: shared })
    await message
    await worker.terminate()
    expect(new Int32Array(shared)[0]).not.toBe(0)
    const started = performance.now()
    expect(new WriteLock(shared).hold(() => 'in')).toBe('in')
    const waited = performance.now() - started
    expect(waited).toBeGreaterThanOrEqual(900)
    expect(waited).toBeLessThan(5000)
  })
})
