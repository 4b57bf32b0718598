// The messages between the main side and a worker-thread renderer, and how the worker gets its
// setup without touching the user's workerData. Shared by both threads, so it imports nothing heavy.
import type { MessagePort } from 'node:worker_threads'
import * as errors from '../../errors.js'
// safeClone: only data that certainly survives postMessage goes into a WireError (an error's
// fields can be anything); the rest is left out, as it is from an invoke failure.
import { ownFields, safeClone, safeString } from '../invokeErrors.js'
import type { InvokeFailure } from '../invokeErrors.js'
import { assertCloneable } from '../../protocol/cloneCheck.js'
import { cloneArgs, cloneValue } from '../clone.js'

/**
 * The key of the setup in `worker_threads` environment data. Environment data is copied into a
 * Worker when it is created, so it can carry the setup while `workerData` stays exactly the user's.
 */
export const SETUP_KEY = 'durable-ipc:renderer-setup'

/** What the main side hands a worker renderer before it starts (plain data: ports cannot go this way). */
export interface WorkerSetup {
  id: string
  allow: readonly string[] | undefined
  syncTimeoutMs: number
  invokeTimeoutMs: number | undefined
  /**
   * The channels durable when the worker was spawned: its sends on them block until stored. Here
   * rather than in a first message, so a send at the top of the worker's script is durable already.
   */
  durable: readonly string[]
  /**
   * The broker's own SQLite file, when it has one (not the application's handle, not PostgreSQL):
   * the worker stores its durable sends there itself, on a connection of its own (directSends.ts).
   */
  file?: DirectFile
}

/** How a worker renderer opens the broker's file for its durable sends. */
export interface DirectFile {
  path: string
  /** The write lock all of the process's connections to the file take (store/sqlite/writeLock.ts). */
  writeLock: SharedArrayBuffer
  synchronous?: 'normal' | 'full'
  busyTimeoutMs?: number
}

/** A durable send a worker stored itself, as main is told of it: channel, id, visibleAt, payload bytes. */
export type StoredEntry = [channel: string, id: number, visibleAt: number, bytes: number]

/**
 * The worker's first message, on `parentPort`: the main side's ends of two channels it made, and
 * the shared memory sendSync waits on. The worker makes them, so it never waits for main at import.
 */
export interface ConnectMessage {
  [CONNECT_MARK]: true
  /** Main's end of the request channel: every worker-to-main message, and main-to-worker ones. */
  port: MessagePort
  /** Main's end of the sync channel: sendSync answers only, read with receiveMessageOnPort. */
  syncPort: MessagePort
  /** SYNC_SLOTS Int32 slots: SYNC_STATE, SYNC_STATUS, DIRECT_NOTICE, DIRECT_OFF (see below). */
  shared: SharedArrayBuffer
}
export const CONNECT_MARK = 'durable-ipc:connect'

export function isConnectMessage(value: unknown): value is ConnectMessage {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[CONNECT_MARK] === true
}

// How a sendSync waits, without ever leaving a stale answer in the sync port:
//   SYNC_STATE  0: nothing pending. seq: the worker waits for answer `seq` (it stores this before
//               posting). -seq: main claimed the answer (compare-exchange seq -> -seq) and is
//               posting it; then main writes SYNC_STATUS, stores 0 and notifies. A worker that times
//               out takes its request back (compare-exchange seq -> 0); if main won the race, the
//               worker waits the few microseconds until the answer is there. A late answer finds no
//               `seq` to claim and is dropped by main.
//   SYNC_STATUS how it ended: SyncStatus. Only `ok`, `clone` and `failed` post a message on the sync port.
// A durable send waits the same way (one blocking call at a time per thread, so they share the slots).
export const SYNC_STATE = 0
export const SYNC_STATUS = 1
// Direct sends (directSends.ts):
//   DIRECT_NOTICE 1 while a `stored` notice is on its way to main (main stores 0 when it reads it),
//                 so the worker posts at most one notice per turn of main's loop.
//   DIRECT_OFF    1 once main no longer wants the worker to store by itself (the renderer is going,
//                 the broker closing): its durable sends are round trips again.
export const DIRECT_NOTICE = 2
export const DIRECT_OFF = 3
export const SYNC_SLOTS = 4
/**
 * `stored`: a durable send is in SQLite (nothing posted). `failed`: it was not stored, and the
 * error, a WireError, is on the sync port, to be thrown by the send.
 */
export const SyncStatus = { ok: 0, noListener: 1, notAllowed: 2, clone: 3, stored: 4, failed: 5 } as const
export type SyncStatus = (typeof SyncStatus)[keyof typeof SyncStatus]

/** Main's side of the handshake: takes the answer to `seq`; false when the worker no longer waits for it. */
export function claimAnswer(sync: Int32Array, seq: number): boolean {
  return Atomics.compareExchange(sync, SYNC_STATE, seq, -seq) === seq
}

/** Ends a claimed answer. Whatever it posted on the sync port is in the worker's queue before this wakes it. */
export function endAnswer(sync: Int32Array, status: SyncStatus): void {
  Atomics.store(sync, SYNC_STATUS, status)
  Atomics.store(sync, SYNC_STATE, 0)
  Atomics.notify(sync, SYNC_STATE)
}

/** On the sync port after SyncStatus.clone: the CloneError an in-process sendSync would throw. */
export type SyncCloneFailure = [path: string, message: string]

/**
 * An error reduced to data that survives postMessage with its name, code and fields. `type` names
 * the durable-ipc error class it was an instance of, so the other thread throws that class again.
 */
export type WireError =
  | { kind: 'error'; name: string; message: string; stack: string | undefined; code?: unknown; fields?: Record<string, unknown>; type?: ErrorType }
  | { kind: 'value'; value: unknown }

// Messages are flat tuples, arguments last: postMessage copies a flat array of a few values several
// times faster than an object with a nested args array, and send/sendSync/invoke are the hot path.
// All arguments of one message still cross in one clone, so shared and cyclic references survive.

/** The first element of a worker-to-main message. */
export const ToMainKind = { send: 0, sync: 1, invoke: 2, listen: 3, done: 4, listenerError: 5, durableSend: 6, stored: 7 } as const

/** Worker to main, on the request port. */
export type ToMain =
  | [kind: typeof ToMainKind.send, channel: string, ...args: unknown[]]
  | [kind: typeof ToMainKind.sync, seq: number, channel: string, ...args: unknown[]]
  /** A send on a durable channel: answered like a sync, once stored (SyncStatus.stored or failed). */
  | [kind: typeof ToMainKind.durableSend, seq: number, channel: string, ...args: unknown[]]
  | [kind: typeof ToMainKind.invoke, id: number, channel: string, ...args: unknown[]]
  /** The worker's ipcRenderer gained its first (on: true) or lost its last listener of `channel`. */
  | [kind: typeof ToMainKind.listen, channel: string, on: boolean]
  /** A durable delivery finished: every listener returned (error undefined) or one failed. */
  | [kind: typeof ToMainKind.done, id: number, error: WireError | undefined, notListening: boolean]
  /** A renderer-side listener threw: reported on the broker's 'error' event. */
  | [kind: typeof ToMainKind.listenerError, channel: string, error: WireError]
  /** Durable sends the worker stored itself since its last notice: main wakes their consumers. */
  | [kind: typeof ToMainKind.stored, ...stored: StoredEntry[]]

/** The first element of a main-to-worker message. */
export const ToWorkerKind = { message: 0, resolved: 1, failed: 2, rejected: 3, durable: 4, durableChannels: 5 } as const

/** Main to worker, on the request port. */
export type ToWorker =
  | [kind: typeof ToWorkerKind.message, channel: string, ...args: unknown[]]
  /** An invoke's result. */
  | [kind: typeof ToWorkerKind.resolved, id: number, value: unknown]
  /** An invoke's handler failed: the worker builds Electron's rejection from it. */
  | [kind: typeof ToWorkerKind.failed, id: number, failure: InvokeFailure]
  /** A rejection already in its final form (a durable invoke's stored outcome): rebuilt as is. */
  | [kind: typeof ToWorkerKind.rejected, id: number, error: WireError]
  | [kind: typeof ToWorkerKind.durable, id: number, messageId: number, attempt: number, channel: string, ...args: unknown[]]
  /** Channels declared durable since the worker was spawned (durable channels never stop being so). */
  | [kind: typeof ToWorkerKind.durableChannels, channels: string[]]

/**
 * Posts `message`, which carries `value` (a message's arguments, or a reply), with cloneArgs's
 * rules: postMessage clones by itself, so the value is only checked here, not copied. Checked before
 * for what postMessage would share silently (a SharedArrayBuffer), and after a refusal for the path
 * of the offender. Throws CloneError; nothing is posted then.
 */
export function postChecked(port: MessagePort, message: unknown, value: unknown, label: 'args' | 'returnValue' | 'result'): void {
  if (!isPrimitive(value)) assertCloneable(value, label)
  try {
    port.postMessage(message)
  } catch (error) {
    if (label === 'args') cloneArgs(value as unknown[])
    else cloneValue(value, label)
    throw error
  }
}

// True for a value, or an array of values, that postMessage copies as is.
function isPrimitive(value: unknown): boolean {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isPrimitive1(value[i])) return false
    return true
  }
  return isPrimitive1(value)
}

function isPrimitive1(value: unknown): boolean {
  return typeof value === 'object' ? value === null : typeof value !== 'function' && typeof value !== 'symbol'
}

/** Reduces a thrown value to a WireError; never throws. */
export function toWireError(err: unknown): WireError {
  if (err instanceof Error) {
    const wire: WireError = { kind: 'error', name: err.name, message: err.message, stack: err.stack }
    const { code } = err as { code?: unknown }
    if (code !== undefined) wire.code = safeClone(code)
    const fields = ownFields(err)
    if (fields) wire.fields = fields
    const type = errorType(err)
    if (type !== undefined) wire.type = type
    return wire
  }
  const value = safeClone(err)
  return { kind: 'value', value: value === undefined && err !== undefined ? safeString(err) : value }
}

/**
 * Rebuilds what toWireError reduced: an Error with the original's name, message, stack, code and
 * fields; an instance of the same class when that was one of durable-ipc's errors.
 */
export function fromWireError(wire: WireError): unknown {
  if (wire.kind === 'value') return wire.value
  const error = wire.type === undefined ? new Error(wire.message) : rebuildTyped(wire.type, wire.message, wire.code)
  if (wire.fields) Object.assign(error, wire.fields)
  // A rebuilt durable-ipc error keeps the name its prototype gives it, as one made here would.
  if (wire.type === undefined || error.name !== wire.name) Object.defineProperty(error, 'name', { value: wire.name, enumerable: false, writable: true, configurable: true })
  if (wire.stack !== undefined) error.stack = wire.stack
  if (wire.code !== undefined) (error as Error & { code?: unknown }).code = wire.code
  return error
}


// The error classes a thread may have to throw again, by a name that survives minification.
const ERROR_TYPES = {
  DurableIpcError: errors.DurableIpcError,
  DurableIpcTypeError: errors.DurableIpcTypeError,
  InvalidChannelError: errors.InvalidChannelError,
  InvalidArgumentError: errors.InvalidArgumentError,
  CloneError: errors.CloneError,
  ContextReleasedError: errors.ContextReleasedError,
  SyncReplyError: errors.SyncReplyError,
  InvokeTimeoutError: errors.InvokeTimeoutError,
  ChannelNotAllowedError: errors.ChannelNotAllowedError,
  BrokerClosedError: errors.BrokerClosedError,
  HandlerExistsError: errors.HandlerExistsError,
  NoHandlerError: errors.NoHandlerError,
  UnknownChannelError: errors.UnknownChannelError,
  MessageTooLargeError: errors.MessageTooLargeError,
  QueueFullError: errors.QueueFullError,
  StoreError: errors.StoreError,
  TransactionOpenError: errors.TransactionOpenError,
} as const
type ErrorType = keyof typeof ERROR_TYPES

// By exact prototype, not instanceof: DurableIpcError's instanceof checks its brand only, which
// every subclass shares. A user's own subclass travels as a plain Error, as any other error does.
function errorType(err: Error): ErrorType | undefined {
  const proto: unknown = Object.getPrototypeOf(err)
  for (const type of Object.keys(ERROR_TYPES) as ErrorType[]) if (ERROR_TYPES[type].prototype === proto) return type
  return undefined
}

// The subclasses' constructors take their own arguments (a channel, a limit) to word the message;
// the message is already worded, so the base constructor runs with the subclass as new.target:
// the result has the subclass's prototype, the brand and the code, as if made in this thread.
function rebuildTyped(type: ErrorType, message: string, code: unknown): Error {
  const cls = ERROR_TYPES[type]
  const base = cls === errors.DurableIpcTypeError || cls.prototype instanceof errors.DurableIpcTypeError ? errors.DurableIpcTypeError : errors.DurableIpcError
  return Reflect.construct(base, [typeof code === 'string' ? code : 'ERR_IPC', message], cls) as Error
}
