// The data side of one durable consumer: claiming batches, handing messages to the receiver,
// buffering acknowledgements, recording starts, keeping leases and recording failures.
// consumerMachine.ts decides when each runs.
//
// Throughput comes from batching: one transaction claims a batch, one acknowledges a batch. A
// receiver that answers synchronously is settled inline, so a batch of synchronous listeners costs
// two transactions in all; only a late (async) answer becomes an event for the machine.
//
// Attempts count the deliveries that started, recorded in the transactions that run anyway, so a
// crash charges no attempt to a message claimed ahead that never started:
// - the claim counts the deliveries it starts at once;
// - a delivery that takes LATE_ACK_MS or more (a job) has its start recorded before its receiver
//   is called, in the transaction that acknowledges the previous ones (which such deliveries
//   need one of each anyway): exact, whenever the crash comes;
// - faster deliveries are recorded by the next report (acknowledgements, at most LATE_ACK_MS
//   later): a delivery answered or started within that last millisecond before a crash goes
//   uncounted, and its message is then marked careful by the store (store/sqlite/endLeases.ts). A
//   careful message's start is always recorded before it is delivered, so a message that keeps
//   taking the process down uses up its attempts and reaches the dead letters.
//
// Leases: every message this consumer holds (waiting in its batch or being delivered) is renewed
// in one transaction every leaseMs / 3, for as long as the process runs, so a long delivery is
// never taken over by another process while its owner is alive.
//
// Control (deliveryControl.ts): a delivery that times out, or whose job is cancelled, ends here
// at once (its slot is free, its late answer ignored); a pause seen while a batch waits hands the
// batch back, and no claim is made until the channel is resumed.
import type { ClaimedMessage } from '../../store/index.js'
import { BrokerClosedError } from '../../errors.js'
import { BATCH_SIZE, claimLimit } from './claimLimit.js'
import { realClock } from './consumerInput.js'
import type { ConsumerInput, DeliveryOutcome, DurableClock } from './consumerInput.js'
import { DeliveryControls } from './deliveryControl.js'
import { recordOutcome } from './recordOutcome.js'
import { RenewalTimer } from './renewalTimer.js'

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
  readonly clock: DurableClock
  /** Deliveries handed to the receiver and not settled, by message id. */
  readonly #running = new Map<number, ClaimedMessage>()
  /** Of those, the ones whose start is not recorded yet (the next report records it). */
  readonly #unstarted = new Set<number>()
  #batch: ClaimedMessage[] = []
  #head = 0
  // A batch is claimed at once but delivered one slot at a time, and a delivery may run for much
  // longer than its lease: without renewals another process would take either over, a duplicate
  // with nothing crashed.
  readonly #renewal: RenewalTimer
  /** How long a delivery takes (ms, a moving average); undefined until one has settled. */
  #deliveryMs: number | undefined
  #acks: number[] = []
  /** Some buffered acknowledgement came from an answer that arrived after its pump (async). */
  #lateAcks = false
  #pumping = false
  #flushScheduled = false
  #early: Array<[ClaimedMessage, DeliveryOutcome]> = []
  #lateOutcome: (message: ClaimedMessage, outcome: DeliveryOutcome) => void = (m, o) => void this.#early.push([m, o])
  /** Signals, progress, timeouts, cancels and pauses of this consumer's deliveries. */
  readonly controls: DeliveryControls

  constructor(input: ConsumerInput) {
    this.input = input
    this.clock = input.clock ?? realClock
    this.controls = new DeliveryControls(input, this.clock, {
      isRunning: (message) => this.#running.get(message.id) === message,
      running: () => this.#running.values(),
      waiting: () => this.#batch.slice(this.#head),
      // As if it had answered: the machine records it (a failure) or drops it (a cancel).
      end: (message, outcome) => this.#lateOutcome(message, outcome),
      drop: (ids) => {
        this.#batch = this.#batch.slice(this.#head).filter((message) => !ids.has(message.id))
        this.#head = 0
      },
      releaseBatch: () => this.releaseBatch(),
    })
    this.#renewal = new RenewalTimer(this.clock, () => {
      if (!this.input.store.mayWrite()) this.#renewal.at = this.clock.now() + TRANSACTION_RETRY_MS
      else this.flushAcks(true)
      this.#armRenewal()
    })
  }

  get inFlight(): number {
    return this.#running.size
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
    const config = this.input.config()
    const { concurrency } = config
    this.#pumping = true
    let delivered = 0
    try {
      while (this.inFlight < concurrency) {
        if (!this.input.hasReceiver()) return 'drained'
        if (delivered >= SLICE) return 'yield'
        let message = this.#next()
        if (!message) {
          if (this.controls.pausedNow()) return 'drained'
          this.flushAcks()
          const claimed = this.#claim()
          if (claimed === undefined) return 'error'
          if (claimed === 0) return 'drained'
          message = this.#next()!
        }
        if (!message.started && (message.careful || this.#slow()) && !this.#recordStart(message)) {
          this.#head-- // still ours: tried again after the back-off
          return 'error'
        }
        delivered++
        this.#deliver(message, config.timeoutMs)
      }
      return 'busy'
    } finally {
      this.#pumping = false
      this.#scheduleFlush()
    }
  }

  // Acknowledgements of synchronous answers wait at most one turn of the event loop; those of async
  // answers (which come one a turn), and the starts of deliveries still running, up to LATE_ACK_MS,
  // so that they share a transaction too. A crash redelivers only what was answered in that window
  // (at least once).
  #scheduleFlush(delayMs = this.#lateAcks || this.#unstarted.size > 0 ? LATE_ACK_MS : 0): void {
    if ((this.#acks.length === 0 && this.#unstarted.size === 0) || this.#flushScheduled) return
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
    // Abandoned by close() (its lease was handed back), timed out or cancelled: ended already.
    if (this.#running.get(message.id) !== message) return
    this.#running.delete(message.id)
    this.#unstarted.delete(message.id)
    this.controls.ended(message)
    recordOutcome(this.input, this.clock, message, outcome, (id) => {
      this.#acks.push(id)
      if (!this.#pumping) this.#lateAcks = true
      if (this.#acks.length >= BATCH_SIZE) this.flushAcks()
    })
    this.#armRenewal()
  }

  /**
   * Writes the buffered acknowledgements and the starts of deliveries still running in one
   * transaction; with `renew`, also extends every lease this consumer holds.
   */
  flushAcks(renew = false): void {
    if (this.#acks.length === 0 && this.#unstarted.size === 0 && !renew) return
    // Inside the application's own transaction (the outbox) an ack would commit or roll back with
    // it: a rollback would bring back messages already handled. Write it once that one is over.
    if (!this.input.store.mayWrite()) return this.#scheduleFlush(TRANSACTION_RETRY_MS)
    const acks = this.#acks
    const starts = [...this.#unstarted]
    this.#acks = []
    this.#lateAcks = false
    this.#unstarted.clear()
    const now = this.clock.now()
    const leaseMs = this.input.config().leaseMs
    const waiting = renew ? this.#batch.slice(this.#head) : []
    const renewed = renew ? [...waiting.map((m) => m.id), ...this.#running.keys()] : []
    try {
      const held = new Set(this.input.store.report(this.input.owner, { acks, starts, renew: { ids: renewed, leaseUntil: now + leaseMs } }))
      if (renew) {
        // Waiting messages another process took meanwhile (this process was blocked past the
        // lease) are dropped from the batch; deliveries running keep running, and their answers
        // are then ignored by the store.
        this.#batch = waiting.filter((m) => held.has(m.id))
        this.#head = 0
      }
    } catch (error) {
      // Not acknowledged: the messages come back when their lease expires (at least once). Starts
      // not recorded: the message is careful after a crash, as for one started just before it.
      this.input.onError(error)
      if (renew) {
        this.#batch = [] // unsure what is still ours: leave all of it to lease expiry
        this.#head = 0
      }
    }
    if (renew) this.#renewal.renewed(now, leaseMs)
  }

  /**
   * close() stopped waiting for the deliveries still running: their leases are handed back now,
   * the attempt counted (dead-lettered if it was the last), so that a broker reopened in this
   * process does not wait leaseMs for them. Their answers, if they still come, are ignored.
   */
  abandon(detail: string): void {
    this.#renewal.stop()
    for (const message of this.#running.values()) this.controls.abort(message, new BrokerClosedError(`${detail}: the delivery was given up`))
    this.controls.stop()
    const ids = [...this.#running.keys()]
    this.#running.clear()
    this.#unstarted.clear()
    if (ids.length === 0) return
    try {
      this.input.store.handBack(ids, this.input.owner, this.clock.now(), true, detail)
    } catch (error) {
      this.input.onError(error) // their leases expire instead
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
    this.#armRenewal()
  }

  // A listener removed inside the application's transaction stops the consumer there: a hand-back
  // written then would roll back with it and leave the messages leased by a consumer that is gone.
  #handBackLater(ids: number[]): void {
    const { store, owner } = this.input
    if (!store.mayWrite()) {
      setTimeout(() => this.#handBackLater(ids), TRANSACTION_RETRY_MS)
      return
    }
    try {
      store.handBack(ids, owner, this.clock.now(), false)
    } catch (error) {
      this.input.onError(error) // their leases expire instead
    }
  }

  #next(): ClaimedMessage | undefined {
    if (this.#head >= this.#batch.length) return undefined
    // A long slice of synchronous deliveries keeps the renewal timer from running.
    if (this.clock.now() >= this.#renewal.at) this.flushAcks(true)
    return this.#head < this.#batch.length ? this.#batch[this.#head++] : undefined
  }

  #armRenewal(): void {
    this.#renewal.arm(this.#running.size > 0 || this.#head < this.#batch.length)
  }

  // Deliveries are jobs, not quick messages: an extra transaction before each costs them little.
  #slow(): boolean {
    return this.#deliveryMs === undefined || this.#deliveryMs >= LATE_ACK_MS
  }

  // A careful message's start is recorded before its receiver is called (with the acknowledgements
  // waiting, in one transaction). False when the store failed: it is not delivered now.
  #recordStart(message: ClaimedMessage): boolean {
    if (!this.input.store.mayWrite()) return false
    const acks = this.#acks
    this.#acks = []
    this.#lateAcks = false
    try {
      this.input.store.report(this.input.owner, { acks, starts: [message.id] })
      message.started = true
      return true
    } catch (error) {
      this.input.onError(error)
      this.#acks = [...acks, ...this.#acks]
      return false
    }
  }

  #claim(): number | undefined {
    const { store, channel, subscription, owner } = this.input
    if (!store.mayWrite()) return 0 // the application holds a transaction: our writes would join it
    const config = this.input.config()
    const limit = claimLimit(config.concurrency, this.inFlight, this.#deliveryMs)
    try {
      const now = this.clock.now()
      // The deliveries that start right after this claim have their attempt counted by it.
      const starting = Math.max(0, config.concurrency - this.inFlight)
      this.#batch = store.claim(channel, subscription, owner, now, config.leaseMs, limit, starting)
      this.#renewal.renewed(now, config.leaseMs)
    } catch (error) {
      this.input.onError(error)
      this.#batch = []
      this.#head = 0
      return undefined
    }
    this.#head = 0
    this.#armRenewal()
    if (this.#batch.length > 0) this.controls.holding()
    return this.#batch.length
  }

  #deliver(message: ClaimedMessage, timeoutMs: number | null | undefined): void {
    this.#running.set(message.id, message)
    if (!message.started) this.#unstarted.add(message.id)
    this.controls.started(message, timeoutMs)
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
      this.input.deliver(message, done, this.controls)
    } catch (error) {
      done({ ok: false, error })
    }
  }
}
