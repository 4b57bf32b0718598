// What a durable consumer is given by its host (the durable channels of a broker) and what a
// receiver answers for each delivery: the contract between actors/ and the api layer above.
import type { ChannelConfig, ClaimedMessage, Store } from '../../store/index.js'
import type { StoreWatchEvent } from './storeWatchMachine.js'

/** How a receiver dealt with one message. `result` is what to store for an invoke job. */
export type DeliveryOutcome =
  | { ok: true; result?: Uint8Array }
  /** `final`: no retry can succeed (the stored message cannot be read): dead-lettered at once. */
  | { ok: false; error: unknown; result?: Uint8Array; final?: true }
  /** No receiver after all (it went away): not an attempt's failure; the lease is handed back on stop. */
  | { ok: false; aborted: true }
  /** The job was cancelled (its message is gone): nothing is recorded, nothing retried. */
  | { ok: false; cancelled: true }

/**
 * What a receiver can do about one delivery while it runs (a durable event's `signal` and
 * `progress`). One object per consumer, shared by its deliveries: nothing is made for a delivery
 * that uses neither.
 */
export interface DeliveryControl {
  /**
   * The delivery's abort signal, made on first use: aborted with JobCancelledError,
   * JobTimeoutError or BrokerClosedError (close() gave up on it).
   */
  signal(message: ClaimedMessage): AbortSignal
  /** The delivery's latest progress, serialized and checked by the caller; ignored once it ended. */
  progress(message: ClaimedMessage, payload: Uint8Array): void
}

export interface ConsumerInput {
  store: Store
  /** The store's watcher: told when this consumer idles, so that other processes' commits wake it. */
  watch: { send(event: StoreWatchEvent): void }
  channel: string
  subscription: string
  owner: string
  config: () => ChannelConfig
  /** Whether anything in this process can take a message now. */
  hasReceiver: () => boolean
  /** Hands a message over; `done` may be called at once or later, exactly once. */
  deliver: (message: ClaimedMessage, done: (outcome: DeliveryOutcome) => void, control: DeliveryControl) => void
  /**
   * The outcome of a delivery the consumer failed itself with `error` (its timeout ran out): a
   * handler job's carries its failure to store. `{ ok: false, error }` when omitted.
   */
  failed?: (message: ClaimedMessage, error: Error) => DeliveryOutcome
  /** A job's outcome was stored (the invoke caller may be waiting in this process). */
  onJobSettled?: (id: number) => void
  /** A store failure the consumer survived (it retries later). */
  onError: (error: unknown) => void
  /** Observability: 'deliver' | 'ack' | 'retry' | 'dead'. */
  onTrace?: (what: 'deliver' | 'ack' | 'retry' | 'dead', message: ClaimedMessage, error?: unknown) => void
  /** Time and timers; the real clock when omitted. */
  clock?: DurableClock
}

/**
 * Where a consumer takes time from: `now()` for the times it stores and compares (visible at,
 * retry at, lease until), and the timers of its machine. Tests pass XState's SimulatedClock.
 */
export interface DurableClock {
  now(): number
  setTimeout(fn: (...args: unknown[]) => void, timeout: number): unknown
  clearTimeout(id: unknown): void
}

/** The real clock: wall-clock time (shared by every process on the file) and Node's timers. */
export const realClock: DurableClock = {
  now: () => Date.now(),
  setTimeout: (fn, timeout) => setTimeout(fn, timeout),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
}

/**
 * The real clock with unref'd timers, for background loops (housekeeping, schedules): no reason
 * for the process to stay alive.
 */
export const backgroundClock: DurableClock = {
  now: () => Date.now(),
  setTimeout: (fn, timeout) => setTimeout(fn, timeout).unref(),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
}
