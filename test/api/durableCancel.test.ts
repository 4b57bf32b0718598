// broker.cancel(id) (the job control plane): a waiting or delayed job never runs; an active one has
// its signal aborted at once with JobCancelledError, is never retried, and its invoke caller and
// jobResult read JobCancelledError; a job that already ended is not cancellable (false, nothing
// changes).

import { describe, expect, it } from 'vitest'
import { BrokerClosedError, InvalidArgumentError, JobCancelledError } from '../../src/index.js'
import { Counter, dbPath, deferred, openBroker, storedMessages, thrown, turns, useDurableFixtures, wait } from './durableHelpers.js'

useDurableFixtures()

/** What broker.jobResult says of each job: ok, failed, cancelled, or nothing stored. */
function outcomeStates(broker: ReturnType<typeof openBroker>, ids: number[]): Array<string | undefined> {
  return ids.map((id) => {
    const result = broker.jobResult(id)
    if (!result) return undefined
    return result.ok ? 'ok' : result.error instanceof JobCancelledError ? 'cancelled' : 'failed'
  })
}

describe('broker.cancel', () => {
  it('cancels waiting and delayed jobs: they never run, the rest do', async () => {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('jobs', { durable: true })
    const waiting = broker.enqueue('jobs', ['waiting']).id
    const delayed = broker.enqueue('jobs', ['delayed'], { delayMs: 50 }).id
    const kept = broker.enqueue('jobs', ['kept']).id
    expect(broker.cancel(waiting)).toBe(true)
    expect(broker.cancel(delayed)).toBe(true)
    const got = new Counter<string>()
    broker.ipcMain.on('jobs', (_event, name: string) => got.push(name))
    await got.reach(1)
    await wait(100) // past the delayed one's time
    expect(got.items).toEqual(['kept'])
    expect(storedMessages(path, 'jobs')).toEqual([])
    expect(outcomeStates(broker, [waiting, delayed, kept])).toEqual(['cancelled', 'cancelled', undefined])
    expect(broker.job(delayed)).toMatchObject({ state: 'cancelled', channel: 'jobs', subscription: 'main', attempts: 0, lastError: null })
    expect(broker.job(kept)).toBeUndefined() // acknowledged
    const outcome = broker.jobResult(waiting)
    expect(outcome?.ok === false && outcome.error).toMatchObject({ code: 'ERR_JOB_CANCELLED', jobId: waiting, message: `Job ${waiting} was cancelled` })
  })

  it('aborts a running listener’s signal at once with JobCancelledError and never retries it', async () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true, maxAttempts: 3, backoff: { initialMs: 1, maxMs: 1 } })
    const started = new Counter<{ id: number; signal: AbortSignal }>()
    const gate = deferred()
    broker.ipcMain.on('jobs', async (event) => {
      started.push({ id: event.messageId!, signal: event.signal })
      await gate.promise
      throw new Error('failed after the cancel')
    })
    const { id } = broker.enqueue('jobs', [1])
    await started.reach(1)
    const { signal } = started.items[0]!
    expect(signal.aborted).toBe(false)
    expect(broker.cancel(id)).toBe(true)
    expect(signal.aborted).toBe(true)
    expect(signal.reason).toBeInstanceOf(JobCancelledError)
    expect(signal.reason).toMatchObject({ code: 'ERR_JOB_CANCELLED', jobId: id })
    gate.resolve()
    await wait(50)
    expect(started.items).toHaveLength(1)
    expect(broker.channel('jobs').deadLetters()).toEqual([])
    expect(broker.channel('jobs').stats()).toMatchObject({ ready: 0, delayed: 0, inFlight: 0, dead: 0 })
    expect(outcomeStates(broker, [id])).toEqual(['cancelled'])
    expect(broker.job(id)).toMatchObject({ state: 'cancelled', attempts: 1 })
    await expect(broker.waitForJob(id)).rejects.toBeInstanceOf(JobCancelledError)
  })

  it('rejects the invoke caller with JobCancelledError; the handler’s late value is not stored', async () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('resize', { durable: true })
    const started = new Counter<number>()
    const gate = deferred()
    broker.ipcMain.handle('resize', async (event) => {
      started.push(event.messageId!)
      await gate.promise
      return 'resized'
    })
    const result = broker.createRenderer().ipcRenderer.invoke('resize', 'img')
    await started.reach(1)
    const id = started.items[0]!
    expect(broker.cancel(id)).toBe(true)
    const error = await result.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(JobCancelledError)
    expect(error).toMatchObject({ code: 'ERR_JOB_CANCELLED', message: `Error invoking remote method 'resize': JobCancelledError: Job ${id} was cancelled` })
    gate.resolve()
    await turns(10)
    expect(outcomeStates(broker, [id])).toEqual(['cancelled'])
    expect(broker.cancel(id)).toBe(false)
  })

  it('lets the next message start once a running one is cancelled (its slot is free)', async () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true })
    const started = new Counter<string>()
    broker.ipcMain.on('jobs', async (event, name: string) => {
      started.push(name)
      // The first never ends by itself.
      if (name === 'stuck') await new Promise((resolve) => event.signal.addEventListener('abort', resolve))
    })
    const { id } = broker.enqueue('jobs', ['stuck'])
    broker.enqueue('jobs', ['next'])
    await started.reach(1)
    broker.cancel(id)
    await started.reach(2)
    expect(started.items).toEqual(['stuck', 'next'])
  })

  it('drops a cancelled message from the batch its consumer here claimed ahead: it never starts', async () => {
    const broker = openBroker({ path: dbPath() })
    const jobs = broker.channel('jobs', { durable: true })
    const ids = Array.from({ length: 20 }, (_, n) => broker.enqueue('jobs', [n]).id)
    const started = new Counter<number>()
    const gate = deferred()
    broker.ipcMain.on('jobs', async (_event, n: number) => {
      started.push(n)
      if (n === 5) await gate.promise // quick before it, so the consumer claimed the rest ahead
    })
    await started.reach(6)
    expect(jobs.stats().inFlight).toBeGreaterThan(2)
    expect(broker.cancel(ids[7]!)).toBe(true)
    gate.resolve()
    await started.reach(19)
    await wait(20)
    expect(started.items).toEqual(Array.from({ length: 20 }, (_, n) => n).filter((n) => n !== 7))
    expect(broker.job(ids[7]!)?.state).toBe('cancelled')
  })

  it('returns false, changing nothing, for a dead, completed, cancelled or unknown job', async () => {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('work', { durable: true, maxAttempts: 1 })
    broker.ipcMain.handle('work', (_event, fail: boolean) => {
      if (fail) throw new Error('boom')
      return 'done'
    })
    const win = broker.createRenderer()
    await win.ipcRenderer.invoke('work', false)
    await win.ipcRenderer.invoke('work', true).catch(() => {})
    const [dead] = broker.channel('work').deadLetters()
    const completed = dead!.id - 1
    const cancelled = broker.enqueue('work', [false], { delayMs: 60_000 }).id
    broker.cancel(cancelled)
    for (const id of [dead!.id, completed, cancelled, cancelled + 1000]) expect(broker.cancel(id)).toBe(false)
    expect(outcomeStates(broker, [completed, dead!.id, cancelled])).toEqual(['ok', 'failed', 'cancelled'])
    expect(broker.channel('work').deadLetters().map((d) => d.id)).toEqual([dead!.id])
  })

  it('refuses a non-integer id, and any call once the broker is closed', async () => {
    const broker = openBroker({ path: dbPath() })
    expect(thrown(() => broker.cancel(1.5))).toBeInstanceOf(InvalidArgumentError)
    expect(thrown(() => broker.cancel('1' as unknown as number))).toBeInstanceOf(InvalidArgumentError)
    expect(openBroker().cancel(1)).toBe(false) // an in-memory broker that stored nothing
    await broker.close()
    expect(thrown(() => broker.cancel(1))).toBeInstanceOf(BrokerClosedError)
  })
})
