// A durable channel's timeoutMs and event.signal, in real time: an attempt that runs too long fails
// with JobTimeoutError (its signal aborted; retried, or stored as a handler job's failure), a late
// answer is ignored, and close() that gives up on a delivery aborts its signal with
// BrokerClosedError. Exact timing is tested on a simulated clock (test/actors/durable/).

import { describe, expect, it } from 'vitest'
import { BrokerClosedError, JobTimeoutError } from '../../src/index.js'
import { Counter, dbPath, deferred, openBroker, storedMessages, useDurableFixtures } from './durableHelpers.js'

useDurableFixtures()

const aborted = (signal: AbortSignal): Promise<unknown> =>
  new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }))

describe('timeoutMs', () => {
  it('fails an attempt that runs too long, aborts its signal, and retries it', async () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true, timeoutMs: 100, backoff: { initialMs: 1, maxMs: 1 } })
    const attempts = new Counter<{ attempt: number; ranMs: number; reason: unknown }>()
    broker.ipcMain.on('jobs', async (event) => {
      if (event.attempt > 1) return attempts.push({ attempt: event.attempt, ranMs: 0, reason: undefined })
      const started = Date.now()
      const reason = await aborted(event.signal)
      attempts.push({ attempt: event.attempt, ranMs: Date.now() - started, reason })
    })
    broker.enqueue('jobs', ['slow'])
    await attempts.reach(2)
    // The retry may start before the first attempt's abort handler has run: find each by what it saw.
    const first = attempts.items.find((a) => a.reason !== undefined)
    const second = attempts.items.find((a) => a.reason === undefined)
    expect(first!.reason).toBeInstanceOf(JobTimeoutError)
    expect(first!.reason).toMatchObject({ code: 'ERR_JOB_TIMEOUT', timeoutMs: 100 })
    expect(first!.attempt).toBe(1)
    expect(first!.ranMs).toBeGreaterThanOrEqual(95) // timers may fire a millisecond early
    expect(second!.attempt).toBe(2)
    await expect.poll(() => broker.channel('jobs').stats().ready + broker.channel('jobs').stats().inFlight).toBe(0)
  })

  it('ignores the late answer of a listener that ignores its signal: the attempt counts as failed', async () => {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('jobs', { durable: true, maxAttempts: 2, timeoutMs: 50, backoff: { initialMs: 60_000, maxMs: 60_000 } })
    const late = deferred()
    const seen = new Counter<number>()
    broker.ipcMain.on('jobs', async (event) => {
      seen.push(event.attempt)
      await late.promise // answers only once the test lets it, past the timeout
    })
    broker.enqueue('jobs', ['x'])
    await seen.reach(1)
    await expect.poll(() => storedMessages(path, 'jobs')[0]?.attempts === 1 && broker.channel('jobs').stats().delayed === 1).toBe(true)
    late.resolve()
    await new Promise((resolve) => setTimeout(resolve, 50))
    // Still waiting for its retry (a minute away): the late success did not acknowledge it.
    expect(storedMessages(path, 'jobs')).toHaveLength(1)
    expect(broker.channel('jobs').stats()).toMatchObject({ delayed: 1, inFlight: 0, dead: 0 })
  })

  it('stores a handler job’s timeout as its failure: the invoke caller rejects with its code', async () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('resize', { durable: true, maxAttempts: 1, timeoutMs: 50 })
    broker.ipcMain.handle('resize', (event) => aborted(event.signal).then(() => 'too late'))
    const error = await broker.createRenderer().ipcRenderer.invoke('resize').catch((e: unknown) => e as Error & { code?: unknown })
    expect(error.code).toBe('ERR_JOB_TIMEOUT')
    expect(error.name).toBe('JobTimeoutError')
    expect(error.message).toMatch(/^Error invoking remote method 'resize': JobTimeoutError: Job \d+ timed out after 50 ms/)
    const [dead] = broker.channel('resize').deadLetters()
    expect(dead?.lastError).toMatch(/^JobTimeoutError: Job \d+ timed out after 50 ms/)
    expect(broker.jobResult(dead!.id)).toMatchObject({ ok: false, error: { code: 'ERR_JOB_TIMEOUT' } })
  })
})

describe('event.signal', () => {
  it('is aborted with BrokerClosedError when close() gives up on the delivery', async () => {
    const broker = openBroker({ path: dbPath(), closeTimeoutMs: 30 })
    broker.channel('jobs', { durable: true })
    const signals = new Counter<AbortSignal>()
    broker.ipcMain.on('jobs', (event) => {
      signals.push(event.signal)
      return new Promise(() => {}) // never settles
    })
    broker.enqueue('jobs', [1])
    await signals.reach(1)
    await broker.close()
    expect(signals.items[0]!.reason).toBeInstanceOf(BrokerClosedError)
  })

  it('is one signal per delivery, shared by the listeners of a message, and never aborted for a quick one', async () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true })
    const signals = new Counter<AbortSignal>()
    broker.ipcMain.on('jobs', (event) => void signals.push(event.signal))
    broker.ipcMain.on('jobs', (event) => void signals.push(event.signal))
    broker.enqueue('jobs', [1])
    broker.enqueue('jobs', [2])
    await signals.reach(4)
    const [a, b, c, d] = signals.items
    expect(a).toBe(b)
    expect(c).toBe(d)
    expect(a).not.toBe(c)
    expect(signals.items.every((s) => !s.aborted)).toBe(true)
  })

  it('never aborts on a transient channel, and progress there does nothing', async () => {
    const broker = openBroker()
    const events = new Counter<{ signal: AbortSignal; same: boolean; progress: unknown }>()
    broker.ipcMain.on('ping', (event) => {
      events.push({ signal: event.signal, same: event.signal === event.signal, progress: event.progress(() => 'not cloneable') })
    })
    broker.ipcMain.handle('add', (event, a: number, b: number) => {
      event.progress({ half: true })
      return event.signal.aborted ? -1 : a + b
    })
    const win = broker.createRenderer()
    win.ipcRenderer.send('ping')
    await events.reach(1)
    expect(events.items[0]).toMatchObject({ same: true, progress: undefined })
    expect(events.items[0]!.signal.aborted).toBe(false)
    await expect(win.ipcRenderer.invoke('add', 1, 2)).resolves.toBe(3)
  })
})
