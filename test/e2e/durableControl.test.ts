// Job control across real processes on one file: a job cancelled here while another process runs
// it has its signal aborted there within about a second, is never retried, and its invoke caller
// here rejects with JobCancelledError; a pause made here reaches a consumer in another process
// that holds a claimed batch: it stops starting its messages within about a second, hands them
// back, and goes on once resumed.

import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createBroker, JobCancelledError } from '../../src/index.js'
import type { Broker } from '../../src/index.js'
import { ensureBuilt, prepare, start, tempDir, useProcesses } from './durableProcesses.js'
import type { Child } from './durableProcesses.js'

useProcesses()
beforeAll(ensureBuilt, 120_000)

interface Started { seq: number; id: number; attempt: number; at: number }
interface Aborted { seq: number; code: string; at: number }

/** A controlConsumer.mjs process, and what it reported so far. */
function consumer(options: Record<string, unknown>): { child: Child; started: Started[]; aborted: Aborted[] } {
  const child = start('controlConsumer.mjs', { channel: 'jobs', ...options })
  const started: Started[] = []
  const aborted: Aborted[] = []
  child.process.on('message', (message: { started?: Started; aborted?: Aborted }) => {
    if (message.started) started.push(message.started)
    if (message.aborted) aborted.push(message.aborted)
  })
  return { child, started, aborted }
}

let broker: Broker | undefined
const brokers = (path: string): Broker => (broker = createBroker({ path }))

describe('job control across processes', () => {
  afterEach(async () => {
    await broker?.close()
    broker = undefined
  })

  it('aborts a job running in another process within a second of its cancel here, and never retries it', async () => {
    const path = prepare(tempDir(), 0, { maxAttempts: 3, backoff: { initialMs: 1, maxMs: 1 } })
    const remote = consumer({ path, handler: true })
    await remote.child.ready
    const here = brokers(path)
    // This process has no handler: the other one runs the job, this one waits for its outcome.
    const result = here.createRenderer().ipcRenderer.invoke('jobs', { seq: 1, untilAborted: true })
    await expect.poll(() => remote.started.length, { timeout: 5000 }).toBe(1)
    const { id } = remote.started[0]!
    const cancelledAt = Date.now()
    expect(here.cancel(id)).toBe(true)

    const error = await result.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(JobCancelledError)
    await expect.poll(() => remote.aborted, { timeout: 2000, interval: 10 }).toEqual([expect.objectContaining({ seq: 1, code: 'ERR_JOB_CANCELLED' })])
    const abortedAfter = remote.aborted[0]!.at - cancelledAt
    expect(abortedAfter).toBeLessThan(1000)

    // The handler returned after the abort: nothing of it was stored, and it never ran again.
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(remote.started).toHaveLength(1)
    expect(here.jobResult(id)).toMatchObject({ ok: false, error: { code: 'ERR_JOB_CANCELLED' } })
    expect(here.channel('jobs').stats()).toMatchObject({ ready: 0, delayed: 0, inFlight: 0, dead: 0 })
    console.info(`cancel across processes: aborted ${abortedAfter} ms after the cancel`)
  })

  it('stops a consumer in another process from starting its claimed batch within a second of a pause here', async () => {
    const count = 300
    const path = prepare(tempDir(), count)
    // A few quick deliveries first, so that its next claim takes a batch ahead; then 250 ms each.
    const remote = consumer({ path, slowFrom: 5, slowMs: 250 })
    await remote.child.ready
    await expect.poll(() => remote.started.length, { timeout: 5000, interval: 5 }).toBeGreaterThanOrEqual(6)
    const here = brokers(path)
    // The batch it holds beside the one delivery running: over 1.5 s of work, were it started.
    const claimedAhead = here.channel('jobs').stats().inFlight - 1
    expect(claimedAhead).toBeGreaterThanOrEqual(6)

    here.channel('jobs').pause()
    const pausedAt = Date.now()
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const afterPause = remote.started.filter((s) => s.at > pausedAt)
    expect(afterPause.every((s) => s.at - pausedAt < 1000)).toBe(true)
    expect(afterPause.length).toBeLessThanOrEqual(4) // at 250 ms each
    const stats = here.channel('jobs').stats()
    expect(stats.inFlight).toBe(0) // the batch was handed back, the last delivery finished
    expect(stats.ready).toBe(count - remote.started.length)
    const startedWhilePaused = remote.started.length

    remote.child.process.send('fast')
    here.channel('jobs').resume()
    await expect.poll(() => remote.started.length, { timeout: 60_000, interval: 50 }).toBe(count)
    expect(new Set(remote.started.map((s) => s.seq)).size).toBe(count)
    expect(remote.started.every((s) => s.attempt === 1)).toBe(true)
    console.info(`pause across processes: ${afterPause.length} started after the pause (the last ${Math.max(0, ...afterPause.map((s) => s.at - pausedAt))} ms after it), ${claimedAhead} claimed ahead, ${count - startedWhilePaused} waiting while paused`)
  }, 90_000)
})
