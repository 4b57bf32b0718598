// Durable channels as the public API sees them: options checked and turned into stored config,
// arguments encoded, the outbox rule applied, and the receivers of each subscription (ipcMain's
// listeners and handler, renderers' durable inboxes) handed to the dispatcher
// (actors/durable/dispatcher.ts), which stores, consumes and delivers.
import { Dispatcher } from '../actors/durable/dispatcher.js'
import type { DispatcherHooks } from '../actors/durable/dispatcher.js'
import type { WaitingWrite } from '../actors/durable/transactionWait.js'
import type { GroupedWrite } from '../actors/durable/groupCommit.js'
import { BrokerClosedError, InvalidArgumentError, InvokeTimeoutError, TransactionOpenError, UnknownChannelError } from '../errors.js'
import { deliverToInbox, deliverToMain, failedOnMain } from '../ipc/durableDelivery.js'
import type { InboxEndpoint } from '../ipc/durableDelivery.js'
import type { IpcMainImpl } from '../ipc/ipcMain.js'
import { assertChannel } from '../ipc/validation.js'
import { encodeEnvelope } from '../protocol/envelope.js'
import { inboxOf, MAIN } from '../protocol/subscriptions.js'
import type { Store } from '../store/index.js'
import type { WebContents } from '../types.js'
import { ChannelHandle } from './channelHandle.js'
import { toChannelConfig } from './channelOptions.js'
import { parseEnqueueOptions } from './enqueueOptions.js'
import type { EnqueueOptions, EnqueueResult } from './enqueueOptions.js'
import { parseItems, parseJobsOptions, parseWaitOptions } from './jobOptions.js'
import type { EnqueueManyOptions } from './jobOptions.js'
import { invokeOutcome, toJobInfo, toJobResult, waitedOutcome } from './jobs.js'
import type { PublishInput } from '../store/index.js'
import type { JobInfo, JobResult } from '../types.js'
import type { StoredEntry } from '../ipc/worker/protocol.js'
import { traceStoredElsewhere } from './diagnostics.js'

export interface DurableHooks extends DispatcherHooks {
  ipcMain: IpcMainImpl
  /** The live renderer with this id, if any. */
  endpoint: (rendererId: string) => InboxEndpoint | undefined
  /** The webContents to show as `event.sender` for a message stored by renderer `id`. */
  webContentsFor: (rendererId: string | null) => WebContents
}

export class DurableChannels {
  readonly #hooks: DurableHooks
  readonly #dispatcher: Dispatcher

  constructor(openStore: () => Store, hooks: DurableHooks, openNow: boolean) {
    this.#hooks = hooks
    this.#dispatcher = new Dispatcher(openStore, {
      ...hooks,
      // Declared here or learnt from the file: the listeners already here start consuming.
      onDeclared: (channel) => {
        hooks.onDeclared?.(channel)
        this.receiversChanged(channel)
      },
    }, openNow)
  }

  get store(): Store {
    return this.#dispatcher.store
  }

  get opened(): boolean {
    return this.#dispatcher.opened
  }

  isDurable(channel: string): boolean {
    return this.#dispatcher.isDurable(channel)
  }

  /**
   * Durable here, or declared since by another process (another node, with postgres) and learnt
   * now: a send to a renderer open elsewhere must not take such a channel for a transient one.
   */
  knowsDurable(channel: string): boolean {
    // A store never opened (in memory, transient channels only) holds no declaration.
    return this.#dispatcher.isDurable(channel) || (this.#dispatcher.opened && this.#dispatcher.knows(channel))
  }

  /** The channels durable now (worker renderers are told, so their sends on them wait until stored). */
  names(): string[] {
    return this.#dispatcher.names()
  }

  /** Declares (or updates) a durable channel; without options, returns a declared channel's handle. */
  channel(name: unknown, options?: unknown): ChannelHandle {
    assertChannel(name)
    if (options === undefined) {
      // Declared by another process since this one opened (and not learnt yet): known from now.
      if (!this.#dispatcher.knows(name)) throw new UnknownChannelError(name)
    } else {
      this.#dispatcher.declare(name, toChannelConfig(options, this.#dispatcher.config(name)))
      this.receiversChanged(name)
    }
    // A pause, resume or replay through the handle reaches this process's consumers at once.
    return new ChannelHandle(name, this.store, () => this.#dispatcher.controlChanged(name), () => {
      if (this.#dispatcher.closing) throw new BrokerClosedError()
    })
  }

  /** `ipcRenderer.send` or `broker.enqueue`: stored before this returns (see #refuseOutsideTransaction). */
  publish(sender: string | null, channel: string, args: readonly unknown[], options?: EnqueueOptions): EnqueueResult {
    const now = Date.now()
    const { key, visibleAt, priority, joinTransaction } = parseEnqueueOptions(options, now)
    const payload = encodeEnvelope(sender, args)
    if (!joinTransaction) this.#refuseOutsideTransaction(channel)
    return this.#dispatcher.publish({ channel, payload, kind: 'message', key, visibleAt: visibleAt ?? now, priority, now })
  }

  /** A durable invoke: the request is a stored job; the promise settles from its stored outcome. */
  invoke(sender: string, channel: string, args: readonly unknown[]): Promise<unknown> {
    const payload = encodeEnvelope(sender, args)
    this.#refuseOutsideTransaction(channel)
    const now = Date.now()
    const { id } = this.#dispatcher.publish({ channel, payload, kind: 'invoke', visibleAt: now, now })
    return this.#dispatcher.waitForJob(id, (end) => invokeOutcome(id, channel, end))
  }

  /** `broker.enqueueMany`: every item checked and encoded first, then all stored in one transaction. */
  publishMany(channel: string, items: unknown, options: EnqueueManyOptions = {}): EnqueueResult[] {
    const now = Date.now()
    const inputs = parseItems(items).map(({ args, options: itemOptions }, i): PublishInput => {
      try {
        const { key, visibleAt, priority } = parseEnqueueOptions(itemOptions, now)
        return { channel, payload: encodeEnvelope(null, args), kind: 'message', key, visibleAt: visibleAt ?? now, priority, now }
      } catch (error) {
        if (error instanceof Error) error.message = `enqueueMany item ${i}: ${error.message}`
        throw error
      }
    })
    const { joinTransaction } = parseEnqueueOptions(options, now)
    if (inputs.length === 0) return []
    if (!joinTransaction) this.#refuseOutsideTransaction(channel)
    return this.#dispatcher.publishMany(inputs)
  }

  job(id: number): JobInfo | undefined {
    const row = this.store.job(id, Date.now())
    return row && toJobInfo(row)
  }

  jobs(channel: string, options: unknown): JobInfo[] {
    if (!this.#dispatcher.knows(channel)) throw new UnknownChannelError(channel)
    return this.store.jobs(channel, parseJobsOptions(options), Date.now()).map(toJobInfo)
  }

  /** Settles once job `id` ended (see waitedOutcome), here or in another process, across restarts. */
  waitForJob(id: number, options: unknown): Promise<unknown> {
    const timeoutMs = parseWaitOptions(options)
    // With postgres a send's id lies in its node's range, above every id of PostgreSQL's sequence.
    const neverStored = (): boolean => (this.store.forwarding ? !this.store.forwarding.wasStored(id) : id > this.store.lastMessageId())
    if (this.#dispatcher.jobOutcome(id) === undefined && this.store.job(id, Date.now()) === undefined && neverStored()) {
      throw new InvalidArgumentError(`No job ${id}: no message was ever stored with this id`)
    }
    const timedOut = (): Error => {
      const error = new InvokeTimeoutError(`job ${id}`, timeoutMs!)
      error.message = `waitForJob(${id}) timed out after ${timeoutMs} ms (the job goes on)`
      return error
    }
    const timeout = timeoutMs === undefined ? undefined : { ms: timeoutMs, error: timedOut }
    return this.#dispatcher.waitForJob(id, (end) => waitedOutcome(id, end), timeout)
  }

  /** `webContents.send` on a durable channel: into the renderer's inbox. */
  sendToInbox(rendererId: string, channel: string, args: readonly unknown[]): void {
    const payload = encodeEnvelope(null, args)
    this.#refuseOutsideTransaction(channel)
    const now = Date.now()
    // fanOut false: the inbox gets only what is sent to this renderer, not the channel's other sends.
    this.#dispatcher.publish({ channel, subscription: inboxOf(rendererId), fanOut: false, payload, kind: 'message', visibleAt: now, now })
    this.inboxChanged(rendererId, channel)
  }

  /**
   * Durable sends a worker renderer stored itself (ipc/worker/directSends.ts): announced on
   * diagnostics_channel, their consumers here woken, the store's checkpoints paced.
   */
  storedByWorker(entries: readonly StoredEntry[]): void {
    if (this.#dispatcher.closing || !this.#dispatcher.opened) return
    traceStoredElsewhere(entries)
    this.store.noteCommits?.(entries.length)
    let woken: string | undefined
    for (const [channel] of entries) {
      if (channel === woken) continue
      woken = channel
      this.#dispatcher.wake(channel, MAIN)
    }
  }

  /** For durable writes from worker renderers: `write` runs once no application transaction is open. */
  afterTransaction(channel: string, write: WaitingWrite): void {
    this.#dispatcher.afterTransaction(channel, write)
  }

  /** For the durable sends of worker renderers: stored with the others of this turn, in one transaction. */
  storeTogether(channel: string, write: GroupedWrite): void {
    this.#dispatcher.storeTogether(channel, write)
  }

  jobResult(id: number): JobResult | undefined {
    const outcome = this.#dispatcher.jobOutcome(id)
    return outcome && toJobResult(id, outcome)
  }

  /**
   * Cancels job `id` if it is delayed, waiting or active (any process's); true when it was. See
   * Broker.cancel.
   */
  cancel(id: number): boolean {
    return this.#dispatcher.cancel(id)
  }

  /** The main-side listeners or handler of `channel` changed: start or stop consuming. */
  receiversChanged(channel: string): void {
    const { ipcMain, webContentsFor } = this.#hooks
    const hasReceiver = (): boolean => ipcMain.listenerCount(channel) > 0 || ipcMain.hasHandler(channel)
    this.#dispatcher.consume(channel, MAIN, hasReceiver(), () => ({
      hasReceiver,
      deliver: (message, done, control) => deliverToMain(ipcMain, webContentsFor, message, done, control),
      failed: (message, error) => failedOnMain(ipcMain, message, error),
    }))
  }

  /** Renderer `rendererId` opened, closed, or changed its listeners of `channel`. */
  inboxChanged(rendererId: string, channel: string): void {
    const listening = (): boolean => this.#hooks.endpoint(rendererId)?.listensTo(channel) ?? false
    this.#dispatcher.consume(channel, inboxOf(rendererId), listening(), () => ({
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
    this.#dispatcher.rendererGone(rendererId)
  }

  /** A schedule was changed here (api/schedules.ts): this broker's scheduler looks at once. */
  schedulesChanged(): void {
    this.#dispatcher.schedulesChanged()
  }

  /** Stops consuming, waits up to `timeoutMs` for deliveries in flight, and closes the store. */
  close(timeoutMs: number): Promise<void> {
    return this.#dispatcher.close(timeoutMs, new BrokerClosedError('The broker closed before the job settled; its result will be stored when it runs'))
  }

  // The outbox: a send joins the application's transaction only when made inside its
  // database.transaction(fn). One made while the application holds a transaction open by hand (BEGIN
  // held across an await) would join it and vanish if it rolls back, after the send returned.
  #refuseOutsideTransaction(channel: string): void {
    if (this.store.openTransaction?.() === 'outside') throw new TransactionOpenError(channel)
  }
}
