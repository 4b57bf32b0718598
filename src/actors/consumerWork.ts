// The data side of one durable consumer: claiming batches, handing messages to the receiver,
// buffering acknowledgements and recording failures. consumerMachine.ts decides when each runs.
//
// Throughput comes from batching: one transaction claims a batch, one acknowledges a batch. A
// receiver that answers synchronously is settled inline, so a batch of synchronous listeners costs
// two transactions in all; only a late (async) answer becomes an event for the machine.
import type { ChannelConfig, ClaimedMessage, Store } from '../store/index.js'
import { backoffDelay } from './backoff.js'

/** How a receiver dealt with one message. `result` is what to store for an invoke job. */
export type DeliveryOutcome =
  | { ok: true; result?: Uint8Array }
  | { ok: false; error: unknown; result?: Uint8Array }
  /** No receiver after all (it went away): not an attempt's failure; the lease is handed back on stop. */
  | { ok: false; aborted: true }

export interface ConsumerInput {
  store: Store
  channel: string
  subscription: string
  owner: string
  config: () => ChannelConfig
  /** Whether anything in this process can take a message now. */
  hasReceiver: () => boolean
  /** Hands a message over; `done` may be called at once or later, exactly once. */
  deliver: (message: ClaimedMessage, done: (outcome: DeliveryOutcome) => void) => void
  /** A job's outcome was stored (the invoke caller may be waiting in this process). */
  onJobSettled?: (id: number) => void
  /** A store failure the consumer survived (it retries later). */
  onError: (error: unknown) => void
  /** Observability: 'deliver' | 'ack' | 'retry' | 'dead'. */
  onTrace?: (what: 'deliver' | 'ack' | 'retry' | 'dead', message: ClaimedMessage, error?: unknown) => void
}

/** Messages claimed per transaction. */
export const BATCH_SIZE = 256
/** Messages delivered before the consumer yields the event loop. */
const SLICE = 1024

export class ConsumerWork {
  readonly input: ConsumerInput
  inFlight = 0
  #batch: ClaimedMessage[] = []
  #head = 0
  #acks: number[] = []
  #pumping = false
  #flushScheduled = false
  #early: Array<[ClaimedMessage, DeliveryOutcome]> = []
  #lateOutcome: (message: ClaimedMessage, outcome: DeliveryOutcome) => void = (m, o) => void this.#early.push([m, o])

  constructor(input: ConsumerInput) {
    this.input = input
  }

  /** Where answers that arrive after pump() returned go (the machine turns them into events). */
  onLateOutcome(handler: (message: ClaimedMessage, outcome: DeliveryOutcome) => void): void {
    this.#lateOutcome = handler
    for (const [message, outcome] of this.#early.splice(0)) handler(message, outcome)
  }

  /**
   * Delivers as much as concurrency allows. Returns 'drained' when nothing is claimable, 'busy'
   * when waiting on answers, 'yield' when it stopped to let the event loop breathe, 'error' when
   * the store failed.
   */
  pump(): 'drained' | 'busy' | 'yield' | 'error' {
    const { concurrency } = this.input.config()
    this.#pumping = true
    let delivered = 0
    try {
      while (this.inFlight < concurrency) {
        if (!this.input.hasReceiver()) return this.inFlight > 0 ? 'busy' : 'drained'
        if (delivered >= SLICE) return 'yield'
        let message = this.#next()
        if (!message) {
          this.flushAcks()
          const claimed = this.#claim()
          if (claimed === undefined) return 'error'
          if (claimed === 0) return this.inFlight > 0 ? 'busy' : 'drained'
          message = this.#next()!
        }
        delivered++
        this.#deliver(message)
      }
      return 'busy'
    } finally {
      this.#pumping = false
      this.#scheduleFlush()
    }
  }

  // Acknowledgements wait at most one turn of the event loop: answers that come in within the same
  // turn (fast async listeners) share one transaction, and a crash loses only that turn's worth.
  #scheduleFlush(): void {
    if (this.#acks.length === 0 || this.#flushScheduled) return
    this.#flushScheduled = true
    setImmediate(() => {
      this.#flushScheduled = false
      this.flushAcks()
    })
  }

  /** Records an answer that came in as an event. */
  settle(message: ClaimedMessage, outcome: DeliveryOutcome): void {
    this.inFlight--
    this.#record(message, outcome)
  }

  /** Writes the buffered acknowledgements in one transaction. */
  flushAcks(): void {
    if (this.#acks.length === 0) return
    const ids = this.#acks
    this.#acks = []
    try {
      this.input.store.ack(ids, this.input.owner)
    } catch (error) {
      // Not acknowledged: the messages come back when their lease expires (at least once).
      this.input.onError(error)
    }
  }

  /** Hands back what was claimed but not delivered, so it is not counted as an attempt twice. */
  releaseUndelivered(): void {
    this.flushAcks()
    const undelivered = this.#batch.length - this.#head
    this.#batch = []
    this.#head = 0
    if (undelivered === 0 || this.inFlight > 0) return
    const { store, owner, subscription } = this.input
    try {
      store.release(owner, Date.now(), subscription)
    } catch (error) {
      this.input.onError(error) // their leases expire instead
    }
  }

  #next(): ClaimedMessage | undefined {
    return this.#head < this.#batch.length ? this.#batch[this.#head++] : undefined
  }

  #claim(): number | undefined {
    const { store, channel, subscription, owner } = this.input
    if (store.inTransaction()) return 0 // the application holds a transaction: our writes would join it
    const config = this.input.config()
    const limit = config.concurrency === 1 ? BATCH_SIZE : Math.max(BATCH_SIZE, config.concurrency)
    try {
      this.#batch = store.claim(channel, subscription, owner, Date.now(), config.leaseMs, limit)
    } catch (error) {
      this.input.onError(error)
      this.#batch = []
      this.#head = 0
      return undefined
    }
    this.#head = 0
    return this.#batch.length
  }

  #deliver(message: ClaimedMessage): void {
    this.inFlight++
    this.input.onTrace?.('deliver', message)
    let settled = false
    const done = (outcome: DeliveryOutcome): void => {
      if (settled) return
      settled = true
      if (this.#pumping) this.settle(message, outcome)
      else this.#lateOutcome(message, outcome)
    }
    try {
      this.input.deliver(message, done)
    } catch (error) {
      done({ ok: false, error })
    }
  }

  #record(message: ClaimedMessage, outcome: DeliveryOutcome): void {
    const { store, owner } = this.input
    try {
      if (outcome.ok) {
        if (outcome.result) {
          store.ackWithResult(message.id, owner, true, outcome.result, Date.now())
          this.input.onJobSettled?.(message.id)
        } else {
          this.#acks.push(message.id)
          if (this.#acks.length >= BATCH_SIZE) this.flushAcks()
        }
        this.input.onTrace?.('ack', message)
        return
      }
      if ('aborted' in outcome) {
        // Handed back at once for the next receiver (here or in another process); the attempt stays counted.
        store.fail({ id: message.id, owner, error: 'delivery aborted: the receiver went away', retryAt: Date.now(), now: Date.now() })
        return
      }
      const config = this.input.config()
      const now = Date.now()
      const final = message.attempt >= config.maxAttempts
      this.input.onTrace?.(final ? 'dead' : 'retry', message, outcome.error)
      if (final && outcome.result) {
        // A job that used up its attempts: the caller gets the error, stored as the job's result.
        store.ackWithResult(message.id, owner, false, outcome.result, now)
        this.input.onJobSettled?.(message.id)
        return
      }
      const retryAt = final ? null : now + backoffDelay({ initialMs: config.backoffInitialMs, maxMs: config.backoffMaxMs }, message.attempt)
      store.fail({ id: message.id, owner, error: errorText(outcome.error), retryAt, now })
    } catch (error) {
      this.input.onError(error)
    }
  }
}

/** An error as stored: its stack (which starts with name and message), or its string form. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`
  try {
    return String(error)
  } catch {
    return Object.prototype.toString.call(error)
  }
}
