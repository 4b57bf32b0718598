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

/** Messages claimed per transaction, at most (or `concurrency`, if larger). */
export const BATCH_SIZE = 256
/**
 * A claim takes the free slots plus about this many milliseconds of waiting work, judged by how
 * long deliveries take. Fast (synchronous) listeners get whole batches; slow ones only what they
 * can start soon: a message claimed and still waiting when the process is killed has its attempt
 * counted, and a handful of crashes must not use up the attempts of jobs that never ran.
 */
const CLAIM_AHEAD_MS = 100
/** Messages delivered before the consumer yields the event loop. */
const SLICE = 1024
/**
 * How long acknowledgements of answers that came in late (async listeners) wait for company: one
 * per event-loop turn would be one transaction per delivery.
 */
const LATE_ACK_MS = 1
/** How soon acknowledgements held back by an open application transaction are tried again. */
const TRANSACTION_RETRY_MS = 5

export class ConsumerWork {
  readonly input: ConsumerInput
  inFlight = 0
  #batch: ClaimedMessage[] = []
  #head = 0
  /** When the leases of the batch's undelivered messages need renewing (half their lease gone). */
  #renewAt = 0
  /** How long a delivery takes (ms, a moving average); undefined until one has settled. */
  #deliveryMs: number | undefined
  #acks: number[] = []
  /** Some buffered acknowledgement came from an answer that arrived after its pump (async). */
  #lateAcks = false
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
   * Delivers as much as concurrency allows. Returns 'drained' when nothing is claimable now (there
   * may be answers outstanding: with concurrency > 1 the consumer must still notice new messages
   * meanwhile), 'busy' when every slot waits on an answer, 'yield' when it stopped to let the event
   * loop breathe, 'error' when the store failed.
   */
  pump(): 'drained' | 'busy' | 'yield' | 'error' {
    const { concurrency } = this.input.config()
    this.#pumping = true
    let delivered = 0
    try {
      while (this.inFlight < concurrency) {
        if (!this.input.hasReceiver()) return 'drained'
        if (delivered >= SLICE) return 'yield'
        let message = this.#next()
        if (!message) {
          this.flushAcks()
          const claimed = this.#claim()
          if (claimed === undefined) return 'error'
          if (claimed === 0) return 'drained'
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

  // Acknowledgements of synchronous answers wait at most one turn of the event loop; those of async
  // answers (which come one a turn) up to LATE_ACK_MS, so that they share a transaction too. A crash
  // redelivers only what was answered in that window (at least once).
  #scheduleFlush(delayMs = this.#lateAcks ? LATE_ACK_MS : 0): void {
    if (this.#acks.length === 0 || this.#flushScheduled) return
    this.#flushScheduled = true
    const flush = (): void => {
      this.#flushScheduled = false
      this.flushAcks()
    }
    if (delayMs === 0) setImmediate(flush)
    else setTimeout(flush, delayMs)
  }

  /** Records an answer that came in as an event. */
  settle(message: ClaimedMessage, outcome: DeliveryOutcome): void {
    this.inFlight--
    this.#record(message, outcome)
  }

  /** Writes the buffered acknowledgements in one transaction. */
  flushAcks(): void {
    if (this.#acks.length === 0) return
    // Inside the application's own transaction (the outbox) an ack would commit or roll back with
    // it: a rollback would bring back messages already handled. Write it once that one is over.
    if (this.input.store.inTransaction()) return this.#scheduleFlush(TRANSACTION_RETRY_MS)
    const ids = this.#acks
    this.#acks = []
    this.#lateAcks = false
    try {
      this.input.store.ack(ids, this.input.owner)
    } catch (error) {
      // Not acknowledged: the messages come back when their lease expires (at least once).
      this.input.onError(error)
    }
  }

  /**
   * On stop: writes the acknowledgements, and hands back at once (at their place in line, their
   * attempt not counted) the messages claimed but not delivered, so that the next consumer of the
   * subscription, here or in another process, gets them in order instead of after their lease.
   * Deliveries in flight keep their leases until they settle.
   */
  releaseBatch(): void {
    this.flushAcks()
    const undelivered = this.#batch.slice(this.#head).map((m) => m.id)
    this.#batch = []
    this.#head = 0
    if (undelivered.length > 0) this.#handBackLater(undelivered)
  }

  // A listener removed inside the application's transaction stops the consumer there: a hand-back
  // written then would roll back with it and leave the messages leased by a consumer that is gone.
  #handBackLater(ids: number[]): void {
    const { store, owner } = this.input
    if (store.inTransaction()) {
      setTimeout(() => this.#handBackLater(ids), TRANSACTION_RETRY_MS)
      return
    }
    try {
      store.handBack(ids, owner, Date.now(), false)
    } catch (error) {
      this.input.onError(error) // their leases expire instead
    }
  }

  #next(): ClaimedMessage | undefined {
    if (this.#head >= this.#batch.length) return undefined
    if (Date.now() >= this.#renewAt) this.#renew()
    return this.#head < this.#batch.length ? this.#batch[this.#head++] : undefined
  }

  // A batch is claimed at once but delivered one slot at a time: with slow listeners its last
  // messages would outlive their lease before their delivery starts, and another process would
  // take them over, a duplicate with nothing crashed. Renewing once half the lease is gone keeps
  // them ours; the ones another process took meanwhile are dropped from the batch.
  #renew(): void {
    const { store, owner } = this.input
    const leaseMs = this.input.config().leaseMs
    const now = Date.now()
    const waiting = this.#batch.slice(this.#head)
    let held: Set<number>
    try {
      held = new Set(store.renew(waiting.map((m) => m.id), owner, now + leaseMs))
    } catch (error) {
      this.input.onError(error)
      held = new Set() // unsure what is still ours: leave all of it to lease expiry
    }
    this.#batch = waiting.filter((m) => held.has(m.id))
    this.#head = 0
    this.#renewAt = now + leaseMs / 2
  }

  #claim(): number | undefined {
    const { store, channel, subscription, owner } = this.input
    if (store.inTransaction()) return 0 // the application holds a transaction: our writes would join it
    const config = this.input.config()
    const limit = this.#claimLimit(config.concurrency)
    try {
      const now = Date.now()
      this.#batch = store.claim(channel, subscription, owner, now, config.leaseMs, limit)
      this.#renewAt = now + config.leaseMs / 2
    } catch (error) {
      this.input.onError(error)
      this.#batch = []
      this.#head = 0
      return undefined
    }
    this.#head = 0
    return this.#batch.length
  }

  // Free slots, plus CLAIM_AHEAD_MS worth of deliveries at the pace seen so far; the first claim,
  // before any pace is known, takes only the free slots.
  #claimLimit(concurrency: number): number {
    const free = Math.max(1, concurrency - this.inFlight)
    const most = Math.max(BATCH_SIZE, concurrency)
    const ms = this.#deliveryMs
    if (ms === undefined) return free
    if (ms <= 0) return most
    return Math.min(most, Math.max(free, Math.floor((concurrency * CLAIM_AHEAD_MS) / ms)))
  }

  #deliver(message: ClaimedMessage): void {
    this.inFlight++
    this.input.onTrace?.('deliver', message)
    const started = performance.now()
    let settled = false
    const done = (outcome: DeliveryOutcome): void => {
      if (settled) return
      settled = true
      const ms = performance.now() - started
      this.#deliveryMs = this.#deliveryMs === undefined ? ms : this.#deliveryMs * 0.8 + ms * 0.2
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
          if (!this.#pumping) this.#lateAcks = true
          if (this.#acks.length >= BATCH_SIZE) this.flushAcks()
        }
        this.input.onTrace?.('ack', message)
        return
      }
      if ('aborted' in outcome) {
        // Handed back at once for the next receiver (here or in another process), at its place in
        // line so that it still comes before the messages behind it; the attempt stays counted.
        store.handBack([message.id], owner, Date.now(), true)
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
