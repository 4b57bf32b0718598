// Durable channels: which channels are durable, how their messages are stored, and the consumer
// actors that deliver them to ipcMain's listeners and handlers and to renderers' durable inboxes.
import type { InspectionEvent } from 'xstate'
import { startConsumer } from '../actors/durable/consumerMachine.js'
import type { ConsumerActor } from '../actors/durable/consumerMachine.js'
import type { ConsumerInput } from '../actors/durable/consumerInput.js'
import { startStoreWatch } from '../actors/durable/storeWatchMachine.js'
import type { StoreWatchActor } from '../actors/durable/storeWatchMachine.js'
import { BrokerClosedError, TransactionOpenError, UnknownChannelError } from '../errors.js'
import { newOwnerId } from '../store/index.js'
import type { ChannelConfig, Store } from '../store/index.js'
import { toChannelConfig } from './channelOptions.js'
import { ChannelHandle } from './channelHandle.js'
import { watchDeclarations } from './channelWatch.js'
import { inboxOf, MAIN, subscriptionKey } from '../protocol/subscriptions.js'
import { deliverToInbox, deliverToMain } from '../ipc/durableDelivery.js'
import { parseEnqueueOptions } from './enqueueOptions.js'
import type { EnqueueOptions, EnqueueResult } from './enqueueOptions.js'
import type { InboxEndpoint } from '../ipc/durableDelivery.js'
import type { IpcMainImpl } from '../ipc/ipcMain.js'
import { startJobResultPruning } from './jobRetention.js'
import { JobWaiters } from './jobs.js'
import type { JobResult } from './jobs.js'
import { encodeEnvelope } from '../protocol/envelope.js'
import { TransactionWait } from '../ipc/transactionWait.js'
import type { WaitingWrite } from '../ipc/transactionWait.js'
import type { WebContents } from '../types.js'
import { assertChannel } from '../ipc/validation.js'


export interface DurableHooks {
  ipcMain: IpcMainImpl
  inspect: ((event: InspectionEvent) => void) | undefined
  reportError: (error: unknown, channel: string) => void
  /** The live renderer with this id, if any. */
  endpoint: (rendererId: string) => InboxEndpoint | undefined
  /** The webContents to show as `event.sender` for a message stored by renderer `id`. */
  webContentsFor: (rendererId: string | null) => WebContents
  trace?: ConsumerInput['onTrace']
  /** A channel became durable in this broker (declared, or found declared by another process). */
  onDeclared?: (channel: string) => void
  /** How long job results are kept (ms; Infinity: forever). */
  jobResultRetentionMs: number
  /** How long a worker's durable write waits for the application's transaction to end. */
  busyTimeoutMs: number
}

export class DurableChannels {
  readonly #openStore: () => Store
  readonly #hooks: DurableHooks
  #store: Store | undefined
  #stopPruning: (() => void) | undefined
  #stopWatching: (() => void) | undefined
  /** One watcher of other processes' commits for all idle consumers of this store. */
  #watch: StoreWatchActor | undefined
  readonly #configs = new Map<string, ChannelConfig>()
  readonly #consumers = new Map<string, ConsumerActor>()
  /** Consumers told to stop that still have deliveries in flight. */
  readonly #retiring = new Set<ConsumerActor>()
  /** Inbox consumers of renderers that went away, by consumer key, until their deliveries settled. */
  readonly #handingOver = new Map<string, ConsumerActor>()
  readonly #jobs = new JobWaiters(() => this.store)
  #transactionWait: TransactionWait | undefined
  #closing = false

  constructor(openStore: () => Store, hooks: DurableHooks, openNow: boolean) {
    this.#openStore = openStore
    this.#hooks = hooks
    if (openNow) this.#open()
  }

  get store(): Store {
    return this.#store ?? this.#open()
  }

  get opened(): boolean {
    return this.#store !== undefined
  }

  isDurable(channel: string): boolean {
    return this.#configs.has(channel)
  }

  /** The channels durable now (worker renderers are told, so their sends on them wait until stored). */
  names(): string[] {
    return [...this.#configs.keys()]
  }

  /** Declares (or updates) a durable channel; without options, returns a declared channel's handle. */
  channel(name: unknown, options?: unknown): ChannelHandle {
    assertChannel(name)
    if (options === undefined) {
      if (!this.#configs.has(name)) {
        // Declared by another process since this one opened (and not learnt yet): known from now.
        const stored = this.store.getChannel(name)
        if (!stored) throw new UnknownChannelError(name)
        this.#learn(name, stored)
      }
    } else {
      const config = toChannelConfig(options, this.#configs.get(name))
      const known = this.#configs.has(name)
      this.store.declareChannel(name, config)
      this.#configs.set(name, config)
      if (!known) this.#hooks.onDeclared?.(name)
      this.receiversChanged(name)
    }
    return new ChannelHandle(name, this.store, () => this.#wake(name, MAIN), () => {
      if (this.#closing) throw new BrokerClosedError()
    })
  }

  /** `ipcRenderer.send` or `broker.enqueue`: stored before this returns (see #refuseOutsideTransaction). */
  publish(sender: string | null, channel: string, args: readonly unknown[], options: EnqueueOptions = {}): EnqueueResult {
    const { key, visibleAt, joinTransaction } = parseEnqueueOptions(options)
    const payload = encodeEnvelope(sender, args)
    if (!joinTransaction) this.#refuseOutsideTransaction(channel)
    const now = Date.now()
    const result = this.store.publish({ channel, payload, kind: 'message', key, visibleAt: visibleAt ?? now, now })
    if (!result.duplicate) this.#wake(channel, MAIN)
    return result
  }

  /** A durable invoke: the request is a stored job; the promise settles from its stored outcome. */
  invoke(sender: string, channel: string, args: readonly unknown[]): Promise<unknown> {
    const payload = encodeEnvelope(sender, args)
    this.#refuseOutsideTransaction(channel)
    const now = Date.now()
    const { id } = this.store.publish({ channel, payload, kind: 'invoke', visibleAt: now, now })
    this.#wake(channel, MAIN)
    return this.#jobs.wait(id, channel)
  }

  /** `webContents.send` on a durable channel: into the renderer's inbox. */
  sendToInbox(rendererId: string, channel: string, args: readonly unknown[]): void {
    const payload = encodeEnvelope(null, args)
    this.#refuseOutsideTransaction(channel)
    const now = Date.now()
    this.store.publish({ channel, subscription: inboxOf(rendererId), payload, kind: 'message', visibleAt: now, now })
    this.inboxChanged(rendererId, channel)
  }

  /**
   * For durable writes from worker renderers: runs `write` once the application holds no
   * transaction open on a shared database (at once when none is), never inside one (see
   * transactionWait.ts). In-process sends are refused instead (#refuseOutsideTransaction).
   */
  afterTransaction(channel: string, write: WaitingWrite): void {
    this.#transactionWait ??= new TransactionWait(() => this.store.inTransaction(), this.#hooks.busyTimeoutMs)
    this.#transactionWait.run(channel, write)
  }

  jobResult(id: number): JobResult | undefined {
    return this.#jobs.result(id)
  }

  /** The main-side listeners or handler of `channel` changed: start or stop consuming. */
  receiversChanged(channel: string): void {
    if (!this.#configs.has(channel) || this.#closing) return
    const { ipcMain } = this.#hooks
    const has = ipcMain.listenerCount(channel) > 0 || ipcMain.hasHandler(channel)
    this.#ensureConsumer(channel, MAIN, has, () => ({
      hasReceiver: () => ipcMain.listenerCount(channel) > 0 || ipcMain.hasHandler(channel),
      deliver: (message, done) => deliverToMain(ipcMain, this.#hooks.webContentsFor, message, done),
      onJobSettled: (id) => this.#jobs.settled(id),
    }))
  }

  /** Renderer `rendererId` opened, closed, or changed its listeners of `channel`. */
  inboxChanged(rendererId: string, channel: string): void {
    if (!this.#configs.has(channel) || this.#closing) return
    const listening = (): boolean => this.#hooks.endpoint(rendererId)?.listensTo(channel) ?? false
    this.#ensureConsumer(channel, inboxOf(rendererId), listening(), () => ({
      hasReceiver: listening,
      deliver: (message, done) => {
        const endpoint = this.#hooks.endpoint(rendererId)
        if (!endpoint) return done({ ok: false, aborted: true })
        deliverToInbox(endpoint, channel, message, done)
      },
    }))
  }

  /** Every inbox consumer of a renderer that went away stops and hands its leases back at once. */
  rendererGone(rendererId: string): void {
    const inbox = inboxOf(rendererId)
    for (const [key, actor] of this.#consumers) {
      if (key.endsWith(subscriptionKey('', inbox))) {
        this.#consumers.delete(key)
        this.#retire(actor, key)
      }
    }
  }

  /** Stops consuming, waits up to `timeoutMs` for deliveries in flight, and closes the store. */
  async close(timeoutMs: number): Promise<void> {
    this.#closing = true
    this.#transactionWait?.close()
    for (const actor of this.#consumers.values()) this.#retire(actor)
    this.#consumers.clear()
    // Consumers stopped earlier (a listener removed mid-delivery) still finish their deliveries.
    const actors = [...this.#retiring]
    const stopped = actors.map((actor) => new Promise<void>((resolve) => {
      actor.subscribe({ complete: () => resolve(), error: () => resolve() })
      if (actor.getSnapshot().status !== 'active') resolve()
    }))
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.all(stopped), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))])
    clearTimeout(timer)
    // A consumer still waiting has written every answer that came in; what is left in flight is
    // handed back now, its attempt counted, so a broker reopened in this process gets it at once.
    for (const actor of actors) {
      actor.getSnapshot().context.work.abandon('The broker closed (closeTimeoutMs)')
      actor.stop()
    }
    this.#retiring.clear()
    this.#jobs.abort(new BrokerClosedError('The broker closed before the job settled; its result will be stored when it runs'))
    this.#stopPruning?.()
    this.#stopWatching?.()
    this.#watch?.send({ type: 'stop' })
    // The store closes only a database it opened: an application's own handle stays open.
    this.#store?.close()
  }

  // The outbox: a send joins the application's transaction only when made inside its
  // database.transaction(fn). One made while the application holds a transaction open by hand (BEGIN
  // held across an await) would join it and vanish if it rolls back, after the send returned.
  #refuseOutsideTransaction(channel: string): void {
    if (this.store.openTransaction() === 'outside') throw new TransactionOpenError(channel)
  }

  #open(): Store {
    const store = this.#openStore()
    this.#store = store
    for (const { name, config } of store.listChannels()) this.#configs.set(name, config)
    // Declared since, by another process: learnt within a second.
    this.#stopWatching = watchDeclarations(store, (name, config) => this.#learn(name, config))
    this.#watch = startStoreWatch({ store, onError: (error) => this.#hooks.reportError(error, '*') }, this.#hooks.inspect)
    // A restart takes back at once what this host's dead processes held, instead of after the lease.
    // Best effort (a read-only handle, a busy file): those leases also expire by themselves.
    try {
      store.releaseDeadOwners(Date.now())
    } catch {
      // the consumers' idle sweeps try again
    }
    this.#stopPruning = startJobResultPruning(store, this.#hooks.jobResultRetentionMs)
    return store
  }

  // A declaration read from the file: new ones start consuming for the listeners already here.
  #learn(name: string, config: ChannelConfig): void {
    const known = this.#configs.has(name)
    this.#configs.set(name, config)
    if (known || this.#closing) return
    this.#hooks.onDeclared?.(name)
    this.receiversChanged(name)
  }

  #ensureConsumer(
    channel: string,
    subscription: string,
    wanted: boolean,
    make: () => Pick<ConsumerInput, 'hasReceiver' | 'deliver' | 'onJobSettled'>,
  ): void {
    const key = subscriptionKey(channel, subscription)
    const existing = this.#consumers.get(key)
    if (existing && !wanted) {
      this.#consumers.delete(key)
      this.#retire(existing)
      return
    }
    if (existing) {
      existing.send({ type: 'wake' })
      return
    }
    if (!wanted) return
    const predecessor = this.#handingOver.get(key)
    if (predecessor) {
      // A renderer with this id just went away. Its deliveries in flight settle promptly (aborted,
      // or acknowledged if they had just finished) and go back to their place in line; claiming
      // before that would hand the new renderer the messages behind them first.
      predecessor.subscribe({ complete: () => this.#ensureConsumer(channel, subscription, !this.#closing && make().hasReceiver(), make) })
      return
    }
    const store = this.store
    const input: ConsumerInput = {
      store,
      watch: this.#watch!,
      channel,
      subscription,
      owner: newOwnerId(),
      config: () => this.#configs.get(channel)!,
      onError: (error) => this.#hooks.reportError(error, channel),
      ...make(),
    }
    if (this.#hooks.trace) input.onTrace = this.#hooks.trace
    this.#consumers.set(key, startConsumer(input, this.#hooks.inspect))
  }

  // Stops a consumer; close() waits for it too while its deliveries in flight finish. With `key`
  // (its renderer is gone), the next consumer of that inbox starts only once this one finished.
  #retire(actor: ConsumerActor, key?: string): void {
    if (actor.getSnapshot().status !== 'active') return
    this.#retiring.add(actor)
    if (key !== undefined) this.#handingOver.set(key, actor)
    const done = (): void => {
      this.#retiring.delete(actor)
      if (key !== undefined && this.#handingOver.get(key) === actor) this.#handingOver.delete(key)
    }
    // Subscribed before the next consumer's wait (ensureConsumer), so the hand-over is clear first.
    actor.subscribe({ complete: done, error: done })
    actor.send({ type: 'stop' })
  }

  // Wake-ups wait for the current burst of sends to end (one setImmediate), so that a loop of
  // sends is claimed as one batch instead of one claim transaction per message.
  #wake(channel: string, subscription: string): void {
    const key = subscriptionKey(channel, subscription)
    if (!this.#consumers.has(key) || this.#toWake.has(key)) return
    this.#toWake.add(key)
    if (this.#toWake.size === 1) setImmediate(this.#wakeAll)
  }

  readonly #toWake = new Set<string>()
  readonly #wakeAll = (): void => {
    for (const key of this.#toWake) this.#consumers.get(key)?.send({ type: 'wake' })
    this.#toWake.clear()
  }
}
