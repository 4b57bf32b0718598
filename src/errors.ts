// The typed errors of durable-ipc: one base class with a string `code`, one subclass per failure a
// user can hit. A leaf module, so every layer (api, actors, store) can throw them without importing
// upward.

const brand = Symbol.for('durable-ipc.error')

/**
 * Base class of every error durable-ipc throws or rejects with. Check `code`, not the message.
 *
 * Some errors must also be a `TypeError` (Electron throws TypeError for a bad channel name), so
 * `instanceof DurableIpcError` recognises every durable-ipc error by a brand, whatever its
 * built-in parent.
 *
 * @example
 * try { ipcRenderer.send('', 1) } catch (err) {
 *   if (err instanceof DurableIpcError) console.log(err.code) // 'ERR_IPC_INVALID_CHANNEL'
 * }
 */
export class DurableIpcError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    markError(this)
  }
  static override [Symbol.hasInstance](this: Function, value: unknown): boolean {
    // Subclasses inherit this static: for them, the ordinary prototype-chain check.
    if (this !== DurableIpcError) return Function.prototype[Symbol.hasInstance].call(this, value)
    return typeof value === 'object' && value !== null && (value as { [brand]?: true })[brand] === true
  }
}
Object.defineProperty(DurableIpcError.prototype, 'name', { value: 'DurableIpcError', writable: true, configurable: true })

function markError(err: Error): void {
  Object.defineProperty(err, brand, { value: true })
}

/** A durable-ipc error that is also a `TypeError`: bad input of the wrong type. */
export class DurableIpcTypeError extends TypeError {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    markError(this)
  }
}

function named<T extends abstract new (...args: never[]) => Error>(cls: T, name: string): T {
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true })
  return cls
}

/** A channel name that is not a non-empty string. Code `ERR_IPC_INVALID_CHANNEL`. */
export class InvalidChannelError extends DurableIpcTypeError {
  constructor(channel: unknown) {
    super('ERR_IPC_INVALID_CHANNEL', `Expected channel to be a non-empty string, but found ${describe(channel)}`)
  }
}
named(InvalidChannelError, 'TypeError')

/**
 * An argument of the wrong type or shape: a handler that is not a function, an option of the wrong
 * type or out of range, an unknown option key. Code `ERR_INVALID_ARGUMENT`.
 */
export class InvalidArgumentError extends DurableIpcTypeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_ARGUMENT', message, options)
  }
}
named(InvalidArgumentError, 'TypeError')

/** Arguments the structured clone algorithm cannot copy. Code `ERR_IPC_CLONE`. */
export class CloneError extends DurableIpcError {
  /** Where the offending value sits, e.g. `args[1].user.save`. */
  readonly path: string
  constructor(path: string, detail: string, cause?: unknown) {
    super('ERR_IPC_CLONE', `An object could not be cloned. ${detail} at ${path}`, { cause })
    this.path = path
  }
}
named(CloneError, 'DataCloneError')

/** An ipcRenderer method called after its renderer was closed. Code `ERR_IPC_CONTEXT_RELEASED`. */
export class ContextReleasedError extends DurableIpcError {
  constructor() {
    super('ERR_IPC_CONTEXT_RELEASED', 'IPC method called after context was released')
  }
}
named(ContextReleasedError, 'ContextReleasedError')

/** `sendSync` got no `returnValue`: no listener, none assigned in time, or the peer went away. */
export class SyncReplyError extends DurableIpcError {
  constructor(code: 'ERR_IPC_NO_SYNC_LISTENER' | 'ERR_IPC_SYNC_NOT_ASSIGNED' | 'ERR_IPC_SYNC_TIMEOUT' | 'ERR_IPC_SYNC_ABORTED', message: string) {
    super(code, message)
  }
}
named(SyncReplyError, 'SyncReplyError')

/** An `invoke` that did not settle within `invokeTimeoutMs`. Code `ERR_IPC_INVOKE_TIMEOUT`. */
export class InvokeTimeoutError extends DurableIpcError {
  constructor(channel: string, timeoutMs: number) {
    super('ERR_IPC_INVOKE_TIMEOUT', `Error invoking remote method '${channel}': timed out after ${timeoutMs} ms`)
  }
}
named(InvokeTimeoutError, 'InvokeTimeoutError')

/** A renderer used a channel outside its `allow` list. Code `ERR_IPC_CHANNEL_NOT_ALLOWED`. */
export class ChannelNotAllowedError extends DurableIpcError {
  readonly channel: string
  constructor(channel: string, rendererId: string) {
    super('ERR_IPC_CHANNEL_NOT_ALLOWED', `Renderer '${rendererId}' is not allowed to use channel '${channel}'`)
    this.channel = channel
  }
}
named(ChannelNotAllowedError, 'ChannelNotAllowedError')

/** A call on a broker that is closing or closed, or what it cut short. Code `ERR_BROKER_CLOSED`. */
export class BrokerClosedError extends DurableIpcError {
  constructor(message = 'The broker is closed') {
    super('ERR_BROKER_CLOSED', message)
  }
}
named(BrokerClosedError, 'BrokerClosedError')

/**
 * `ipcMain.handle` (or `handleOnce`) on a channel that already has a handler. Electron's message,
 * with code `ERR_IPC_HANDLER_EXISTS`.
 *
 * @example
 * ipcMain.handle('add', add)
 * ipcMain.handle('add', add) // HandlerExistsError: Attempted to register a second handler for 'add'
 */
export class HandlerExistsError extends DurableIpcError {
  readonly channel: string
  constructor(channel: string) {
    super('ERR_IPC_HANDLER_EXISTS', `Attempted to register a second handler for '${channel}'`)
    this.channel = channel
  }
}
named(HandlerExistsError, 'HandlerExistsError')

/**
 * An `invoke` on a channel with no handler: Electron's rejection (`Error invoking remote method
 * 'x': Error: No handler registered for 'x'`, named `Error` as Electron's is), with code
 * `ERR_IPC_NO_HANDLER`.
 */
export class NoHandlerError extends DurableIpcError {
  constructor(message: string) {
    super('ERR_IPC_NO_HANDLER', message)
  }
}
named(NoHandlerError, 'Error')

/** A durable operation on a channel that was never declared durable. Code `ERR_UNKNOWN_CHANNEL`. */
export class UnknownChannelError extends DurableIpcError {
  constructor(channel: string) {
    super('ERR_UNKNOWN_CHANNEL', `Channel '${channel}' is not a declared durable channel`)
  }
}
named(UnknownChannelError, 'UnknownChannelError')

/** A payload over the channel's `maxMessageBytes`. Code `ERR_MESSAGE_TOO_LARGE`. Nothing was stored. */
export class MessageTooLargeError extends DurableIpcError {
  constructor(channel: string, bytes: number, max: number) {
    super('ERR_MESSAGE_TOO_LARGE', `Message on '${channel}' is ${bytes} bytes, over maxMessageBytes ${max}`)
  }
}
named(MessageTooLargeError, 'MessageTooLargeError')

/** A queue already at the channel's `maxDepth`. Code `ERR_QUEUE_FULL`. Nothing was stored. */
export class QueueFullError extends DurableIpcError {
  constructor(channel: string, max: number) {
    super('ERR_QUEUE_FULL', `Channel '${channel}' holds ${max} messages, its maxDepth`)
  }
}
named(QueueFullError, 'QueueFullError')

/**
 * What `broker.waitForJob(id)` rejects with for a listener message that used up its attempts (a
 * dead letter): its last error. Code `ERR_JOB_FAILED`. A handler job rejects with its own failure.
 */
export class JobFailedError extends DurableIpcError {
  readonly jobId: number
  /** The last attempt's error as stored (message and stack). */
  readonly lastError: string
  constructor(jobId: number, lastError: string) {
    super('ERR_JOB_FAILED', `Job ${jobId} failed: ${lastError.split('\n')[0] ?? ''}`)
    this.jobId = jobId
    this.lastError = lastError
  }
}
named(JobFailedError, 'JobFailedError')

/**
 * A durable send (`send`, `enqueue`, `invoke`, `webContents.send` to an inbox) made on the main
 * thread while the application holds a transaction open on the broker's shared database (the
 * outbox) that the send is not part of: one opened by hand (`db.exec('BEGIN')`), held across an
 * await. Storing it would tie it to a transaction that may roll back after the send returned, so
 * nothing is stored. Code `ERR_STORE_TRANSACTION_OPEN`.
 *
 * @example
 * db.exec('BEGIN')
 * await somethingElse()                    // meanwhile, a timer calls broker.enqueue('jobs', [1]): throws this
 * broker.enqueue('jobs', [2], { joinTransaction: true })   // joins: commits or rolls back with it
 * db.exec('COMMIT')
 */
export class TransactionOpenError extends DurableIpcError {
  readonly channel: string
  constructor(channel: string) {
    super(
      'ERR_STORE_TRANSACTION_OPEN',
      `Cannot store a message on durable channel '${channel}': the application holds a transaction open on the database ` +
        'that this call is not part of (opened by hand, e.g. BEGIN held across an await), and the message could roll back with it ' +
        'after the send returned. Send inside database.transaction(fn) to store it with that transaction, or once the ' +
        'transaction ended; to store it in the open transaction on purpose, use broker.enqueue(channel, args, { joinTransaction: true }). ' +
        'Nothing was stored.',
    )
    this.channel = channel
  }
}
named(TransactionOpenError, 'TransactionOpenError')

// --- The job control plane: cancellation, timeouts, progress -----------------------------------

/**
 * A job cancelled with `broker.cancel(id)` (or `durable-ipc cancel`): what `event.signal` of its
 * running delivery is aborted with, and what its invoke caller and `waitForJob` reject with. A
 * cancelled job is never retried. Code `ERR_JOB_CANCELLED`.
 *
 * @example
 * ipcMain.handle('resize', async (event, img) => {
 *   event.signal.addEventListener('abort', () => console.log(event.signal.reason instanceof JobCancelledError))
 * })
 */
export class JobCancelledError extends DurableIpcError {
  /** The cancelled job's id, when known. */
  readonly jobId: number | undefined
  constructor(jobId?: number, message = jobId === undefined ? 'The job was cancelled' : `Job ${jobId} was cancelled`) {
    super('ERR_JOB_CANCELLED', message)
    this.jobId = jobId
  }
}
named(JobCancelledError, 'JobCancelledError')

/**
 * An attempt that ran longer than its channel's `timeoutMs`: the attempt fails with it (retried
 * with back-off, or dead-lettered when it was the last), `event.signal` is aborted with it, and a
 * late answer of the listener or handler is ignored. Code `ERR_JOB_TIMEOUT`.
 *
 * @example
 * broker.channel('resize', { durable: true, timeoutMs: 30_000 })
 * ipcMain.handle('resize', (event, img) => resize(img, { signal: event.signal })) // aborted after 30 s
 */
export class JobTimeoutError extends DurableIpcError {
  readonly timeoutMs: number
  constructor(timeoutMs: number, jobId?: number) {
    super('ERR_JOB_TIMEOUT', `${jobId === undefined ? 'The job' : `Job ${jobId}`} timed out after ${timeoutMs} ms (the channel's timeoutMs)`)
    this.timeoutMs = timeoutMs
  }
}
named(JobTimeoutError, 'JobTimeoutError')

/**
 * An `event.progress(value)` whose value serializes to more than 64 KiB: progress is for small
 * status values, stored on every update. Code `ERR_PROGRESS_TOO_LARGE`; nothing was stored.
 *
 * @example
 * event.progress({ done: 0.5 })          // fine
 * event.progress(new Uint8Array(1 << 20)) // throws ProgressTooLargeError
 */
export class ProgressTooLargeError extends DurableIpcError {
  constructor(bytes: number, max: number) {
    super('ERR_PROGRESS_TOO_LARGE', `A progress value is ${bytes} bytes serialized, over the limit of ${max}`)
  }
}
named(ProgressTooLargeError, 'ProgressTooLargeError')

/**
 * A failure of the database underneath: codes `ERR_STORE_NOT_A_DATABASE`, `ERR_STORE_NEWER_SCHEMA`,
 * `ERR_STORE_OLD_SCHEMA`, `ERR_STORE_NO_SCHEMA`, `ERR_STORE_FULL`, `ERR_STORE_BUSY`,
 * `ERR_STORE_READONLY`, `ERR_STORE_IO`, `ERR_STORE_CLOSED`, `ERR_STORE`; with PostgreSQL also
 * `ERR_STORE_UNAVAILABLE` (the server cannot be reached, or refused the credentials),
 * `ERR_STORE_TIMEOUT` (no answer in time) and `ERR_STORE_NO_DRIVER` (the `pg` package is not
 * installed). The SQLite or pg error, when there is one (and it carries no secret), is the `cause`.
 */
export class StoreError extends DurableIpcError {}
named(StoreError, 'StoreError')

function describe(value: unknown): string {
  if (value === '') return 'an empty string'
  if (value === null) return 'null'
  return `type '${typeof value}'`
}
