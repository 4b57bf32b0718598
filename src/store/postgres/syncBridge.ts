// A synchronous bridge to asynchronous work: a worker thread runs a handler (which may await, e.g.
// a database client), while the calling thread posts a request on a MessagePort and blocks on
// Atomics.wait over a SharedArrayBuffer until the worker signals its answer, which it then takes
// with receiveMessageOnPort (the technique of the `synckit` package). Generic: the handler is
// CommonJS source handed in, so that the same bridge serves the PostgreSQL store, the command-line
// tool or anything else that must answer synchronously from a server. Every call has a deadline:
// a worker that does not answer in time (a server down or unreachable) is terminated, the call
// throws StoreError ERR_STORE_TIMEOUT, and the next call starts a fresh worker.

import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads'
import type { MessagePort } from 'node:worker_threads'
import { StoreError } from '../../errors.js'

/** How to make the bridge's worker. */
export interface SyncBridgeOptions {
  /**
   * CommonJS source run in the worker (with `require`, and `data` and `shared` in scope) that
   * defines `async function handle(request)`, whose value (structured-cloneable) answers a call,
   * and may define `function onClose()`. A throw answers the call with that error.
   */
  source: string
  /** Handed to the source as `data` (structured-cloned). */
  data?: unknown
  /** How many Int32 slots `shared` has: memory the worker and the calling thread both see. */
  sharedInts?: number
  /** Default deadline of a call, in ms. */
  timeoutMs: number
  /** Names what the bridge talks to, in errors (e.g. "PostgreSQL"). */
  label: string
}

/** How long a fresh worker may take to start (a thread, the handler's own loading), on top of a call's deadline. */
const START_TIMEOUT_MS = 30_000
// The signal's slots: the sequence number of the latest answer, and whether the worker is ready.
const ANSWERED = 0
const READY = 1

/** An error answered by the worker: its message and its own string and number properties. */
export type BridgedError = Error & Record<string, unknown>

// Around the handler's source: before it, what it has in scope; after it, the loop that runs
// `handle` for each request and signals each answer, and the signal that the worker is ready (its
// start, e.g. loading a driver, is not counted against a call's deadline).
const prelude = `
const { workerData: __bridge } = require('node:worker_threads')
const data = __bridge.data
const shared = new Int32Array(__bridge.shared)
const __signal = new Int32Array(__bridge.signal)
// A failure while the handler's source loads is told to the caller, which waits for READY.
function __failedStart(error) {
  if (Atomics.load(__signal, ${READY}) !== 0) throw error
  try { __bridge.port.postMessage({ seq: 0, ok: false, error: { name: String(error && error.name), message: String(error && error.message || error) } }) } catch {}
  Atomics.store(__signal, ${READY}, 2)
  Atomics.notify(__signal, ${READY})
  process.exit(1)
}
process.once('uncaughtException', __failedStart)
`
const epilogue = `
function __plain(error) {
  const out = { name: String(error && error.name || 'Error'), message: String(error && error.message || error) }
  if (error && typeof error === 'object') {
    for (const [key, value] of Object.entries(error)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[key] = value
    }
  }
  return out
}
__bridge.port.on('message', async ({ seq, request }) => {
  let reply
  try {
    reply = { seq, ok: true, value: await handle(request) }
  } catch (error) {
    reply = { seq, ok: false, error: __plain(error) }
  }
  try {
    __bridge.port.postMessage(reply)
  } catch (error) {
    __bridge.port.postMessage({ seq, ok: false, error: __plain(error) })
  }
  Atomics.store(__signal, ${ANSWERED}, seq)
  Atomics.notify(__signal, ${ANSWERED})
})
__bridge.port.on('close', () => { if (typeof onClose === 'function') onClose() })
process.off('uncaughtException', __failedStart)
Atomics.store(__signal, ${READY}, 1)
Atomics.notify(__signal, ${READY})
`

interface Running {
  worker: Worker
  port: MessagePort
  signal: Int32Array
}

/**
 * A synchronous call into a worker thread; see the top of this file.
 *
 * @example
 * const bridge = new SyncBridge({ source: 'async function handle(n) { return n * 2 }', timeoutMs: 1000, label: 'doubler' })
 * bridge.call(21) // 42, synchronously
 * bridge.close()
 */
export class SyncBridge {
  readonly #options: SyncBridgeOptions
  readonly #shared: SharedArrayBuffer
  #running: Running | undefined
  #seq = 0
  #closed = false
  /** How many workers were started (a fresh one after each timeout). */
  starts = 0

  constructor(options: SyncBridgeOptions) {
    this.#options = options
    this.#shared = new SharedArrayBuffer(Math.max(1, options.sharedInts ?? 1) * Int32Array.BYTES_PER_ELEMENT)
  }

  /** The memory shared with the worker (`shared` in its source). */
  get shared(): Int32Array {
    return new Int32Array(this.#shared)
  }

  /**
   * Posts `request` to the worker and blocks until it answers or `timeoutMs` passes. Throws the
   * worker's error (a BridgedError) or StoreError ERR_STORE_TIMEOUT / ERR_STORE_CLOSED.
   *
   * @example
   * const rows = bridge.call({ sql: 'SELECT 1' }, 5000)
   */
  call(request: unknown, timeoutMs = this.#options.timeoutMs): unknown {
    if (this.#closed) throw new StoreError('ERR_STORE_CLOSED', `The connection to ${this.#options.label} is closed`)
    const running = (this.#running ??= this.#start())
    if (Atomics.load(running.signal, READY) !== 1) this.#awaitStart(running)
    const seq = ++this.#seq
    running.port.postMessage({ seq, request })
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const seen = Atomics.load(running.signal, ANSWERED)
      const received = receiveMessageOnPort(running.port)
      if (received !== undefined) {
        const reply = received.message as { seq: number; ok: boolean; value?: unknown; error?: Record<string, unknown> }
        // An answer to an earlier call that timed out is dropped (its worker is gone, but be safe).
        if (reply.seq !== seq) continue
        if (reply.ok) return reply.value
        throw Object.assign(new Error(String(reply.error?.message ?? 'The worker failed')), reply.error) as BridgedError
      }
      const remaining = deadline - performance.now()
      if (remaining <= 0) {
        this.#reset()
        throw new StoreError('ERR_STORE_TIMEOUT', `${this.#options.label} did not answer within ${timeoutMs} ms (is the server up and reachable?)`)
      }
      Atomics.wait(running.signal, ANSWERED, seen, remaining)
    }
  }

  /** Stops the worker; later calls throw ERR_STORE_CLOSED. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    const running = this.#running
    this.#running = undefined
    if (running === undefined) return
    // Closing the port lets the handler's onClose end its connection; terminate is the backstop.
    running.port.close()
    const timer = setTimeout(() => void running.worker.terminate(), 1000)
    timer.unref()
    running.worker.once('exit', () => clearTimeout(timer))
  }

  // Blocks until the fresh worker has loaded its handler; throws if it failed to or took too long.
  #awaitStart(running: Running): void {
    if (Atomics.wait(running.signal, READY, 0, START_TIMEOUT_MS) === 'timed-out') {
      this.#reset()
      throw new StoreError('ERR_STORE_TIMEOUT', `The worker thread for ${this.#options.label} did not start within ${START_TIMEOUT_MS} ms`)
    }
    if (Atomics.load(running.signal, READY) === 2) {
      const told = receiveMessageOnPort(running.port)?.message as { error?: { message?: string } } | undefined
      this.#reset()
      throw new StoreError('ERR_STORE', `The worker thread for ${this.#options.label} failed to start: ${told?.error?.message ?? 'unknown error'}`)
    }
  }

  #start(): Running {
    const { port1, port2 } = new MessageChannel()
    const signal = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT))
    const worker = new Worker(`${prelude}\n${this.#options.source}\n${epilogue}`, {
      eval: true,
      workerData: { port: port2, data: this.#options.data, shared: this.#shared, signal: signal.buffer },
      transferList: [port2],
      // The source is CommonJS: under --input-type=module (node -e of an ES module) an eval'd
      // worker would inherit the flag, fail to parse it as a module and never answer.
      execArgv: process.execArgv.filter((arg) => !arg.startsWith('--input-type')),
    })
    // Never keeps the process alive; its failures surface as calls that time out.
    worker.unref()
    port1.unref()
    worker.on('error', () => {
      if (this.#running?.worker === worker) this.#running = undefined
    })
    worker.on('exit', () => {
      if (this.#running?.worker === worker) this.#running = undefined
    })
    this.starts++
    return { worker, port: port1, signal }
  }

  // A worker that missed its deadline may still hold a connection in an unknown state: gone.
  #reset(): void {
    const running = this.#running
    this.#running = undefined
    if (running === undefined) return
    running.port.close()
    void running.worker.terminate()
  }
}
