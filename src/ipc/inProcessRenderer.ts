// An in-process renderer endpoint: an ipcRenderer whose messages reach ipcMain by function call,
// queued so that they arrive asynchronously and in order, as over Electron's pipe.
import { randomUUID } from 'node:crypto'
import type { InspectionEvent } from 'xstate'
import { startRendererActor } from '../actors/rendererMachine.js'
import type { RendererActor } from '../actors/rendererMachine.js'
import { ContextReleasedError, SyncReplyError } from '../errors.js'
import { startInvokeTimeout } from './invokeTimeout.js'
import { DeferredQueue } from './deferredQueue.js'
import { DeliveryAborted } from './durableDelivery.js'
import type { InboxEndpoint } from './durableDelivery.js'
import { invokeRejection, toInvokeFailure } from './invokeErrors.js'
import { IpcRendererImpl } from './ipcRenderer.js'
import type { RendererTransport } from './ipcRenderer.js'
import type { InvokeResult, Router } from './router.js'
import { cloneArgs, cloneValue } from './clone.js'
import type { ChannelMap, Renderer, UntypedChannels } from '../types.js'
import { WebContentsImpl } from './webContents.js'

export interface RendererContext<C extends ChannelMap = UntypedChannels> {
  router: Router
  invokeTimeoutMs: number | undefined
  inspect: ((event: InspectionEvent) => void) | undefined
  onListenerError: (error: unknown, channel: string) => void
  /** Lets durable channels take a webContents.send; true when taken. */
  sendToInbox: (rendererId: string, channel: string, args: readonly unknown[]) => boolean
  onListenersChanged: (rendererId: string, channel: string) => void
  onClosed: (renderer: InProcessRenderer<C>) => void
}

// Generic in the channel map only for its ipcRenderer's types; every renderer is the same at run time.
export class InProcessRenderer<C extends ChannelMap = UntypedChannels> implements Renderer<C>, InboxEndpoint {
  readonly id: string
  readonly ipcRenderer: IpcRendererImpl<C>
  readonly webContents: WebContentsImpl
  readonly #actor: RendererActor
  readonly #toMain = new DeferredQueue()
  readonly #toRenderer = new DeferredQueue()
  readonly #context: RendererContext<C>
  /** Rejecters of invokes and durable deliveries not settled yet: a close settles them. */
  readonly #pending = new Set<(error: Error) => void>()

  constructor(options: { id?: string | undefined; allow?: readonly string[] | undefined }, context: RendererContext<C>) {
    this.id = options.id ?? randomUUID()
    this.#context = context
    this.ipcRenderer = new IpcRendererImpl<C>(this.#transport(), {
      id: this.id,
      allow: options.allow,
      onListenerError: context.onListenerError,
      onListenersChanged: (channel) => context.onListenersChanged(this.id, channel),
    })
    this.webContents = new WebContentsImpl(this.id, {
      send: (channel, args) => {
        if (context.sendToInbox(this.id, channel, args)) return
        if (this.ipcRenderer.released) return
        const copy = cloneArgs(args)
        this.#toRenderer.push(() => this.#actor.send({ type: 'message', channel, args: copy }))
      },
      isDestroyed: () => this.ipcRenderer.released,
    })
    this.#actor = startRendererActor(
      {
        id: this.id,
        dispatch: (channel, args) => this.ipcRenderer.dispatch(channel, args),
        deliverDurable: (channel, args) => this.ipcRenderer.deliverDurableInline(channel, args),
        onClosed: () => context.onClosed(this),
      },
      context.inspect,
    )
  }

  listensTo(channel: string): boolean {
    return !this.ipcRenderer.released && this.ipcRenderer.listenerCount(channel) > 0
  }

  deliverDurable(channel: string, args: unknown[]): Promise<void> {
    if (this.ipcRenderer.released) return Promise.reject(new DeliveryAborted('The renderer closed'))
    return this.#track<void>((resolve, reject) => {
      this.#toRenderer.push(() =>
        this.#actor.send({
          type: 'durable',
          channel,
          args,
          // Settled at once when the listeners answered synchronously, so a close in the same tick
          // cannot make a finished delivery come back; a close while a listener's promise is
          // pending hands the delivery on (the renderer is gone).
          settle: ({ done, error, threw }) => (threw ? reject(error) : done ? done.then(resolve, reject) : resolve()),
        }),
      )
    }, () => new DeliveryAborted('The renderer closed'))
  }

  get closed(): boolean {
    return this.ipcRenderer.released
  }

  close(): void {
    if (this.ipcRenderer.released) return
    this.ipcRenderer.release()
    this.#toMain.clear()
    this.#toRenderer.clear()
    for (const reject of [...this.#pending]) reject(new ContextReleasedError())
    this.#pending.clear()
    this.#actor.send({ type: 'close' })
  }

  // A promise that a close settles too: with `onClose()`'s error, or ContextReleasedError.
  #track<T>(executor: (resolve: (value: T) => void, reject: (error: unknown) => void) => void, onClose?: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const cancel = (error: Error): void => reject(onClose ? onClose() : error)
      this.#pending.add(cancel)
      executor(
        (value) => {
          this.#pending.delete(cancel)
          resolve(value)
        },
        (error) => {
          this.#pending.delete(cancel)
          reject(error)
        },
      )
    })
  }

  #transport(): RendererTransport {
    const { router, invokeTimeoutMs } = this.#context
    return {
      send: (channel, args) => {
        // Durable: stored before send returns. Transient: delivered in a moment, in order.
        if (router.sendDurable(this.webContents, channel, args)) return
        const copy = cloneArgs(args)
        this.#toMain.push(() => router.send(this.webContents, channel, copy))
      },
      sendSync: (channel, args) => {
        const copy = cloneArgs(args)
        // Everything sent before this call reaches the main side before it.
        this.#toMain.flush()
        let assigned = false
        let value: unknown
        const reached = router.sendSync(this.webContents, channel, copy, (v) => {
          assigned = true
          value = v
        })
        if (reached === 0) throw new SyncReplyError('ERR_IPC_NO_SYNC_LISTENER', `No listener for synchronous message on channel '${channel}'`)
        if (!assigned) {
          throw new SyncReplyError(
            'ERR_IPC_SYNC_NOT_ASSIGNED',
            `No listener of channel '${channel}' assigned event.returnValue synchronously; an in-process renderer cannot wait for it (assign it before any await, or use invoke)`,
          )
        }
        return cloneValue(value, 'returnValue')
      },
      invoke: (channel, args) => {
        const durable = router.invokeDurable(this.webContents, channel, args)
        if (durable) {
          // The caller stops waiting after invokeTimeoutMs; the job stays stored and runs.
          return this.#track((resolve, reject) => {
            const cancel = startInvokeTimeout(channel, invokeTimeoutMs, reject)
            durable.then(
              (value) => (cancel(), resolve(value)),
              (error: unknown) => (cancel(), reject(error)),
            )
          })
        }
        const copy = cloneArgs(args)
        return this.#track<unknown>((resolve, reject) => {
          let done = false
          const cancel = startInvokeTimeout(channel, invokeTimeoutMs, (error) => {
            done = true
            reject(error)
          })
          const settle = (result: InvokeResult): void => {
            // The reply travels the main-to-renderer path, behind messages the handler sent first.
            this.#toRenderer.push(() => {
              if (done) return
              done = true
              cancel()
              if (!result.ok) return reject(invokeRejection(channel, result.failure))
              try {
                resolve(cloneValue(result.value, 'result'))
              } catch (error) {
                reject(invokeRejection(channel, toInvokeFailure(error)))
              }
            })
          }
          this.#toMain.push(() => router.invoke(this.webContents, channel, copy, settle))
        })
      },
    }
  }
}
