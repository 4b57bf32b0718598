// Shared fixtures of the command-line tests: the real built binary run as a child process,
// databases made by the library in fresh temp dirs, and a consumer running in another process.

import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { createBroker } from '../../src/index.js'

/** The built executable (package.json "bin"): `npm run build` makes it. */
export const cliPath = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))

const children = new Set<ChildProcessWithoutNullStreams>()

/** Registers the checks and cleanups every CLI test file needs; returns a temp path maker. */
export function useCliFixtures(): (name: string) => string {
  const dir = mkdtempSync(join(tmpdir(), 'durable-ipc-cli-'))
  let counter = 0
  beforeAll(() => {
    if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run 'npm run build' before these tests`)
  })
  afterEach(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    children.clear()
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  return (name: string) => join(dir, `${++counter}-${name}`)
}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** A running child process with its output so far, and a way to wait for some of it. */
export interface Running {
  child: ChildProcessWithoutNullStreams
  output(): { stdout: string; stderr: string }
  /** Resolves once stdout (or stderr) matches; rejects if the process ends first. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr'): Promise<RegExpMatchArray>
  exited: Promise<CliResult>
}

/** Starts `command args` with piped streams; killed after the test if still running. */
export function start(command: string, args: readonly string[], options: { cwd?: string } = {}): Running {
  const child = spawn(command, args, { stdio: 'pipe', cwd: options.cwd, env: { ...process.env, NO_COLOR: '1' } })
  children.add(child)
  const out = { stdout: '', stderr: '' }
  const waiters = new Set<() => void>()
  const notify = (): void => {
    for (const w of [...waiters]) w()
  }
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out.stdout += chunk
    notify()
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    out.stderr += chunk
    notify()
  })
  const exited = new Promise<CliResult>((resolve) => {
    child.on('close', (code) => {
      notify()
      resolve({ code, ...out })
    })
  })
  let ended = false
  void exited.then(() => (ended = true))
  return {
    child,
    output: () => ({ ...out }),
    exited,
    waitFor(pattern, stream = 'stdout') {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const match = out[stream].match(pattern)
          if (match) {
            waiters.delete(check)
            resolve(match)
          } else if (ended || child.exitCode !== null) {
            waiters.delete(check)
            reject(new Error(`process ended before ${stream} matched ${pattern}:\n${out.stdout}\n${out.stderr}`))
          }
        }
        waiters.add(check)
        check()
      })
    },
  }
}

/** Runs the CLI to completion. `input` is written to its stdin (which is then closed). */
export async function runCli(args: readonly string[], input?: string): Promise<CliResult> {
  const running = startCli(args)
  running.child.stdin.end(input)
  return running.exited
}

/** Starts the CLI and leaves it running (tail, stats --watch). */
export function startCli(args: readonly string[]): Running {
  return start(process.execPath, [cliPath, ...args])
}

/**
 * Makes a database with the library, as an application would, and closes it: `setup` declares
 * channels, enqueues, and may wait for deliveries.
 */
export async function makeDatabase(path: string, setup: (broker: ReturnType<typeof createBroker>) => void | Promise<void>): Promise<void> {
  const broker = createBroker({ path })
  try {
    await setup(broker)
  } finally {
    await broker.close()
  }
}

/**
 * Adds `count` dead letters to `channel` (declared with maxAttempts 1): each enqueued message's
 * only attempt throws `Error: failed <n>` with a second line.
 */
export async function addDeadLetters(broker: ReturnType<typeof createBroker>, channel: string, count: number, args: (n: number) => unknown[] = (n) => [{ n }]): Promise<void> {
  broker.channel(channel, { durable: true, maxAttempts: 1 })
  for (let n = 0; n < count; n++) broker.enqueue(channel, args(n))
  let failed = 0
  await new Promise<void>((resolve) => {
    broker.ipcMain.on(channel, (_event, ...received: unknown[]) => {
      if (++failed === count) setImmediate(resolve)
      throw new Error(`failed ${JSON.stringify(received)}\n    at somewhere (app.js:1:1)`)
    })
  })
  await waitUntil(() => broker.channel(channel).stats().dead === count)
  broker.ipcMain.removeAllListeners(channel)
}

/**
 * Adds `count` dead letters to `channel` of the database at `path` (made by the library: the
 * channel must be declared) with one SQL statement: ids after the highest in the file, payloads
 * `[{ n }]` with n from 0, as fast as a test needs hundreds of thousands.
 */
export function insertDeadLetters(path: string, channel: string, count: number): void {
  const db = new Database(path)
  try {
    db.prepare(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < @count),
        base(id) AS (SELECT COALESCE(MAX(id), 0) FROM durable_ipc_dead_letters)
      INSERT INTO durable_ipc_dead_letters (id, channel, subscription, kind, payload, attempts, last_error, created_at, failed_at)
      SELECT base.id + 1 + i, @channel, 'main', 'message', '[null,[{"n":' || i || '}]]', 1, 'Error: failed', 1000 + i, 2000 + i
      FROM n, base`).run({ channel, count })
  } finally {
    db.close()
  }
}

/** Polls `predicate` every 10 ms until it holds (at most `timeoutMs`). */
export async function waitUntil(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** The SHA-256 of a file's bytes: equal before and after means the file was not altered. */
export function digest(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

/** A file with the durable channel 'jobs' (maxAttempts 1), consumed by another process (fixtures/consumer.mjs). */
export interface LiveFile {
  path: string
  /** A broker in this process on the file, with no listeners: it only stores. */
  producer: ReturnType<typeof createBroker>
  /** The consumer process: its stdout says `ready`, `done <name>`, `failed <name>`. */
  consumer: Running
}

/**
 * Registers the cleanup of live files (the producer closed, the consumer stopped after each test)
 * and returns their maker.
 *
 * @example
 * const live = useLiveFiles(file)
 * const { path, producer, consumer } = await live('jobs.db')
 */
export function useLiveFiles(file: (name: string) => string): (name: string) => Promise<LiveFile> {
  let current: LiveFile | undefined
  afterEach(async () => {
    if (!current) return
    const { producer, consumer } = current
    current = undefined
    await producer.close()
    if (consumer.child.exitCode === null) {
      consumer.child.kill('SIGTERM')
      await consumer.exited
    }
  })
  return async (name) => {
    const path = file(name)
    await makeDatabase(path, (broker) => void broker.channel('jobs', { durable: true, maxAttempts: 1 }))
    const consumer = start(process.execPath, [fileURLToPath(new URL('./fixtures/consumer.mjs', import.meta.url)), path])
    await consumer.waitFor(/^ready$/m)
    const producer = createBroker({ path })
    producer.channel('jobs', { durable: true, maxAttempts: 1 })
    current = { path, producer, consumer }
    return current
  }
}
