// Copies the WAL back into the database file from a worker thread (a PASSIVE checkpoint on a second
// connection), so that the copy runs beside the publishes, on another core, instead of inside one
// of their commits. The store's own connection still checkpoints every 10000 pages (pragmas.ts);
// with the worker ahead of it, that one only has the last few pages left to copy.
//
// Started lazily, after the store's first STARTUP_COMMITS write transactions: a broker that writes
// little never pays for a thread. If the worker cannot start or dies, nothing is lost: the store's
// own checkpoints go on as before.

import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

/** Write transactions before the worker starts. */
const STARTUP_COMMITS = 1000
/** Write transactions between two wake-ups of the worker. */
const COMMITS_PER_CHECKPOINT = 256
/** How long close() waits for the worker to close its connection. */
const STOP_WAIT_MS = 2000

// Shared state, one Int32 each: a wake-up counter, the stop request, the worker's "closed" answer.
const WAKE = 0
const STOP = 1
const CLOSED = 2

// The worker: a blocking loop (it has nothing else to do) that sleeps on WAKE between checkpoints.
// CommonJS source with the driver's path handed in, so it runs the same from dist/ and from src/.
const workerSource = `
const { workerData } = require('node:worker_threads')
const state = new Int32Array(workerData.state)
let db
try {
  const Database = require(workerData.driver)
  db = new Database(workerData.path, { fileMustExist: true, timeout: 0 })
  // Once at once (it was started because there is work), then at each wake-up.
  let seen = Atomics.load(state, ${WAKE})
  while (Atomics.load(state, ${STOP}) === 0) {
    try { db.pragma('wal_checkpoint(PASSIVE)') } catch {}
    Atomics.wait(state, ${WAKE}, seen)
    seen = Atomics.load(state, ${WAKE})
  }
} finally {
  try { if (db) db.close() } catch {}
  Atomics.store(state, ${CLOSED}, 1)
  Atomics.notify(state, ${CLOSED})
}
`

/** Checkpoints a store's WAL file from a worker thread; see the top of this file. */
export class Checkpointer {
  readonly #path: string
  #commits = 0
  #worker: Worker | undefined
  #state: Int32Array | undefined
  #disabled = false

  constructor(path: string) {
    this.#path = path
  }

  /** True once the worker thread runs (for tests and diagnostics). */
  get running(): boolean {
    return this.#worker !== undefined
  }

  /** Counts one committed write transaction of the store; now and then wakes (or starts) the worker. */
  committed(): void {
    this.#commits++
    if (this.#disabled) return
    if (this.#state === undefined) {
      if (this.#commits >= STARTUP_COMMITS) this.#start()
      return
    }
    if (this.#commits % COMMITS_PER_CHECKPOINT !== 0) return
    Atomics.add(this.#state, WAKE, 1)
    Atomics.notify(this.#state, WAKE)
  }

  /**
   * Stops the worker and waits (synchronously, up to 2 s) until it has closed its connection, so
   * that the store's own close is the last one and removes the WAL file as usual.
   */
  close(): void {
    this.#disabled = true
    const state = this.#state
    if (state === undefined) return
    this.#state = undefined
    this.#worker = undefined
    Atomics.store(state, STOP, 1)
    Atomics.add(state, WAKE, 1)
    Atomics.notify(state, WAKE)
    Atomics.wait(state, CLOSED, 0, STOP_WAIT_MS)
  }

  #start(): void {
    this.#disabled = true // until it is up; a failed start is not retried
    try {
      const state = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT))
      const driver = createRequire(import.meta.url).resolve('better-sqlite3')
      const worker = new Worker(workerSource, { eval: true, workerData: { path: this.#path, driver, state: state.buffer } })
      worker.unref() // never keeps the process alive
      worker.on('error', () => {
        // It could not open the file, or died: the store's own checkpoints carry on.
        if (this.#worker === worker) this.close()
      })
      this.#worker = worker
      this.#state = state
      this.#disabled = false
    } catch {
      // No worker threads here: the store's own checkpoints carry on.
    }
  }
}
