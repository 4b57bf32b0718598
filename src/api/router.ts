// The main side's entry for messages from renderers, whatever carries them (a function call for an
// in-process renderer, a MessagePort for a worker): routes each to ipcMain's listeners or handler.
import type { CallOutcome } from '../actors/listenerActor.js'
import { InvokeEvent, MainEvent } from './events.js'
import type { IpcMainImpl } from './ipcMain.js'
import { toInvokeFailure } from './invokeErrors.js'
import type { InvokeFailure } from './invokeErrors.js'
import type { WebContents } from './types.js'

export type InvokeResult = { ok: true; value: unknown } | { ok: false; failure: InvokeFailure }

/** Where durable channels hook in: a channel this claims is not delivered as a transient one. */
export interface DurableRouting {
  send(sender: WebContents, channel: string, args: unknown[]): boolean
  invoke(sender: WebContents, channel: string, args: unknown[], settle: (result: InvokeResult) => void): boolean
}

export class Router {
  readonly #ipcMain: IpcMainImpl
  durable: DurableRouting | undefined

  constructor(ipcMain: IpcMainImpl) {
    this.#ipcMain = ipcMain
  }

  /** A `send` from a renderer; `args` are already the receiver's copy. */
  send(sender: WebContents, channel: string, args: unknown[]): void {
    if (this.durable?.send(sender, channel, args)) return
    this.#ipcMain.deliver(channel, new MainEvent(sender, process.pid), args)
  }

  /** A `sendSync`: returns how many listeners it reached; the first returnValue goes to `onReturnValue`. */
  sendSync(sender: WebContents, channel: string, args: unknown[], onReturnValue: (value: unknown) => void): number {
    return this.#ipcMain.deliver(channel, new MainEvent(sender, process.pid, onReturnValue), args)
  }

  invoke(sender: WebContents, channel: string, args: unknown[], settle: (result: InvokeResult) => void): void {
    if (this.durable?.invoke(sender, channel, args, settle)) return
    const event = new InvokeEvent(sender, process.pid)
    const found = this.#ipcMain.invokeHandler(channel, event, args, (outcome: CallOutcome) => {
      settle(outcome.ok ? outcome : { ok: false, failure: toInvokeFailure(outcome.error) })
    })
    if (!found) settle({ ok: false, failure: noHandler(channel) })
  }
}

export function noHandler(channel: string): InvokeFailure {
  return { text: `Error: No handler registered for '${channel}'`, name: 'Error', code: 'ERR_IPC_NO_HANDLER' }
}
