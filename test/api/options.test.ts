// Unknown option keys (issue "trust:", point 4) and out-of-range delays (point 10d): every options
// object refuses a key it does not know, names it and what was probably meant, and a refused call
// leaves nothing behind: no file, no declaration, no stored message, no renderer.

import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createBroker, InvalidArgumentError, UnknownChannelError } from '../../src/index.js'
import { connect, dbPath, openBroker, storedMessages, useDurableFixtures } from './durableHelpers.js'
import { thrown } from './helpers.js'

useDurableFixtures()

/** Options as a JavaScript caller (or a spread of a wider object) passes them: unchecked by the compiler. */
const loose = (options: Record<string, unknown>): never => options as never

function expectRefused(err: Error & { code?: unknown }, ...parts: string[]): void {
  expect(err).toBeInstanceOf(InvalidArgumentError)
  expect(err.code).toBe('ERR_INVALID_ARGUMENT')
  for (const part of parts) expect(err.message).toContain(part)
}

describe('createBroker', () => {
  it.each([
    ['file', 'path'],
    ['filename', 'path'],
    ['filePath', 'path'],
    ['db', 'path'],
    ['pth', 'path'],
    ['PATH', 'path'],
    ['busyTimeout', 'busyTimeoutMs'],
    ['close_timeout_ms', 'closeTimeoutMs'],
    ['sync', 'synchronous'],
    ['inspector', 'inspect'],
  ])("refuses '%s', suggesting '%s', and creates no file", (key, suggestion) => {
    const path = dbPath()
    const err = thrown(() => createBroker(loose({ [key]: path })))
    expectRefused(err, `Unknown option '${key}' in createBroker options`, `did you mean '${suggestion}'?`)
    expect(existsSync(path)).toBe(false)
  })

  it('refuses an unknown key next to a valid path, before opening it', () => {
    const path = dbPath()
    const err = thrown(() => createBroker(loose({ path, file: 'other.db' })))
    expect(err.message).toBe("Unknown option 'file' in createBroker options: did you mean 'path'?")
    expect(existsSync(path)).toBe(false)
  })

  it('suggests database for a handle given as db', () => {
    const db = connect(dbPath())
    expectRefused(thrown(() => createBroker(loose({ db }))), "Unknown option 'db'", "did you mean 'database'?")
  })

  it('refuses a key whose value is undefined: { file: process.env.DB } is the same mistake', () => {
    expectRefused(thrown(() => createBroker(loose({ file: undefined }))), "Unknown option 'file'")
  })

  it('lists the known options when nothing is close', () => {
    const err = thrown(() => createBroker(loose({ verbose: true })))
    expect(err.message).toBe(
      "Unknown option 'verbose' in createBroker options (known options: path, database, postgres, synchronous, busyTimeoutMs, closeTimeoutMs, jobResultRetentionMs, inspect, invokeTimeoutMs, syncTimeoutMs)",
    )
  })

  it('explains keys that have no counterpart here', () => {
    expectRefused(thrown(() => createBroker(loose({ timeout: 100 }))), "'busyTimeoutMs'", "'invokeTimeoutMs'")
    expectRefused(thrown(() => createBroker(loose({ memory: true }))), 'omit path (and database) for an in-memory database')
  })

  it('keeps the messages of the other checks', () => {
    expect(thrown(() => createBroker(loose({ path: '' }))).message).toBe('Expected path to be a non-empty string')
    expect(thrown(() => createBroker(loose({ synchronous: 'off' }))).message).toBe("Expected synchronous to be 'normal' or 'full'")
  })
})

describe('broker.channel options', () => {
  it.each([
    ['attempts', "did you mean 'maxAttempts'?"],
    ['max_attempts', "did you mean 'maxAttempts'?"],
    ['retryLimit', "did you mean 'maxAttempts'? It counts every attempt"],
    ['retries', "did you mean 'maxAttempts'? It counts every attempt"],
    ['concurency', "did you mean 'concurrency'?"],
    ['leaseMS', "did you mean 'leaseMs'?"],
    ['lockDuration', "did you mean 'leaseMs'?"],
    ['maxdepth', "did you mean 'maxDepth'?"],
    ['retryDelay', 'retry delays are backoff: { initialMs, maxMs }'],
    ['priority', 'priority is per job: broker.enqueue(channel, args, { priority })'],
    ['limiter', 'rateLimit: { max, intervalMs }'],
    ['timeout', "did you mean 'timeoutMs'?"],
    ['colour', '(known options: durable, maxAttempts, backoff, concurrency, leaseMs, maxMessageBytes, maxDepth, timeoutMs, rateLimit)'],
  ])("refuses '%s' (%s) and declares nothing", (key, advice) => {
    const path = dbPath()
    const broker = openBroker({ path })
    const err = thrown(() => broker.channel('jobs', loose({ durable: true, [key]: 3 })))
    expectRefused(err, `Unknown option '${key}' in broker.channel() options`, advice)
    expect(thrown(() => broker.channel('jobs'))).toBeInstanceOf(UnknownChannelError)
  })

  it('suggests durable for persistent, before saying only durable channels are declared', () => {
    const broker = openBroker()
    expectRefused(thrown(() => broker.channel('jobs', loose({ persistent: true }))), "Unknown option 'persistent'", "did you mean 'durable'?")
  })

  it.each([
    ['type', "backoff is { initialMs, maxMs }: always exponential", 'there is no type'],
    ['delay', "backoff is { initialMs, maxMs }", "BullMQ's delay is initialMs"],
    ['initialDelay', "did you mean 'initialMs'?", ''],
    ['maxms', "did you mean 'maxMs'?", ''],
  ])("refuses '%s' in the nested backoff", (key, advice, more) => {
    const broker = openBroker({ path: dbPath() })
    const err = thrown(() => broker.channel('jobs', loose({ durable: true, backoff: { [key]: 1000 } })))
    expectRefused(err, `Unknown option '${key}' in the backoff of broker.channel() options`, advice, more)
    expect(thrown(() => broker.channel('jobs'))).toBeInstanceOf(UnknownChannelError)
  })

  it("refuses BullMQ's whole backoff shape on an existing channel, leaving its config as it was", async () => {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('jobs', { durable: true, maxAttempts: 2 })
    expectRefused(thrown(() => broker.channel('jobs', loose({ durable: true, maxAttempts: 9, backoff: { type: 'exponential', delay: 1000 } }))), "Unknown option 'type'")
    await broker.close()
    const row = connect(path).prepare('SELECT config FROM durable_ipc_channels WHERE name = ?').get('jobs') as { config: string }
    expect(JSON.parse(row.config)).toMatchObject({ maxAttempts: 2 })
  })

  it('keeps the messages of the other checks', () => {
    const broker = openBroker()
    expect(thrown(() => broker.channel('jobs', loose({ maxAttempts: 2 }))).message).toBe('Only durable channels are declared: pass { durable: true }')
    expect(thrown(() => broker.channel('jobs', loose({ durable: true, backoff: 5 }))).message).toBe('Expected backoff to be an object')
  })
})

describe('broker.enqueue options', () => {
  function declared() {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('jobs', { durable: true })
    return { broker, path }
  }

  it.each([
    ['delay', "did you mean 'delayMs'?"],
    ['delayms', "did you mean 'delayMs'?"],
    ['startAfter', "did you mean 'runAt' (a Date or epoch ms) or 'delayMs' (ms from now)?"],
    ['delayUntil', "did you mean 'runAt'?"],
    ['jobId', "did you mean 'key'?"],
    ['singletonKey', "did you mean 'key'?"],
    ['idempotencyKey', "did you mean 'key'?"],
    ['unique_key', "did you mean 'key'?"],
    ['keys', "did you mean 'key'?"],
    ['prio', "did you mean 'priority'?"],
    ['attempts', 'attempts and back-off are set per channel: broker.channel(name, { durable: true, maxAttempts, backoff })'],
    ['retryLimit', 'set per channel'],
  ])("refuses '%s' (%s) and stores nothing", (key, advice) => {
    const { broker, path } = declared()
    const err = thrown(() => broker.enqueue('jobs', [1], loose({ [key]: 1000 })))
    expectRefused(err, `Unknown option '${key}' in enqueue options`, advice)
    expect(broker.channel('jobs').stats().ready).toBe(0)
    expect(broker.channel('jobs').stats().delayed).toBe(0)
    expect(storedMessages(path, 'jobs')).toEqual([])
  })

  it.each([
    ['delayMs', { delayMs: 1e20 }, 'Expected delayMs to end at a valid Date (at most 8.64e15 ms after the epoch'],
    ['delayMs', { delayMs: 8.64e15 }, 'Expected delayMs to end at a valid Date'],
    ['runAt', { runAt: 1e20 }, 'Expected runAt to be a valid Date time (at most 8.64e15 ms from the epoch'],
    ['runAt', { runAt: -1e20 }, 'Expected runAt to be a valid Date time'],
    ['runAt', { runAt: new Date(NaN) }, 'Expected runAt to be a valid Date, but found an invalid Date'],
  ])('refuses a %s beyond what a Date holds (%j) and stores nothing', (_name, options, message) => {
    const { broker, path } = declared()
    expectRefused(thrown(() => broker.enqueue('jobs', [1], options)), message)
    expect(storedMessages(path, 'jobs')).toEqual([])
  })

  it('takes the last time a Date holds', () => {
    const { broker } = declared()
    broker.enqueue('jobs', [1], { runAt: 8.64e15 })
    broker.enqueue('jobs', [2], { runAt: new Date(8.64e15) })
    expect(broker.channel('jobs').stats().delayed).toBe(2)
  })
})

describe('createRenderer and spawnRenderer options', () => {
  it.each([
    ['allowList', 'allow'],
    ['allowlist', 'allow'],
    ['channels', 'allow'],
    ['alow', 'allow'],
    ['name', 'id'],
  ])("createRenderer refuses '%s', suggesting '%s', and opens no renderer", (key, suggestion) => {
    const broker = openBroker()
    const err = thrown(() => broker.createRenderer(loose({ id: 'w', [key]: ['ping'] })))
    expectRefused(err, `Unknown option '${key}' in createRenderer options`, `did you mean '${suggestion}'?`)
    expect(broker.createRenderer({ id: 'w' }).id).toBe('w') // the id was never taken
  })

  it.each([
    ['allowList', "did you mean 'allow'?"],
    ['workerdata', "did you mean 'workerData'?"],
    ['data', "did you mean 'workerData'?"],
    ['env', 'spawnRenderer passes no Worker options through but workerData'],
    ['resourceLimits', 'spawnRenderer passes no Worker options through but workerData'],
  ])("spawnRenderer refuses '%s' (%s) and starts no worker", async (key, advice) => {
    const broker = openBroker()
    const script = new URL('data:text/javascript,')
    const err = thrown(() => broker.spawnRenderer(script, loose({ id: 'w', [key]: {} })))
    expectRefused(err, `Unknown option '${key}' in spawnRenderer options`, advice)
    const worker = broker.spawnRenderer(script, { id: 'w' }) // the id was never taken
    await worker.terminate()
  })

  it('keeps the messages of the other checks', () => {
    const broker = openBroker()
    expect(thrown(() => broker.createRenderer(loose({ id: '' }))).message).toBe('Expected renderer id to be a non-empty string, but found an empty string')
    expect(thrown(() => broker.createRenderer(loose({ allow: 'ping' }))).message).toBe('Expected allow to be an array of channel names')
    expect(thrown(() => broker.createRenderer(null as never)).message).toBe('Expected options to be an object')
  })
})
