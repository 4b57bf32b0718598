// Helpers of the durable multi-process tests: the built package the fixtures import (rebuilt when
// src is newer), child processes that are always reaped, and the delivery logs they write.

import { execFileSync, fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { afterEach } from 'vitest'
import { createBroker } from '../../src/index.js'

const root = fileURLToPath(new URL('../../', import.meta.url))

function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs)
  }
  return newest
}

/**
 * Makes sure dist/ (what the fixtures import as 'durable-ipc') exists: `npm test` builds first
 * (pretest), a bare `vitest run` may not have. Only a missing build is built here: rebuilding a
 * stale one would rewrite files that other test files' processes (worker fixtures) may be
 * loading at that moment; a stale one gets a warning instead. A lock directory keeps two test
 * files from building at once.
 */
export async function ensureBuilt(): Promise<void> {
  const lock = join(root, 'dist', '.durable-e2e-build.lock')
  const built = join(root, 'dist', 'index.js')
  const missing = (): boolean => !existsSync(built)
  if (!missing()) {
    if (statSync(built).mtimeMs < newestMtime(join(root, 'src'))) {
      console.warn('durable e2e: dist/ is older than src/, so the child processes run the old build; `npm test` (or `npm run build`) rebuilds it')
    }
    return
  }
  mkdirSync(join(root, 'dist'), { recursive: true })
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  try {
    if (missing()) execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
  } finally {
    rmdirSync(lock)
  }
}

export interface Child {
  process: ChildProcess
  pid: number
  /** Resolves when the fixture said it is ready. */
  ready: Promise<void>
  /** Resolves when the process has exited (and was reaped). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Everything it wrote to stderr so far. */
  stderr(): string
}

const children = new Set<Child>()
const dirs: string[] = []

/** Registers the cleanup: every child still running is killed and reaped, temp dirs removed. */
export function useProcesses(): void {
  afterEach(async () => {
    const running = [...children]
    children.clear()
    for (const child of running) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL')
    await Promise.all(running.map((c) => c.exited))
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })
}

/** A fresh temp directory, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'durable-ipc-e2e-'))
  dirs.push(dir)
  return dir
}

/** Starts fixtures/<name> in a new node process with `options` as its JSON argument. */
export function start(name: string, options: Record<string, unknown>): Child {
  const script = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))
  const child = fork(script, [JSON.stringify(options)], { cwd: root, execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (message: { ready?: boolean }) => {
      if (message?.ready) resolve()
    })
    void exited.then(({ code, signal }) => reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${stderr}`)))
  })
  ready.catch(() => {}) // a test that never awaits it must not fail on an unhandled rejection
  const entry: Child = { process: child, pid: child.pid!, ready, exited, stderr: () => stderr }
  children.add(entry)
  return entry
}

/** Kills with SIGKILL and waits until the process is gone. */
export async function killHard(child: Child): Promise<number> {
  child.process.kill('SIGKILL')
  await child.exited
  return Date.now()
}

/** What a forwarding node (fixtures/forwardingNode.mjs) says when asked { report: true }. */
export interface NodeReport {
  sent: number
  errors: number
  /** Since the previous report. */
  maxSendMs: number
  /** Since the previous report. */
  maxStallMs: number
  outbox?: { pending: number; oldestAgeMs: number | null; reachable: boolean }
}

/** Asks a forwarding node for its report. */
export function report(child: Child): Promise<NodeReport> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { report?: NodeReport }): void => {
      if (message?.report === undefined) return
      child.process.off('message', onMessage)
      resolve(message.report)
    }
    child.process.on('message', onMessage)
    void child.exited.then(() => reject(new Error(`the node exited before it reported:\n${child.stderr()}`)))
    child.process.send({ report: true })
  })
}

/** Every node's report, in order. */
export function reports(nodes: readonly Child[]): Promise<NodeReport[]> {
  return Promise.all(nodes.map(report))
}

/** One delivery as a consumer fixture logged it. */
export interface Delivery {
  pid: number
  seq: number
  attempt: number
  at: number
}

/** The deliveries in a consumer log (a line cut short by a kill is skipped). */
export function readDeliveries(log: string): Delivery[] {
  if (!existsSync(log)) return []
  return readFileSync(log, 'utf8')
    .split('\n')
    .map((line) => line.split(' ').map(Number))
    .filter((parts) => parts.length === 4 && parts.every(Number.isFinite))
    .map(([pid, seq, attempt, at]) => ({ pid: pid!, seq: seq!, attempt: attempt!, at: at! }))
}

/** The seqs in a producer log: each one stored before it was written there. */
export function readSent(log: string): number[] {
  if (!existsSync(log)) return []
  return readFileSync(log, 'utf8').split('\n').filter((line) => /^\d+$/.test(line)).map(Number)
}

/** The seqs of `sent` not delivered yet (not in `deliveredLog`). */
export function undelivered(sent: readonly number[], deliveredLog: string): number[] {
  const delivered = countBySeq(readDeliveries(deliveredLog))
  return sent.filter((seq) => !delivered.has(seq))
}

/** How many times each seq occurs. */
export function countBySeq(deliveries: readonly Delivery[]): Map<number, number> {
  const counts = new Map<number, number>()
  for (const d of deliveries) counts.set(d.seq, (counts.get(d.seq) ?? 0) + 1)
  return counts
}

/** A file in `dir` with the `jobs` channel declared, and `count` messages `{ seq }` stored in one transaction. */
export function prepare(dir: string, count: number, channelOptions: Record<string, unknown> = {}): string {
  const path = join(dir, 'queue.db')
  const db = new Database(path)
  const broker = createBroker({ database: db })
  broker.channel('jobs', { durable: true, ...channelOptions })
  // The outbox makes the whole backlog appear at once: the first claimer sees all of it.
  db.transaction(() => {
    for (let seq = 0; seq < count; seq++) broker.enqueue('jobs', [{ seq }])
  })()
  void broker.close()
  db.close()
  return path
}
