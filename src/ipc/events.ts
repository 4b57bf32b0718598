// The event objects main-side listeners and handlers receive, shaped as Electron's.
import type { IpcMainEvent, IpcMainInvokeEvent, WebContents } from '../types.js'

const noPorts: readonly unknown[] = Object.freeze([])

/** The event of one `invoke`. */
export class InvokeEvent implements IpcMainInvokeEvent {
  readonly sender: WebContents
  readonly processId: number
  readonly frameId = 1
  readonly ports = noPorts
  attempt = 1
  messageId?: number

  constructor(sender: WebContents, processId: number) {
    this.sender = sender
    this.processId = processId
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
