// A worker-thread renderer, main side: starts the thread, routes what its ipcRenderer sends to
// ipcMain, and posts webContents.send, invoke results and sendSync replies back to it.
import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import type { MessagePort, Worker, WorkerOptions } from 'node:worker_threads'
import type { InspectionEvent } from 'xstate'
import { startWorkerRendererActor } from '../../actors/workerRendererMachine.js'
import type { WorkerRendererActor } from '../../actors/workerRendererMachine.js'
import { DeliveryAborted } from '../durableDelivery.js'
import type { InboxEndpoint } from '../durableDelivery.js'
import type { Router } from '../router.js'
import { cloneArgs } from '../clone.js'
import type { ChannelMap, UntypedChannels, WebContents } from '../../types.js'
import { WebContentsImpl } from '../webContents.js'
import { DIRECT_NOTICE, DIRECT_OFF, fromWireError, isConnectMessage, postChecked, ToMainKind, ToWorkerKind } from './protocol.js'
import type { ConnectMessage, DirectFile, StoredEntry, ToMain, ToWorker, WorkerSetup } from './protocol.js'
import { answerSync, storeSend } from './syncAnswers.js'
import { answerInvoke } from './invokeAnswers.js'
import type { InvokeAnswering } from './invokeAnswers.js'
import type { Connection, SyncAnswers } from './syncAnswers.js'
import { spawnWithSetup } from './spawn.js'
import type { SpawnRendererOptions } from '../../types.js'

/**
 * The main side's handle on a worker-thread renderer. Events: `online` (its ipcRenderer connected),
 * `error` (an uncaught exception in the worker; logged when nobody listens), `exit` (exit code).
 *
 * @example
 * const win = broker.spawnRenderer(new URL('./renderer.js', import.meta.url), { id: 'window-2' })
 * win.webContents.send('notice', 'hi')
 * win.on('exit', (code) => console.log('renderer exited', code))
 * await win.terminate()
 */
export interface WorkerRenderer<C extends ChannelMap = UntypedChannels> extends EventEmitter {
  readonly id: string
  readonly webContents: WebContents<C>
  /** True once the thread ended and its messages were read; `exit` is emitted right after. */
  readonly exited: boolean
  /** The thread's exit code, once exited. */
  readonly exitCode: number | undefined
  /** Stops the thread; resolves with its exit code once the handle has emitted `exit`. */
  terminate(): Promise<number>
}

export interface WorkerRendererContext {
  router: Router
  syncTimeoutMs: number
  invokeTimeoutMs: number | undefined
  inspect: ((event: InspectionEvent) => void) | undefined
  /** A listener inside the worker threw (reported like a main-side listener's error). */
  onListenerError: (error: unknown, channel: string) => void
  /** Lets durable channels take a webContents.send; true when taken. */
  sendToInbox: (rendererId: string, channel: string, args: readonly unknown[]) => boolean
  /** The channels durable now: the worker's sends on them wait until stored. */
  durableChannels: () => readonly string[]
  /** Called once the renderer exited, before its `exit` event. */
  onExited: (renderer: WorkerRendererImpl) => void
  /** The broker's own SQLite file, if any: the worker stores its durable sends there itself. */
  file: DirectFile | undefined
  /** The worker stored these durable sends itself (directSends.ts): wake their consumers. */
  storedByWorker: (entries: readonly StoredEntry[]) => void
}

export class WorkerRendererImpl extends EventEmitter implements WorkerRenderer, InboxEndpoint {
  readonly id: string
  readonly webContents: WebContentsImpl
  /** Called when the worker starts or stops listening to a channel (durable inboxes hook in here). */
  onListenersChanged: ((channel: string) => void) | undefined
  readonly #context: WorkerRendererContext
  readonly #allow: ReadonlySet<string> | undefined
  readonly #worker: Worker
  readonly #actor: WorkerRendererActor
  readonly #listening = new Set<string>()
  readonly #durable = new Map<number, { resolve: () => void; reject: (reason: unknown) => void }>()
  readonly #exitWaiters: Array<(code: number) => void> = []
  #connection: Connection | undefined
  /** Where messages go; set only while the actor is online. */
  #port: MessagePort | undefined
  #destroyed = false
  #exitCode: number | undefined
  #durableSeq = 0
  #directOff = false
  readonly #invokes: InvokeAnswering
  readonly #syncAnswers: SyncAnswers = {
    router: () => this.#context.router,
    webContents: () => this.webContents,
    allowed: (channel) => this.#allowed(channel),
    // Answers go nowhere once the worker exited: it no longer waits for them.
    connection: () => (this.#exitCode === undefined ? this.#connection : undefined),
  }

  constructor(script: string | URL, options: SpawnRendererOptions, context: WorkerRendererContext) {
    super()
    this.id = options.id ?? randomUUID()
    this.#context = context
    this.#allow = options.allow ? new Set(options.allow) : undefined
    this.webContents = new WebContentsImpl(this.id, {
      send: (channel, args) => this.#sendToWorker(channel, args),
      isDestroyed: () => this.#destroyed,
    })
    this.#invokes = { router: context.router, rendererId: this.id, webContents: this.webContents, allowed: (channel) => this.#allowed(channel), port: () => this.#port }
    const setup: WorkerSetup = {
      id: this.id,
      allow: options.allow ? [...options.allow] : undefined,
      syncTimeoutMs: context.syncTimeoutMs,
      invokeTimeoutMs: context.invokeTimeoutMs,
      durable: [...context.durableChannels()],
    }
    if (context.file) setup.file = context.file
    const workerOptions: WorkerOptions = 'workerData' in options ? { workerData: options.workerData } : {}
    this.#worker = spawnWithSetup(script, workerOptions, setup)
    this.#actor = startWorkerRendererActor<ToWorker>(
      {
        id: this.id,
        hooks: {
          online: (held) => this.#goOnline(held),
          offline: () => {
            this.#port = undefined
            this.#destroyed = true
          },
          post: (message) => this.#port?.postMessage(message),
          terminate: () => {
            this.stopDirectSends()
            this.#destroyed = true
            this.#worker.terminate().catch(() => {})
          },
          exited: (code) => this.#finish(code),
        },
      },
      context.inspect,
    )
    this.#worker.on('message', (message: unknown) => {
      if (isConnectMessage(message)) this.#connect(message)
    })
    this.#worker.on('error', (error) => {
      if (this.listenerCount('error') > 0) this.emit('error', error)
      else console.error(`durable-ipc: renderer '${this.id}' threw:`, error)
    })
    this.#worker.on('exit', (code) => this.#actor.send({ type: 'exit', code }))
  }

  get exited(): boolean {
    return this.#exitCode !== undefined
  }

  get exitCode(): number | undefined {
    return this.#exitCode
  }

  terminate(): Promise<number> {
    if (this.#exitCode !== undefined) return Promise.resolve(this.#exitCode)
    const exited = new Promise<number>((resolve) => this.#exitWaiters.push(resolve))
    this.#actor.send({ type: 'terminate' })
    return exited
  }

  /** From now on the worker's durable sends are round trips to main again (the broker is closing). */
  stopDirectSends(): void {
    if (this.#connection) Atomics.store(this.#connection.sync, DIRECT_OFF, 1)
    else this.#directOff = true
  }

  /** True while the worker's ipcRenderer has a listener on `channel`. */
  listensTo(channel: string): boolean {
    return !this.#destroyed && this.#listening.has(channel)
  }

  /**
   * Calls the worker's listeners of `channel` with `args`: resolves when all of them returned (or
   * their promises resolved), rejects with the first failure, and rejects with DeliveryAborted when
   * the worker is not listening or exits first (hand the message on; it was not a failed attempt).
   */
  deliverDurable(channel: string, args: unknown[], meta: { messageId: number; attempt: number }): Promise<void> {
    if (this.#destroyed) return Promise.reject(new DeliveryAborted(`Renderer '${this.id}' has exited`))
    const id = ++this.#durableSeq
    const message: ToWorker = [ToWorkerKind.durable, id, meta.messageId, meta.attempt, channel, ...args]
    return new Promise<void>((resolve, reject) => {
      this.#durable.set(id, { resolve, reject })
      if (this.#port) this.#port.postMessage(message)
      else this.#actor.send({ type: 'post', message })
    })
  }

  /** Tells the worker that `channels` are durable now (held until it connected, like any message). */
  durableDeclared(channels: string[]): void {
    if (this.#destroyed) return
    const message: ToWorker = [ToWorkerKind.durableChannels, channels]
    if (this.#port) this.#port.postMessage(message)
    else this.#actor.send({ type: 'post', message })
  }

  #sendToWorker(channel: string, args: readonly unknown[]): void {
    // A durable channel's message waits in the inbox even for a renderer that is gone, as in-process.
    if (this.#context.sendToInbox(this.id, channel, args)) return
    if (this.#destroyed) return
    const port = this.#port
    if (port) return postChecked(port, [ToWorkerKind.message, channel, ...args] satisfies ToWorker, args, 'args')
    // Not connected yet: copied now, so a CloneError is thrown here and later mutations do not leak in.
    this.#actor.send({ type: 'post', message: [ToWorkerKind.message, channel, ...cloneArgs(args)] satisfies ToWorker })
  }

  #connect(message: ConnectMessage): void {
    if (this.#connection) return
    const { port, syncPort, shared } = message
    this.#connection = { port, syncPort, sync: new Int32Array(shared) }
    if (this.#directOff) Atomics.store(this.#connection.sync, DIRECT_OFF, 1)
    port.on('message', (m: ToMain) => this.#receive(m))
    port.on('close', () => this.#actor.send({ type: 'portClosed' }))
    // The Worker keeps the process alive while it runs; its port need not.
    port.unref()
    this.#actor.send({ type: 'connect' })
  }

  #goOnline(held: ToWorker[]): void {
    const port = this.#connection!.port
    for (const message of held) port.postMessage(message)
    this.#port = port
    queueMicrotask(() => this.emit('online'))
  }

  #receive(message: ToMain): void {
    switch (message[0]) {
      case ToMainKind.send: {
        const channel = message[1]
        const args = message.slice(2)
        // Checked in the worker already; checked again so a worker posting by hand gets nowhere.
        if (!this.#allowed(channel)) return
        const router = this.#context.router
        if (!router.isDurable(channel)) return router.send(this.webContents, channel, args)
        // A worker sends on the durable channels it knows of as durableSend. This one was declared
        // a moment ago and the worker did not know yet: stored on receipt (once no application
        // transaction is open, as a durableSend), after the worker's send returned, so a store error
        // can only go to 'error'.
        return router.storeTogether(channel, {
          store: () => router.sendDurable(this.webContents, channel, args),
          done: (error) => {
            if (error !== undefined) this.#context.onListenerError(error, channel)
          },
        })
      }
      case ToMainKind.sync:
        return answerSync(this.#syncAnswers, message[1], message[2], message.slice(3))
      case ToMainKind.durableSend:
        return storeSend(this.#syncAnswers, message[1], message[2], message.slice(3))
      case ToMainKind.invoke:
        return answerInvoke(this.#invokes, message[1], message[2], message.slice(3))
      case ToMainKind.listen:
        if (message[2]) this.#listening.add(message[1])
        else this.#listening.delete(message[1])
        this.onListenersChanged?.(message[1])
        return
      case ToMainKind.done: {
        const [, id, error, notListening] = message
        const pending = this.#durable.get(id)
        if (!pending) return
        this.#durable.delete(id)
        if (error === undefined) pending.resolve()
        else pending.reject(notListening ? new DeliveryAborted(`Renderer '${this.id}' stopped listening`) : fromWireError(error))
        return
      }
      case ToMainKind.listenerError:
        return this.#context.onListenerError(fromWireError(message[2]), message[1])
      case ToMainKind.stored:
        // Read: the worker's next direct send posts a notice again.
        Atomics.store(this.#connection!.sync, DIRECT_NOTICE, 0)
        return this.#context.storedByWorker(message.slice(1) as StoredEntry[])
    }
  }

  #allowed(channel: string): boolean {
    return this.#allow === undefined || this.#allow.has(channel)
  }

  #finish(code: number): void {
    this.#exitCode = code
    this.#destroyed = true
    this.#port = undefined
    this.#listening.clear()
    for (const pending of this.#durable.values()) pending.reject(new DeliveryAborted(`Renderer '${this.id}' exited before acknowledging`))
    this.#durable.clear()
    this.#context.onExited(this)
    queueMicrotask(() => {
      try {
        this.emit('exit', code)
      } finally {
        for (const resolve of this.#exitWaiters.splice(0)) resolve(code)
      }
    })
  }
}
