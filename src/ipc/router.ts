// The main side's entry for messages from renderers, whatever carries them (a function call for an
// in-process renderer, a MessagePort for a worker): routes each to ipcMain's listeners or handler.
import type { CallOutcome } from '../actors/listenerActor.js'
import { InvokeEvent, MainEvent } from './events.js'
import type { IpcMainImpl } from './ipcMain.js'
import { toInvokeFailure } from './invokeErrors.js'
import type { InvokeFailure } from './invokeErrors.js'
import type { WaitingWrite } from '../actors/durable/transactionWait.js'
import type { GroupedWrite } from '../actors/durable/groupCommit.js'
import type { WebContents } from '../types.js'

export type InvokeResult = { ok: true; value: unknown } | { ok: false; failure: InvokeFailure }

/** Where durable channels hook in: a channel this claims is stored, not delivered as a transient one. */
export interface DurableRouting {
  isDurable(channel: string): boolean
  /** Stores a send (synchronously: stored before send returns). */
  send(sender: WebContents, channel: string, args: readonly unknown[]): void
  /** Stores an invoke request; the promise settles from its stored outcome. */
  invoke(sender: WebContents, channel: string, args: readonly unknown[]): Promise<unknown>
  /** Runs `write` when the application holds no transaction open on a shared database (a worker's durable write). */
  afterTransaction(channel: string, write: WaitingWrite): void
  /** Stores a worker's durable send with the others of this turn, in one transaction (group commit). */
  storeTogether(channel: string, write: GroupedWrite): void
}

export class Router {
  readonly #ipcMain: IpcMainImpl
  durable: DurableRouting | undefined

  constructor(ipcMain: IpcMainImpl) {
    this.#ipcMain = ipcMain
  }

  isDurable(channel: string): boolean {
    return this.durable?.isDurable(channel) ?? false
  }

  /**
   * Runs a worker's durable write (`write(undefined)`) once no application transaction is open on
   * a shared database, or answers it with the error that refused it (`write(error)`).
   */
  afterTransaction(channel: string, write: WaitingWrite): void {
    if (this.durable) this.durable.afterTransaction(channel, write)
    else write(undefined)
  }

  /**
   * Stores a worker's durable send with the others that reach main in this turn, in one
   * transaction, and then answers it (`write.done`); see actors/durable/groupCommit.ts.
   */
  storeTogether(channel: string, write: GroupedWrite): void {
    if (this.durable) return this.durable.storeTogether(channel, write)
    let error: unknown
    try {
      if (!write.store()) return
    } catch (failure) {
      error = failure
    }
    write.done(error)
  }

  /** Stores a send on a durable channel, before returning; false for a transient channel. */
  sendDurable(sender: WebContents, channel: string, args: readonly unknown[]): boolean {
    if (!this.durable?.isDurable(channel)) return false
    this.durable.send(sender, channel, args)
    return true
  }

  /** Stores an invoke on a durable channel; undefined for a transient channel. */
  invokeDurable(sender: WebContents, channel: string, args: readonly unknown[]): Promise<unknown> | undefined {
    return this.durable?.isDurable(channel) ? this.durable.invoke(sender, channel, args) : undefined
  }

  /** A `send` from a renderer on a transient channel; `args` are already the receiver's copy. */
  send(sender: WebContents, channel: string, args: unknown[]): void {
    this.#ipcMain.deliver(channel, new MainEvent(sender, process.pid), args)
  }

  /** A `sendSync`: returns how many listeners it reached; the first returnValue goes to `onReturnValue`. */
  sendSync(sender: WebContents, channel: string, args: unknown[], onReturnValue: (value: unknown) => void): number {
    return this.#ipcMain.deliver(channel, new MainEvent(sender, process.pid, onReturnValue), args)
  }

  invoke(sender: WebContents, channel: string, args: unknown[], settle: (result: InvokeResult) => void): void {
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
