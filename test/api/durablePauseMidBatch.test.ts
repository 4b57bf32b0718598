// A pause made in this process reaches its consumer while it holds a claimed batch: no message of
// the batch starts after it (the one running finishes), the batch goes back to the queue at its
// place in line, and a resume goes on in order. Another process's pause: test/e2e/durableControl.test.ts.

import { describe, expect, it } from 'vitest'
import { Counter, dbPath, deferred, openBroker, turns, useDurableFixtures, wait } from './durableHelpers.js'

useDurableFixtures()

describe('a pause in this process, mid-batch', () => {
  it('stops the claimed batch at once, hands it back, and resumes in order', async () => {
    const broker = openBroker({ path: dbPath() })
    const jobs = broker.channel('jobs', { durable: true })
    for (let n = 0; n < 100; n++) broker.enqueue('jobs', [n])
    const started = new Counter<number>()
    const gate = deferred()
    broker.ipcMain.on('jobs', async (_event, n: number) => {
      started.push(n)
      // Quick at first (so the consumer claims a batch ahead), then each waits for the test.
      if (n >= 5 && n < 10) await gate.promise
    })
    await started.reach(6)
    expect(jobs.stats().inFlight).toBeGreaterThan(2) // the one running and the batch behind it
    jobs.pause()
    expect(jobs.stats().inFlight).toBe(1) // handed back at once: only the one running is held
    gate.resolve()
    await wait(50)
    await turns()
    expect(started.items).toEqual([0, 1, 2, 3, 4, 5])
    expect(jobs.stats()).toMatchObject({ ready: 94, inFlight: 0, paused: true })

    jobs.resume() // the gate is open now: the rest are quick
    await started.reach(100)
    expect(started.items).toEqual(Array.from({ length: 100 }, (_, n) => n))
  })
})
