// createBroker: the main side (ipcMain), its renderers, and the error reporting that keeps a
// throwing listener from taking the process down. Its durable side is wired in brokerDurable.ts,
// its stats() read in brokerStats.ts.
import { EventEmitter } from 'node:events'
import { BrokerClosedError, InvalidArgumentError } from '../errors.js'
import { assertBrokerOptions } from './brokerOptions.js'
import type { CreateBrokerOptions } from './brokerOptions.js'
import type { DirectFile } from '../ipc/worker/protocol.js'
import type { BrokerStats } from '../protocol/stats.js'
import type { Broker } from './brokerInterface.js'
import { durableRouting, openDurableChannels } from './brokerDurable.js'
import type { DeliveryCounts } from './brokerDurable.js'
import { collectStats } from './brokerStats.js'
import type { ChannelHandle } from './channelHandle.js'
import type { DurableChannelOptions } from './channelOptions.js'
import type { DurableChannels } from './durableChannels.js'
import type { EnqueueOptions, EnqueueResult } from './enqueueOptions.js'
import type { InboxEndpoint } from '../ipc/durableDelivery.js'
import { IpcMainImpl } from '../ipc/ipcMain.js'
import { directFileOf } from './brokerOptions.js'
import { InProcessRenderer } from '../ipc/inProcessRenderer.js'
import { assertRendererOptions, assertSpawnOptions } from './rendererOptions.js'
import { Schedules } from './schedules.js'
import { Router } from '../ipc/router.js'
import type { ScheduleInfo, ScheduleOptions } from '../types.js'
import type { ChannelMap, JobInfo, JobResult, JobsOptions, RendererOptions, SpawnRendererOptions, UntypedChannels, WaitForJobOptions, WebContentsModule } from '../types.js'
import { assertJobId } from './jobOptions.js'
import type { EnqueueManyItem, EnqueueManyOptions } from './jobOptions.js'
import { assertChannel, assertOptionalMs } from '../ipc/validation.js'
import { closeBroker, startBrokerLifecycle } from '../actors/brokerMachine.js'
import { assertRendererId, webContentsFor } from './rendererAddress.js'
import type { RendererAddressHooks } from './rendererAddress.js'
import type { WebContentsImpl } from '../ipc/webContents.js'
import { WorkerRendererImpl } from '../ipc/worker/mainSide.js'
import { registerBoardAccess } from './boardAccess.js'

export type { Broker, BrokerStats } from './brokerInterface.js'


class BrokerImpl<C extends ChannelMap> extends EventEmitter implements Broker<C> {
  readonly ipcMain: IpcMainImpl
  readonly #router: Router
  readonly #renderers = new Map<string, InProcessRenderer<C>>()
  readonly #workers = new Map<string, WorkerRendererImpl>()
  readonly #options: CreateBrokerOptions
  /** The broker's own SQLite file, which its worker renderers store their durable sends in too. */
  readonly #file: DirectFile | undefined
  readonly #durable: DurableChannels
  readonly #counts: DeliveryCounts = new Map()
  /** Channels with main-side listeners or a handler, for stats(): ipcMain lists handlers nowhere. */
  readonly #receiverChannels = new Set<string>()
  readonly #lifecycle = startBrokerLifecycle({ shutdown: () => this.#shutdown() })
  readonly #schedules = new Schedules(() => this.#durable.store, () => this.#durable.schedulesChanged())
  readonly #address: RendererAddressHooks = {
    live: (id) => (this.#renderers.get(id) ?? this.#workers.get(id))?.webContents,
    knowsDurable: (channel) => this.#durable.knowsDurable(channel),
    sendToInbox: (id, channel, args) => this.#durable.sendToInbox(id, channel, args),
  }
  readonly webContents: WebContentsModule<C> = {
    fromId: (id) => {
      this.#assertOpen()
      assertRendererId(id)
      return this.#webContentsFor(id)
    },
  }

  constructor(options: CreateBrokerOptions) {
    super()
    this.#options = options
    this.ipcMain = new IpcMainImpl({
      inspect: options.inspect,
      onListenerError: (error, channel) => this.reportError(error, channel),
      onListenersChanged: (channel) => {
        // Kept exact (not only added to), so that channels named per request do not pile up.
        if (this.ipcMain.listenerCount(channel) > 0 || this.ipcMain.hasHandler(channel)) this.#receiverChannels.add(channel)
        else this.#receiverChannels.delete(channel)
        this.#durable.receiversChanged(channel)
      },
    })
    this.#router = new Router(this.ipcMain)
    this.#file = directFileOf(options)
    this.#durable = openDurableChannels(options, {
      ipcMain: this.ipcMain,
      reportError: (error, channel) => this.reportError(error, channel),
      endpoint: (id) => this.endpoint(id),
      webContentsFor: (id) => this.#webContentsFor(id),
      // Worker renderers block their sends on durable channels until stored: they must know them.
      onDeclared: (channel) => {
        for (const worker of this.#workers.values()) worker.durableDeclared([channel])
      },
    }, this.#counts, this.#file?.writeLock)
    const durable = this.#durable
    this.#router.durable = durableRouting(durable)
    // --- The web board's way in (api/boardAccess.ts): not part of the public API ---
    registerBoardAccess(this, {
      store: () => durable.store,
      counts: () => this.#counts,
      open: () => this.#lifecycle.getSnapshot().value === 'open',
    })
  }

  channel(name: string, options?: DurableChannelOptions): ChannelHandle {
    this.#assertOpen()
    return this.#durable.channel(name, options)
  }

  enqueue(channel: string, args: readonly unknown[], options?: EnqueueOptions): EnqueueResult {
    this.#assertDurable(channel)
    if (!Array.isArray(args)) throw new InvalidArgumentError('Expected args to be an array of arguments')
    return this.#durable.publish(null, channel, args, options)
  }

  cancel(id: number): boolean {
    this.#assertOpen()
    if (!Number.isSafeInteger(id)) throw new InvalidArgumentError('Expected a job id (an integer)')
    // A broker that never opened its (in-memory) store holds no job.
    return this.#durable.opened && this.#durable.cancel(id)
  }

  jobResult<T = unknown>(id: number): JobResult<T> | undefined {
    this.#assertOpen()
    if (!Number.isSafeInteger(id)) throw new InvalidArgumentError('Expected a job id (an integer)')
    // The value is whatever the handler returned, decoded from the store: T is the caller's word for it.
    return this.#durable.jobResult(id) as JobResult<T> | undefined
  }

  enqueueMany(channel: string, items: ReadonlyArray<EnqueueManyItem<readonly unknown[]>>, options?: EnqueueManyOptions): EnqueueResult[] {
    this.#assertDurable(channel)
    return this.#durable.publishMany(channel, items, options)
  }

  job(id: number): JobInfo | undefined {
    this.#assertOpen()
    assertJobId(id)
    return this.#durable.job(id)
  }

  jobs(channel: string, options: JobsOptions = {}): JobInfo[] {
    this.#assertOpen()
    assertChannel(channel)
    return this.#durable.jobs(channel, options)
  }

  async waitForJob<T = unknown>(id: number, options: WaitForJobOptions = {}): Promise<T> {
    this.#assertOpen()
    assertJobId(id)
    return (await this.#durable.waitForJob(id, options)) as T
  }

  stats(): BrokerStats {
    this.#assertOpen()
    return collectStats({
      durable: this.#durable,
      ipcMain: this.ipcMain,
      counts: this.#counts,
      receiverChannels: this.#receiverChannels,
      isOpen: (id) => this.endpoint(id) !== undefined,
    }, Date.now())
  }

  // Schedules: checked and stored by api/schedules.ts, fired by the scheduler of every broker on the file.
  schedule(name: string, options: ScheduleOptions): ScheduleInfo {
    this.#assertOpen()
    return this.#schedules.schedule(name, options)
  }

  schedules(): ScheduleInfo[] {
    this.#assertOpen()
    return this.#schedules.list()
  }

  unschedule(name: string): boolean {
    this.#assertOpen()
    return this.#schedules.unschedule(name)
  }

  /** The live renderer with this id, as durable inboxes see it. */
  endpoint(id: string): InboxEndpoint | undefined {
    return this.#renderers.get(id) ?? this.#workers.get(id)
  }

  createRenderer(options: RendererOptions = {}): InProcessRenderer<C> {
    this.#assertOpen()
    assertRendererOptions(options)
    if (options.id !== undefined && (this.#renderers.has(options.id) || this.#workers.has(options.id))) {
      throw new InvalidArgumentError(`A renderer with id '${options.id}' is already open`)
    }
    const renderer = new InProcessRenderer<C>(options, {
      router: this.#router,
      invokeTimeoutMs: this.#options.invokeTimeoutMs,
      inspect: this.#options.inspect,
      onListenerError: (error, channel) => this.reportError(error, channel),
      sendToInbox: (id, channel, args) => this.#sendToInbox(id, channel, args),
      onListenersChanged: (id, channel) => this.#durable.inboxChanged(id, channel),
      onClosed: (r) => {
        if (this.#renderers.get(r.id) !== r) return
        this.#renderers.delete(r.id)
        this.#durable.rendererGone(r.id)
      },
    })
    this.#renderers.set(renderer.id, renderer)
    return renderer
  }

  spawnRenderer(script: string | URL, options: SpawnRendererOptions = {}): WorkerRendererImpl {
    this.#assertOpen()
    assertSpawnOptions(script, options)
    assertOptionalMs(this.#options.syncTimeoutMs, 'syncTimeoutMs')
    if (options.id !== undefined && (this.#renderers.has(options.id) || this.#workers.has(options.id))) {
      throw new InvalidArgumentError(`A renderer with id '${options.id}' is already open`)
    }
    const renderer = new WorkerRendererImpl(script, options, {
      router: this.#router,
      syncTimeoutMs: this.#options.syncTimeoutMs ?? 30_000,
      invokeTimeoutMs: this.#options.invokeTimeoutMs,
      inspect: this.#options.inspect,
      onListenerError: (error, channel) => this.reportError(error, channel),
      sendToInbox: (id, channel, args) => this.#sendToInbox(id, channel, args),
      durableChannels: () => this.#durable.names(),
      file: this.#file,
      storedByWorker: (entries) => this.#durable.storedByWorker(entries),
      onExited: (r) => {
        if (this.#workers.get(r.id) !== r) return
        this.#workers.delete(r.id)
        this.#durable.rendererGone(r.id)
      },
    })
    renderer.onListenersChanged = (channel) => this.#durable.inboxChanged(renderer.id, channel)
    this.#workers.set(renderer.id, renderer)
    return renderer
  }

  /** Every caller waits for the same shutdown: a second close() resolves when the first has finished. */
  close(): Promise<void> {
    return closeBroker(this.#lifecycle)
  }

  #assertOpen(): void {
    if (this.#lifecycle.getSnapshot().value !== 'open') throw new BrokerClosedError()
  }

  // A main-side producer's channel: open broker, a valid name, declared durable (here or before).
  #assertDurable(channel: string): void {
    this.#assertOpen()
    assertChannel(channel)
    if (!this.#durable.isDurable(channel)) this.#durable.channel(channel) // throws UnknownChannelError unless declared before
  }

  async #shutdown(): Promise<void> {
    // Workers store their durable sends through main again, which refuses them once closing.
    for (const worker of this.#workers.values()) worker.stopDirectSends()
    // Durable deliveries first: their listeners (and renderers) must still be there to finish.
    await this.#durable.close(this.#options.closeTimeoutMs ?? 10_000)
    for (const renderer of [...this.#renderers.values()]) renderer.close()
    await Promise.all([...this.#workers.values()].map((worker) => worker.terminate()))
    this.ipcMain.stopActors()
  }

  #sendToInbox(rendererId: string, channel: string, args: readonly unknown[]): boolean {
    if (!this.#durable.isDurable(channel)) return false
    this.#durable.sendToInbox(rendererId, channel, args)
    return true
  }

  // event.sender of a stored message, and webContents.fromId: see api/rendererAddress.ts.
  #webContentsFor(id: string | null): WebContentsImpl {
    return webContentsFor(this.#address, id)
  }

  /** A listener's failure, or one the durable side survived: on the broker's 'error' event, or console.error when nobody listens. */
  reportError(error: unknown, channel: string): void {
    if (this.listenerCount('error') > 0) this.emit('error', error, channel)
    // Not only listeners report here: a store failure a consumer or the scheduler survived does too.
    else console.error(`durable-ipc: error on channel '${channel}' (a listener threw, or the store failed; handle these with broker.on('error')):`, error)
  }
}

/**
 * Creates a broker. `Channels` optionally types every channel's arguments and invoke result.
 *
 * @example
 * const broker = createBroker<{ add: { args: [number, number]; result: number } }>()
 * broker.ipcMain.handle('add', (event, a, b) => a + b)
 * await broker.createRenderer().ipcRenderer.invoke('add', 1, 2) // 3
 */
export function createBroker<C extends ChannelMap = UntypedChannels>(options: CreateBrokerOptions = {}): Broker<C> {
  assertBrokerOptions(options)
  return new BrokerImpl<C>(options)
}
