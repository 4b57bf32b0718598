// The durable side of one broker: its store, the channels durable in it, one consumer actor per
// subscription that has a receiver here (children of the consumer pool, consumerPoolMachine.ts:
// spawned, woken and retired as receivers come and go),
// the callers waiting for jobs, the store's housekeeping and its scheduler (storeServices.ts). It knows receivers only as the
// callbacks the api layer hands it (api/durableChannels.ts): no ipcMain, no renderers.
import type { InspectionEvent } from 'xstate'
import { newOwnerId } from '../../store/index.js'
import type { ChannelConfig, PublishInput, PublishResult, Store } from '../../store/index.js'
import type { StoredOutcome } from '../../protocol/jobOutcome.js'
import { inboxOf, MAIN, subscriptionKey } from '../../protocol/subscriptions.js'
import { toPromise } from 'xstate'
import { startConsumerPool } from './consumerPoolMachine.js'
import { handOff } from './handOff.js'
import { Wakeups } from './wakeups.js'
import type { ConsumerPoolActor } from './consumerPoolMachine.js'
import type { ConsumerActor } from './consumerMachine.js'
import type { ConsumerWork } from './consumerWork.js'
import type { ConsumerInput } from './consumerInput.js'
import { JobWaiters } from './jobWaiters.js'
import type { JobEnd } from './jobWaiters.js'
import { StoreServices } from './storeServices.js'
import type { WaitingWrite } from './transactionWait.js'
import { WorkerWrites } from './groupCommit.js'
import { onePerOutage } from './outageReports.js'
import type { GroupedWrite } from './groupCommit.js'

/** What a subscription's receivers in this process offer its consumer. */
export type Receiver = Pick<ConsumerInput, 'hasReceiver' | 'deliver' | 'onJobSettled' | 'failed'>

export interface DispatcherHooks {
  inspect: ((event: InspectionEvent) => void) | undefined
  /** A store failure a consumer survived, or a listener's, reported on the broker. */
  reportError: (error: unknown, channel: string) => void
  trace?: ConsumerInput['onTrace']
  /** A channel became durable here (declared, or found declared by another process). */
  onDeclared?: (channel: string) => void
  /** How long job results are kept (ms; Infinity: forever). */
  jobResultRetentionMs: number
  /** How long a worker's durable write waits for the application's transaction to end. */
  busyTimeoutMs: number
}

export class Dispatcher {
  readonly #openStore: () => Store
  readonly #hooks: DispatcherHooks
  #store: Store | undefined
  /** The store watch, housekeeping, the scheduler and the forwarder, from the store's opening. */
  readonly #services = new StoreServices()
  readonly #configs = new Map<string, ChannelConfig>()
  /** One consumer actor per subscription with a receiver here, as children of one actor. */
  readonly #pool: ConsumerPoolActor
  readonly #wakeups: Wakeups
  readonly #workerWrites: WorkerWrites
  readonly #jobs = new JobWaiters(() => this.store)
  #closing = false
  /** Store failures and listeners' errors, as the hooks report them (one report per outage when forwarding). */
  #reportError: (error: unknown, channel: string) => void

  /** `openNow`: open the store at once (a file, an application's handle); else on first use. */
  constructor(openStore: () => Store, hooks: DispatcherHooks, openNow: boolean) {
    this.#openStore = openStore
    this.#hooks = hooks
    this.#reportError = hooks.reportError
    this.#pool = startConsumerPool(hooks.inspect)
    this.#wakeups = new Wakeups(this.#pool)
    this.#workerWrites = new WorkerWrites(() => this.store, hooks.busyTimeoutMs)
    if (openNow) this.#open()
  }

  get store(): Store {
    return this.#store ?? this.#open()
  }

  get opened(): boolean {
    return this.#store !== undefined
  }

  get closing(): boolean {
    return this.#closing
  }

  isDurable(channel: string): boolean {
    return this.#configs.has(channel)
  }

  /** The channels durable now. */
  names(): string[] {
    return [...this.#configs.keys()]
  }

  config(channel: string): ChannelConfig | undefined {
    return this.#configs.get(channel)
  }

  /** Stores a channel's (new) config. */
  declare(name: string, config: ChannelConfig): void {
    const known = this.#configs.has(name)
    this.store.declareChannel(name, config)
    this.#configs.set(name, config)
    if (!known) this.#hooks.onDeclared?.(name)
  }

  /** True when `name` is durable, learning it from the file if another process declared it since. */
  knows(name: string): boolean {
    if (this.#configs.has(name)) return true
    const stored = this.store.getChannel(name)
    if (stored) this.#learn(name, stored)
    return stored !== undefined
  }

  /**
   * Stores a message (before this returns) and wakes its consumer here, if any; one that is idle
   * with nothing else to claim takes it as it is stored (handOff.ts: one commit in all).
   */
  publish(input: PublishInput): PublishResult {
    const consumer = input.subscription === undefined ? this.#wakeups.handOffTo(input.channel) : undefined
    const published = consumer && handOff(this.store, consumer.getSnapshot().context.work, input)
    if (published) {
      if (published.claimed) this.#wakeups.hand(consumer!)
      else if (!published.duplicate) this.wake(input.channel, MAIN)
      return { id: published.id, duplicate: published.duplicate }
    }
    const result = this.store.publish(input)
    if (!result.duplicate && input.subscription === undefined) this.wake(input.channel, MAIN)
    return result
  }

  /** Stores several messages in one transaction (all or none) and wakes their consumer here. */
  publishMany(inputs: readonly PublishInput[]): PublishResult[] {
    const results = this.store.publishMany(inputs)
    const woken = new Set<string>()
    inputs.forEach((input, i) => {
      if (results[i]!.duplicate || input.subscription !== undefined || woken.has(input.channel)) return
      woken.add(input.channel)
      this.wake(input.channel, MAIN)
    })
    return results
  }

  /** Resolves with what `read` makes of how job `id` ended, here or in another process. */
  waitForJob<T>(id: number, read: (end: JobEnd) => T, timeout?: { ms: number; error: () => Error }): Promise<T> {
    return this.#jobs.wait(id, read, timeout)
  }

  jobOutcome(id: number): StoredOutcome | undefined {
    return this.#jobs.outcome(id)
  }

  /** A worker renderer's durable write: once no application transaction is open (groupCommit.ts). */
  afterTransaction(channel: string, write: WaitingWrite): void {
    this.#workerWrites.afterTransaction(channel, write)
  }

  /** A worker renderer's durable send: stored with the others of this turn, in one transaction. */
  storeTogether(channel: string, write: GroupedWrite): void {
    this.#workerWrites.storeTogether(channel, write)
  }

  /**
   * Consumes `subscription` of `channel` while `wanted` (its receivers here can take messages),
   * with the receiver `make` returns; wakes the consumer when it runs already, stops it when no
   * longer wanted.
   */
  consume(channel: string, subscription: string, wanted: boolean, make: () => Receiver): void {
    if (!this.#configs.has(channel) || this.#closing) return
    const key = subscriptionKey(channel, subscription)
    const { current, retiring } = this.#pool.getSnapshot().context
    if (current.has(key)) {
      this.#pool.send(wanted ? { type: 'wake', key } : { type: 'retire', key, handOver: false })
      return
    }
    if (!wanted) return
    if ([...retiring.values()].includes(key)) {
      // A renderer with this id just went away. Its deliveries in flight settle promptly (aborted,
      // or acknowledged if they had just finished) and go back to their place in line; claiming
      // before that would hand the new renderer the messages behind them first.
      const run = (): void => this.consume(channel, subscription, !this.#closing && make().hasReceiver(), make)
      this.#pool.send({ type: 'afterHandOver', key, run })
      return
    }
    const receiver = make()
    const input: ConsumerInput = {
      store: this.store,
      watch: this.#services.watch,
      channel,
      subscription,
      owner: newOwnerId(),
      config: () => this.#configs.get(channel)!,
      onError: (error) => this.#reportError(error, channel),
      hasReceiver: receiver.hasReceiver,
      deliver: receiver.deliver,
      onJobSettled: (id) => {
        this.#jobs.settled(id)
        receiver.onJobSettled?.(id)
      },
    }
    if (this.#hooks.trace) input.onTrace = this.#hooks.trace
    if (receiver.failed) input.failed = receiver.failed
    this.#pool.send({ type: 'start', key, input })
  }

  /** Every inbox consumer of a renderer that went away stops and hands its leases back at once. */
  rendererGone(rendererId: string): void {
    const suffix = subscriptionKey('', inboxOf(rendererId))
    for (const key of [...this.#pool.getSnapshot().context.current.keys()]) {
      if (key.endsWith(suffix)) this.#pool.send({ type: 'retire', key, handOver: true })
    }
  }

  /** Wakes the consumer of `channel`/`subscription` here, if any, after this burst of sends (wakeups.ts). */
  wake(channel: string, subscription: string): void {
    this.#wakeups.wake(channel, subscription)
  }

  // --- Job control: cancel, pause (the store's word holds for every process; this one hears at once) ---

  /**
   * Cancels job `id` if it is delayed, waiting or active, wherever it runs; true when it was. A
   * delivery of it here is aborted at once (another process's within its control read), and its
   * callers here reject now.
   */
  cancel(id: number): boolean {
    if (!this.store.cancel(id, Date.now())) return false
    const ids = new Set([id])
    for (const [, work] of this.#consumers()) work.controls.cancelled(ids)
    this.#jobs.settled(id)
    return true
  }

  /**
   * Something about `channel` changed in this process (a pause, a resume, a replay): each of its
   * consumers here (main and inboxes) reads the store's control state now and wakes, instead of
   * waiting for its next control read or claim.
   */
  controlChanged(channel: string): void {
    for (const [key, work] of this.#consumers(channel)) {
      work.controls.readNow()
      this.#pool.send({ type: 'wake', key })
    }
  }

  // The consumers of the pool (of `channel` only, when given), the retiring ones included.
  *#consumers(channel?: string): Generator<[string, ConsumerWork]> {
    const prefix = channel === undefined ? '' : subscriptionKey(channel, '')
    const children = this.#pool.getSnapshot().children as Record<string, ConsumerActor | undefined>
    for (const [id, child] of Object.entries(children)) {
      // A child's id is its subscription key and a sequence number (consumerPoolMachine.ts).
      const key = id.slice(0, id.lastIndexOf('#'))
      if (child && key.startsWith(prefix)) yield [key, child.getSnapshot().context.work]
    }
  }

  /** Stops consuming, waits up to `timeoutMs` for deliveries in flight, and closes the store. */
  async close(timeoutMs: number, jobsCutShort: Error): Promise<void> {
    this.#closing = true
    // No slot fires once closing began: its message would wait for the next process anyway.
    this.#services.stopScheduler()
    this.#workerWrites.close()
    // Consumers stopped earlier (a listener removed mid-delivery) still finish their deliveries.
    // A consumer still waiting at the timeout has written every answer that came in; what is left
    // in flight is handed back then, its attempt counted, so a broker reopened here gets it at once.
    this.#pool.send({ type: 'close', timeoutMs, detail: 'The broker closed (closeTimeoutMs)' })
    await toPromise(this.#pool)
    this.#jobs.abort(jobsCutShort)
    await this.#services.stop(timeoutMs)
    // The store closes only a database it opened: an application's own handle stays open.
    this.#store?.close()
  }

  #open(): Store {
    const store = this.#openStore()
    this.#store = store
    if (store.forwarding) this.#reportError = onePerOutage(this.#hooks.reportError)
    this.#services.start(store, {
      inspect: this.#hooks.inspect,
      reportError: (error, channel) => this.#reportError(error, channel),
      jobResultRetentionMs: this.#hooks.jobResultRetentionMs,
      listed: (channels) => {
        for (const { name, config } of channels) this.#configs.set(name, config)
      },
      learn: (name, config) => this.#learn(name, config),
      fired: (channel) => this.wake(channel, MAIN),
    })
    return store
  }

  /** A schedule was changed here: the scheduler reads the schedules again at once. */
  schedulesChanged(): void {
    this.#services.schedulesChanged()
  }

  // A declaration read from the file: a new one is announced, so its receivers here start consuming.
  #learn(name: string, config: ChannelConfig): void {
    const known = this.#configs.has(name)
    this.#configs.set(name, config)
    if (known || this.#closing) return
    this.#hooks.onDeclared?.(name)
  }
}
