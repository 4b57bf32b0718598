// The main side of the board's reader thread (readerWorker.ts): one worker per board, started at
// the first read, with a read-only connection to the broker's file. Each read is a message and its
// answer (data, or the JSON text a page gets); an error a read throws there (a bad cursor, a busy
// file) comes back as the same class with its code. If the worker cannot start, cannot open the
// file or dies, the reads it had and every later one run on this thread instead: a board never
// stops answering because its helper thread did.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { DurableIpcError, StoreError } from '../errors.js'
import { BoardRequestError } from './errors.js'
import type { BoardReader } from './reader.js'
import type { ReadOp, ReadOps } from './readOps.js'
import { onBoardTime } from './threadTime.js'

/** A read's failure as it crosses threads. */
export interface ReadFailure {
  name: string
  message: string
  code?: string
  status?: number
}

/** What the worker answers: a read's value or failure, by the id of its request. */
export type ReadAnswer = { id: number; value: unknown } | { id: number; failure: ReadFailure }

/** What the worker is sent: a read, or the request to close its connection and end. */
export type ReadRequest = { id: number; op: ReadOp; args: unknown[] } | { close: true }

interface Pending {
  op: ReadOp
  args: unknown[]
  resolve(value: unknown): void
  reject(err: unknown): void
}

let running = 0

/** How many reader threads are running in this process (for tests: one per board reading a file, none after close). */
export function readerThreads(): number {
  return running
}

/**
 * A reader whose reads run in a worker thread over `file`, falling back to `local`; undefined when
 * the worker's script is not there (a copy of the sources without their build).
 *
 * @example
 * const reader = workerReader('/data/app.db', localReader(source)) ?? localReader(source)
 */
export function workerReader(file: string, local: BoardReader): BoardReader | undefined {
  const script = workerScript()
  if (script === undefined) return undefined
  let worker: Worker | undefined
  let failed = false
  let closed = false
  let nextId = 1
  const pending = new Map<number, Pending>()

  // The worker is gone: what it still had to answer, and everything after, runs here.
  const fallBack = (): void => {
    if (failed) return
    failed = true
    worker = undefined
    const left = [...pending.values()]
    pending.clear()
    for (const p of left) runLocally(local, p)
  }

  const start = (): Worker | undefined => {
    try {
      const started = new Worker(script, { workerData: { file } })
      running++
      started.unref() // a board never keeps the process alive
      started.on('message', (answer: ReadAnswer) => onBoardTime(() => settle(pending, answer)))
      started.on('error', () => {
        if (worker === started) fallBack()
      })
      started.on('exit', () => {
        running--
        if (worker === started && !closed) fallBack()
      })
      return started
    } catch {
      fallBack()
      return undefined
    }
  }

  const call = <K extends ReadOp>(op: K) =>
    (...args: Parameters<ReadOps[K]>): Promise<ReturnType<ReadOps[K]>> => {
      const here = (): Promise<ReturnType<ReadOps[K]>> => (local[op] as (...a: unknown[]) => Promise<ReturnType<ReadOps[K]>>)(...args)
      if (failed || closed) return here()
      worker ??= start()
      if (worker === undefined) return here()
      const id = nextId++
      const target = worker
      return new Promise<ReturnType<ReadOps[K]>>((resolve, reject) => {
        pending.set(id, { op, args, resolve: resolve as (value: unknown) => void, reject })
        target.postMessage({ id, op, args } satisfies ReadRequest)
      })
    }

  return {
    get where() {
      return failed || closed ? 'here' : 'worker'
    },
    overview: call('overview'),
    channel: call('channel'),
    lookUp: call('lookUp'),
    job: call('job'),
    close() {
      if (closed) return
      closed = true
      const left = [...pending.values()]
      pending.clear()
      for (const p of left) runLocally(local, p)
      // The worker closes its connection and ends; terminate() would skip the close.
      worker?.postMessage({ close: true } satisfies ReadRequest)
      worker = undefined
    },
  }
}

function settle(pending: Map<number, Pending>, answer: ReadAnswer): void {
  const p = pending.get(answer.id)
  if (p === undefined) return
  pending.delete(answer.id)
  if ('failure' in answer) p.reject(revive(answer.failure))
  else p.resolve(answer.value)
}

function runLocally(local: BoardReader, p: Pending): void {
  const read = local[p.op] as (...args: unknown[]) => Promise<unknown>
  read(...p.args).then(p.resolve, p.reject)
}

/**
 * A read's error as it crosses to the worker's parent (name, code, status and message).
 *
 * @example
 * postMessage({ id, failure: readFailure(err) })
 */
export function readFailure(err: unknown): ReadFailure {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) }
  const failure: ReadFailure = { name: err.name, message: err.message }
  if (err instanceof DurableIpcError) failure.code = err.code
  if (err instanceof BoardRequestError) failure.status = err.status
  return failure
}

// The same class as the worker threw, as far as the board's answers tell them apart (server.ts's
// fail(): a refusal with its status, a store error with its code, any other of ours as a 400).
function revive(failure: ReadFailure): Error {
  if (failure.status !== undefined && failure.code !== undefined) return new BoardRequestError(failure.status, failure.code, failure.message)
  if (failure.code !== undefined) return failure.name === 'StoreError' ? new StoreError(failure.code, failure.message) : new DurableIpcError(failure.code, failure.message)
  return new Error(failure.message)
}

// The worker's compiled script sits beside this module in dist/. Run from the sources (the tests,
// through vitest) there is only readerWorker.ts, which a worker thread cannot load: use the build.
function workerScript(): URL | undefined {
  const here = import.meta.url
  const url = here.endsWith('.ts') ? new URL('../../dist/board/readerWorker.js', here) : new URL('./readerWorker.js', here)
  return existsSync(fileURLToPath(url)) ? url : undefined
}
