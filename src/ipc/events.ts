// The event objects main-side listeners and handlers receive, shaped as Electron's, plus what a
// durable delivery adds: its abort signal and its progress.
import type { DeliveryControl } from '../actors/durable/consumerInput.js'
import { ProgressTooLargeError } from '../errors.js'
import { encodeValue } from '../protocol/envelope.js'
import type { ClaimedMessage } from '../store/index.js'
import type { IpcMainEvent, IpcMainInvokeEvent, WebContents } from '../types.js'

const noPorts: readonly unknown[] = Object.freeze([])

/** The largest progress value, serialized: progress is a small status, written on every update. */
export const MAX_PROGRESS_BYTES = 64 * 1024

// The signal of an event that is no durable delivery's: made on first read, never aborted.
const transientSignals = new WeakMap<InvokeEvent, AbortSignal>()

/** The event of one `invoke`. */
export class InvokeEvent implements IpcMainInvokeEvent {
  readonly sender: WebContents
  readonly processId: number
  readonly frameId = 1
  readonly ports = noPorts
  attempt = 1
  messageId?: number
  // Set for a durable delivery only; nothing is made for an event whose signal nobody reads.
  #control: DeliveryControl | undefined = undefined
  #message: ClaimedMessage | undefined = undefined

  constructor(sender: WebContents, processId: number) {
    this.sender = sender
    this.processId = processId
  }

  /** Makes this the event of a durable delivery: `signal` and `progress` are its job's. */
  attachJob(control: DeliveryControl, message: ClaimedMessage): void {
    this.#control = control
    this.#message = message
  }

  get signal(): AbortSignal {
    if (this.#control) return this.#control.signal(this.#message!)
    let signal = transientSignals.get(this)
    if (!signal) transientSignals.set(this, (signal = new AbortController().signal))
    return signal
  }

  progress(value: unknown): void {
    if (!this.#control) return // no job to report on (a transient channel): see IpcMainEvent.progress
    // Serialized here, so that a value that cannot be stored fails at this call (CloneError).
    const payload = encodeValue(value)
    if (payload.byteLength > MAX_PROGRESS_BYTES) throw new ProgressTooLargeError(payload.byteLength, MAX_PROGRESS_BYTES)
    this.#control.progress(this.#message!, payload)
  }
}

/** The event of one `send` or `sendSync`, shared by every listener of that message. */
export class MainEvent extends InvokeEvent implements IpcMainEvent {
  #onReturnValue: ((value: unknown) => void) | undefined

  /** `onReturnValue` receives the first assignment of returnValue (a sendSync); undefined for send. */
  constructor(sender: WebContents, processId: number, onReturnValue?: (value: unknown) => void) {
    super(sender, processId)
    this.#onReturnValue = onReturnValue
  }

  get returnValue(): unknown {
    return undefined
  }

  set returnValue(value: unknown) {
    const receive = this.#onReturnValue
    if (receive) {
      // Only the first assignment answers; the rest are ignored, as the sender already has its reply.
      this.#onReturnValue = undefined
      receive(value)
    }
  }

  reply(channel: string, ...args: unknown[]): void {
    this.sender.send(channel, ...args)
  }
}
