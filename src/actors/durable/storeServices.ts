// What runs over a durable store while a broker has it open (dispatcher.ts): the forwarder of a
// store-and-forward store, the watch of other processes' commits, housekeeping and the scheduler of
// persisted schedules. Started together when the store opens, stopped together when it closes;
// before the store opens there are none, and stopping them does nothing.
import { toPromise } from 'xstate'
import type { InspectionEvent } from 'xstate'
import type { ChannelConfig, Store } from '../../store/index.js'
import { whenAnswered } from './answer.js'
import { startForwarder } from './forwarderMachine.js'
import type { ForwarderActor } from './forwarderMachine.js'
import { startHousekeeping } from './housekeepingMachine.js'
import type { HousekeepingActor } from './housekeepingMachine.js'
import { startScheduler } from './schedulerMachine.js'
import type { SchedulerActor } from './schedulerMachine.js'
import { startStoreWatch } from './storeWatchMachine.js'
import type { StoreWatchActor } from './storeWatchMachine.js'

export interface StoreServiceHooks {
  inspect: ((event: InspectionEvent) => void) | undefined
  /** Store failures, as the dispatcher reports them (once per outage when forwarding). */
  reportError: (error: unknown, channel: string) => void
  /** How long job results are kept (ms; Infinity: forever). */
  jobResultRetentionMs: number
  /** The channels declared in the store when it opened. */
  listed: (channels: ReturnType<Store['listChannels']>) => void
  /** A declaration read from the store later (housekeeping). */
  learn: (name: string, config: ChannelConfig) => void
  /** A schedule's slot fired a message on `channel`. */
  fired: (channel: string) => void
}

export class StoreServices {
  /** One watcher of other processes' commits for all idle consumers of this store. */
  #watch: StoreWatchActor | undefined
  #housekeeping: HousekeepingActor | undefined
  /** Fires the persisted schedules' slots (schedulerMachine.ts). */
  #scheduler: SchedulerActor | undefined
  /** Moves a store-and-forward store's local rows to PostgreSQL (forwarderMachine.ts). */
  #forwarder: ForwarderActor | undefined

  /** The store watch; there is one once start() ran. */
  get watch(): StoreWatchActor {
    return this.#watch!
  }

  /** Starts them all over `store`, as it opens. */
  start(store: Store, hooks: StoreServiceHooks): void {
    if (store.forwarding) {
      this.#forwarder = startForwarder({ forwarding: store.forwarding, onError: (error) => hooks.reportError(error, '*') }, { inspect: hooks.inspect })
    }
    hooks.listed(store.listChannels())
    this.#watch = startStoreWatch({ store, onError: (error) => hooks.reportError(error, '*') }, hooks.inspect)
    // A restart takes back at once what this host's dead processes held, instead of after the lease.
    // Best effort (a read-only handle, a busy file): those leases also expire by themselves.
    whenAnswered(() => store.releaseDeadOwners(Date.now()), () => {}, () => {
      // the store watch's sweeps try again
    })
    // Job results pruned at open and once a minute; channels declared since, by another process,
    // learnt within a second.
    this.#housekeeping = startHousekeeping(
      { store, retentionMs: hooks.jobResultRetentionMs, onChannel: hooks.learn },
      { inspect: hooks.inspect },
    )
    this.#scheduler = startScheduler(
      { store, onFired: hooks.fired, onError: hooks.reportError },
      { inspect: hooks.inspect },
    )
  }

  /** A schedule was changed here: the scheduler reads the schedules again at once. */
  schedulesChanged(): void {
    this.#scheduler?.send({ type: 'wake' })
  }

  /** No slot fires once closing began: its message would wait for the next process anyway. */
  stopScheduler(): void {
    this.#scheduler?.send({ type: 'stop' })
  }

  /** Stops the rest, once the consumers are done; the forwarder within `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    this.#housekeeping?.send({ type: 'stop' })
    this.#watch?.send({ type: 'stop' })
    await this.#stopForwarder(timeoutMs)
  }

  // What waits in the outbox is forwarded while PostgreSQL answers, within the close's time.
  async #stopForwarder(timeoutMs: number): Promise<void> {
    const forwarder = this.#forwarder
    if (!forwarder) return
    forwarder.send({ type: 'stop' })
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))
    await Promise.race([toPromise(forwarder), late])
    clearTimeout(timer)
    forwarder.stop()
  }
}
