// Retries and dead letters (issue 4, point 4): exponential back-off with jitter inside its bounds,
// the dead-letter queue with the last error, and replay / purge by id or all at once.

import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../../src/index.js'
import { Counter, dbPath, openBroker, thrown, useDurableFixtures } from './durableHelpers.js'

useDurableFixtures()

/** A channel whose listener fails every time; resolves when `count` messages are dead. */
function failingChannel(options: { maxAttempts: number; count?: number }) {
  const path = dbPath()
  const broker = openBroker({ path })
  const handle = broker.channel('jobs', { durable: true, maxAttempts: options.maxAttempts, backoff: { initialMs: 1, maxMs: 2 } })
  const attempts = new Counter<[unknown, number]>()
  broker.ipcMain.on('jobs', (event, value: unknown) => {
    attempts.push([value, event.attempt])
    throw new TypeError(`bad value ${String(value)}`)
  })
  return { path, broker, handle, attempts }
}

describe('retries', () => {
  it('waits initialMs * 2^(attempt-1), capped at maxMs, drawn from the upper half (equal jitter)', async () => {
    const broker = openBroker({ path: dbPath() })
    const initialMs = 40
    const maxMs = 100
    broker.channel('jobs', { durable: true, maxAttempts: 4, concurrency: 8, backoff: { initialMs, maxMs } })
    const times = new Map<number, number[]>()
    const all = new Counter()
    broker.ipcMain.on('jobs', (_e, n: number) => {
      times.set(n, [...(times.get(n) ?? []), performance.now()])
      all.push(n)
      throw new Error('again')
    })
    const messages = 8
    for (let n = 0; n < messages; n++) broker.enqueue('jobs', [n])
    await all.reach(messages * 4)
    const gaps: number[][] = [[], [], []]
    for (const stamps of times.values()) stamps.slice(1).forEach((t, i) => gaps[i]!.push(t - stamps[i]!))
    // Ceilings 40, 80, min(160, 100); each delay lies in [ceiling / 2, ceiling]. Timers never fire
    // early; they may fire late on a loaded machine, hence the slack above.
    const ceilings = [40, 80, 100]
    gaps.forEach((list, i) => {
      expect(Math.min(...list)).toBeGreaterThanOrEqual(ceilings[i]! / 2 - 2)
      expect(Math.max(...list)).toBeLessThanOrEqual(ceilings[i]! + 60)
    })
    // Jitter: the eight delays after one same attempt are not all alike.
    const spread = (list: number[]): number => Math.max(...list) - Math.min(...list)
    expect(Math.max(...gaps.map(spread))).toBeGreaterThan(4)
  })

  it('does not hold up the messages behind a failing one while it backs off', async () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true, backoff: { initialMs: 200, maxMs: 200 } })
    const got = new Counter<string>()
    broker.ipcMain.on('jobs', (event, v: string) => {
      got.push(`${v}${event.attempt}`)
      if (v === 'bad' && event.attempt === 1) throw new Error('later')
    })
    broker.enqueue('jobs', ['bad'])
    broker.enqueue('jobs', ['good'])
    await got.reach(3)
    expect(got.items).toEqual(['bad1', 'good1', 'bad2'])
  })
})

describe('dead letters', () => {
  it('moves a message that used up maxAttempts to the dead letters with its last error', async () => {
    const { broker, handle, attempts } = failingChannel({ maxAttempts: 3 })
    const before = Date.now()
    const { id } = broker.enqueue('jobs', ['x'])
    await expect.poll(() => handle.stats().dead).toBe(1)
    expect(attempts.items).toEqual([['x', 1], ['x', 2], ['x', 3]])
    const [dead, ...rest] = handle.deadLetters()
    expect(rest).toEqual([])
    expect(dead).toMatchObject({ id, args: ['x'], attempts: 3, subscription: 'main' })
    // Message and stack, as one string.
    expect(dead!.lastError).toMatch(/^TypeError: bad value x\n\s+at /)
    expect(dead!.createdAt).toBeInstanceOf(Date)
    expect(dead!.failedAt.getTime()).toBeGreaterThanOrEqual(before)
    expect(handle.stats()).toMatchObject({ ready: 0, delayed: 0, inFlight: 0, dead: 1 })
  })

  it('stores what a listener threw that is not an Error as its string form', async () => {
    const broker = openBroker({ path: dbPath() })
    const handle = broker.channel('jobs', { durable: true, maxAttempts: 1 })
    broker.ipcMain.on('jobs', async () => Promise.reject('plain reason'))
    broker.enqueue('jobs', [])
    await expect.poll(() => handle.stats().dead).toBe(1)
    expect(handle.deadLetters()[0]!.lastError).toBe('plain reason')
  })

  it('keeps a thrown object readable: JSON where it can be, never [object Object]', async () => {
    const broker = openBroker({ path: dbPath() })
    const handle = broker.channel('jobs', { durable: true, maxAttempts: 1 })
    const cyclic: Record<string, unknown> = { code: 'E_LOOP' }
    cyclic.self = cyclic
    broker.ipcMain.on('jobs', (_event, n: number) => {
      throw n === 0 ? { code: 'E_QUOTA', limit: 5 } : cyclic
    })
    broker.enqueue('jobs', [0])
    broker.enqueue('jobs', [1])
    await expect.poll(() => handle.stats().dead).toBe(2)
    const [first, second] = handle.deadLetters().map((d) => d.lastError)
    expect(first).toBe('Thrown value (not an Error): {"code":"E_QUOTA","limit":5}')
    expect(second).toMatch(/^Thrown value \(not an Error\): <ref \*1> \{ code: 'E_LOOP', self: \[Circular \*1\] \}$/)
  })

  it('replays dead letters by id: back in the queue with fresh attempts', async () => {
    const { broker, handle, attempts } = failingChannel({ maxAttempts: 1 })
    const a = broker.enqueue('jobs', ['a']).id
    const b = broker.enqueue('jobs', ['b']).id
    await expect.poll(() => handle.stats().dead).toBe(2)
    broker.ipcMain.removeAllListeners('jobs')
    expect(handle.replay([b])).toBe(1)
    expect(handle.deadLetters().map((d) => d.id)).toEqual([a])
    expect(handle.stats().ready).toBe(1)
    const again = new Counter<[string, number]>()
    broker.ipcMain.on('jobs', (event, v: string) => again.push([v, event.attempt]))
    await again.reach(1)
    expect(again.items).toEqual([['b', 1]])
    expect(attempts.items).toEqual([['a', 1], ['b', 1]])
  })

  it('replays every dead letter in its original order and wakes the listener', async () => {
    const { broker, handle } = failingChannel({ maxAttempts: 1 })
    for (const v of ['a', 'b', 'c']) broker.enqueue('jobs', [v])
    await expect.poll(() => handle.stats().dead).toBe(3)
    broker.ipcMain.removeAllListeners('jobs')
    const got = new Counter<string>()
    broker.ipcMain.on('jobs', (_e, v: string) => got.push(v))
    expect(handle.replay()).toBe(3)
    await got.reach(3)
    expect(got.items).toEqual(['a', 'b', 'c'])
    expect(handle.deadLetters()).toEqual([])
  })

  it('purges dead letters by id, or all of them', async () => {
    const { broker, handle } = failingChannel({ maxAttempts: 1 })
    const ids = ['a', 'b', 'c'].map((v) => broker.enqueue('jobs', [v]).id)
    await expect.poll(() => handle.stats().dead).toBe(3)
    expect(handle.purgeDeadLetters([ids[1]!])).toBe(1)
    expect(handle.deadLetters().map((d) => d.args[0])).toEqual(['a', 'c'])
    expect(handle.purgeDeadLetters([ids[1]!])).toBe(0)
    expect(handle.purgeDeadLetters()).toBe(2)
    expect(handle.deadLetters()).toEqual([])
    expect(handle.replay()).toBe(0)
  })

  it('keeps dead letters across a restart', async () => {
    const { path, broker, handle } = failingChannel({ maxAttempts: 1 })
    broker.enqueue('jobs', [{ deep: [1, 2] }])
    await expect.poll(() => handle.stats().dead).toBe(1)
    await broker.close()
    const reopened = openBroker({ path })
    const [dead] = reopened.channel('jobs').deadLetters()
    expect(dead).toMatchObject({ args: [{ deep: [1, 2] }], attempts: 1 })
    expect(dead!.lastError).toContain('TypeError: bad value [object Object]')
  })

  it('refuses ids that are not an array of integers', () => {
    const broker = openBroker({ path: dbPath() })
    const handle = broker.channel('jobs', { durable: true })
    expect(thrown(() => handle.replay([1.5]))).toBeInstanceOf(InvalidArgumentError)
    expect(thrown(() => handle.purgeDeadLetters('all' as never))).toBeInstanceOf(InvalidArgumentError)
    expect(thrown(() => handle.deadLetters([Number.NaN]))).toBeInstanceOf(InvalidArgumentError)
  })
})
