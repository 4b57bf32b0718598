// Durable invoke, the job queue (issue 4, point 10): the request is stored, the handler's result
// or error is stored, the caller's promise settles from it, broker.jobResult(id) reads it, and a
// request stored without a result is run (again) after a restart.

import { describe, expect, it } from 'vitest'
import { InvalidArgumentError, InvokeTimeoutError } from '../../src/index.js'
import { Counter, dbPath, deferred, openBroker, storedMessages, thrown, useDurableFixtures } from './durableHelpers.js'

useDurableFixtures()

describe('durable invoke', () => {
  it('stores the request, settles the caller from the stored result, and keeps the result by id', async () => {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('add', { durable: true })
    const seen = new Counter<number>()
    const gate = deferred()
    broker.ipcMain.handle('add', async (event, a: number, b: number) => {
      seen.push(event.messageId!)
      await gate.promise
      return a + b
    })
    const result = broker.createRenderer().ipcRenderer.invoke('add', 2, 3)
    await seen.reach(1)
    const id = seen.items[0]!
    expect(storedMessages(path, 'add').map((m) => m.id)).toEqual([id])
    expect(broker.jobResult(id)).toBeUndefined()
    gate.resolve()
    await expect(result).resolves.toBe(5)
    expect(broker.jobResult(id)).toEqual({ ok: true, value: 5 })
    expect(storedMessages(path, 'add')).toEqual([])
  })

  it('stores a handler error after maxAttempts; the caller rejects with Electron’s message', async () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('work', { durable: true, maxAttempts: 2, backoff: { initialMs: 1, maxMs: 2 } })
    const attempts = new Counter<[number, number]>()
    broker.ipcMain.handle('work', (event) => {
      attempts.push([event.messageId!, event.attempt])
      throw Object.assign(new RangeError('too big'), { code: 'E_BIG' })
    })
    const err = await broker.createRenderer().ipcRenderer.invoke('work').catch((e: unknown) => e as Error & { code?: unknown })
    expect(err.message).toBe("Error invoking remote method 'work': RangeError: too big")
    expect(err.code).toBe('E_BIG')
    expect(attempts.items.map(([, attempt]) => attempt)).toEqual([1, 2])
    const stored = broker.jobResult(attempts.items[0]![0])
    expect(stored?.ok).toBe(false)
    expect(stored?.ok === false && stored.error.message).toBe(`Job ${attempts.items[0]![0]} failed: RangeError: too big`)
    expect(stored?.ok === false && (stored.error as Error & { code?: unknown }).code).toBe('E_BIG')
    // A job that used up its attempts is a dead letter too, listed like any other.
    const dead = broker.channel('work').deadLetters()
    expect(dead.map((d) => [d.id, d.attempts])).toEqual([[attempts.items[0]![0], 2]])
    expect(dead[0]!.lastError).toMatch(/^RangeError: too big/)
  })

  it('runs the handler again after a restart for a request stored without a result', async () => {
    const path = dbPath()
    const first = openBroker({ path, closeTimeoutMs: 50 })
    first.channel('render', { durable: true, leaseMs: 300 })
    const started = new Counter<number>()
    first.ipcMain.handle('render', (event) => {
      started.push(event.messageId!)
      return new Promise(() => {}) // the process goes down before this finishes
    })
    const caller = first.createRenderer().ipcRenderer.invoke('render', 'page-1')
    await started.reach(1)
    await first.close()
    await expect(caller).rejects.toMatchObject({ code: 'ERR_BROKER_CLOSED', message: expect.stringMatching(/closed before the job settled/) })
    const id = started.items[0]!

    const second = openBroker({ path })
    // close() gave up on the delivery and handed it back at once, its attempt counted.
    const rerun = new Counter<[number, number, string]>()
    second.ipcMain.handle('render', (event, page: string) => {
      rerun.push([event.messageId!, event.attempt, page])
      return `<html>${page}</html>`
    })
    await expect.poll(() => second.jobResult(id)).toEqual({ ok: true, value: '<html>page-1</html>' })
    expect(rerun.items).toEqual([[id, 2, 'page-1']])
  })

  it('runs a stored request that waited for a handler once one is registered after a restart', async () => {
    const path = dbPath()
    const first = openBroker({ path })
    first.channel('job', { durable: true })
    const caller = first.createRenderer().ipcRenderer.invoke('job', 7)
    await first.close()
    await expect(caller).rejects.toThrow()
    const [stored] = storedMessages(path, 'job')
    expect(stored).toBeDefined()

    const second = openBroker({ path })
    second.ipcMain.handle('job', (event, n: number) => ({ doubled: n * 2, attempt: event.attempt }))
    await expect.poll(() => second.jobResult(stored!.id)).toEqual({ ok: true, value: { doubled: 14, attempt: 1 } })
  })

  it('runs broker.enqueue on a channel with a handler as a job whose result jobResult returns', async () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('resize', { durable: true })
    broker.ipcMain.handle('resize', (_event, w: number, h: number) => w * h)
    const { id } = broker.enqueue('resize', [3, 4])
    await expect.poll(() => broker.jobResult(id)).toEqual({ ok: true, value: 12 })
  })

  it('stores an uncloneable result as the job’s failure', async () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('bad', { durable: true, maxAttempts: 1 })
    broker.ipcMain.handle('bad', () => ({ fn: () => 1 }))
    const err = await broker.createRenderer().ipcRenderer.invoke('bad').catch((e: unknown) => e as Error)
    expect(err.message).toMatch(/^Error invoking remote method 'bad': .*could not be cloned/)
  })

  it('returns undefined for an id with no stored result, and refuses an id that is not an integer', () => {
    const broker = openBroker({ path: dbPath() })
    expect(broker.jobResult(123456)).toBeUndefined()
    expect(thrown(() => broker.jobResult(1.5))).toBeInstanceOf(InvalidArgumentError)
    expect(thrown(() => broker.jobResult('1' as never))).toBeInstanceOf(InvalidArgumentError)
  })
})

describe('durable invoke and invokeTimeoutMs', () => {
  it('stops the caller waiting, keeps the job, and runs it when a handler comes', async () => {
    const broker = openBroker({ path: dbPath(), invokeTimeoutMs: 50 })
    broker.channel('slow', { durable: true })
    const win = broker.createRenderer()
    const started = Date.now()
    const error = await win.ipcRenderer.invoke('slow', 2).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(InvokeTimeoutError)
    expect(Date.now() - started).toBeGreaterThanOrEqual(45)
    expect(broker.channel('slow').stats().ready).toBe(1)
    const ran = deferred<number>()
    broker.ipcMain.handle('slow', (_event, n: number) => {
      ran.resolve(n)
      return n * 2
    })
    expect(await ran.promise).toBe(2)
  })

  it('keeps job results for jobResultRetentionMs (default 7 days), then deletes them, never reusing their ids', async () => {
    const path = dbPath()
    const first = openBroker({ path })
    first.channel('add', { durable: true })
    first.ipcMain.handle('add', (_event, a: number, b: number) => a + b)
    const { id } = first.enqueue('add', [1, 2])
    await expect.poll(() => first.jobResult(id)).toEqual({ ok: true, value: 3 })
    await first.close()

    // The default keeps it; a retention it has outlived deletes it when the store opens.
    const kept = openBroker({ path })
    expect(kept.jobResult(id)).toEqual({ ok: true, value: 3 })
    await kept.close()
    await new Promise((resolve) => setTimeout(resolve, 20))
    const pruned = openBroker({ path, jobResultRetentionMs: 10 })
    pruned.channel('add')
    expect(pruned.jobResult(id)).toBeUndefined()
    // The id stays used: the next message gets a higher one.
    expect(pruned.enqueue('add', [2, 2]).id).toBeGreaterThan(id)
  })

  it('refuses a jobResultRetentionMs that is not a non-negative integer or Infinity', () => {
    for (const bad of [-1, 1.5, Number.NaN, '1000']) {
      expect(() => openBroker({ jobResultRetentionMs: bad as number })).toThrow(InvalidArgumentError)
    }
    expect(() => openBroker({ jobResultRetentionMs: Infinity })).not.toThrow()
  })
})

