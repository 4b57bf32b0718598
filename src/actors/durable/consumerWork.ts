// The data side of one durable consumer: claiming batches (storeSteps.ts; the batch held:
// heldBatch.ts), handing messages to the receiver, buffering acknowledgements, recording starts,
// keeping leases and recording failures. consumerMachine.ts decides when each runs.
//
// Throughput comes from batching: one transaction claims a batch, one acknowledges a batch. A
// receiver that answers synchronously is settled inline, so a batch of synchronous listeners costs
// two transactions in all; only a late (async) answer becomes an event for the machine.
//
// Attempts count the deliveries that started (storeSteps.ts says how, and what a crash costs).
//
// Leases: every message this consumer holds (waiting in its batch or being delivered) is renewed
// in one transaction every leaseMs / 3, for as long as the process runs, so a long delivery is
// never taken over by another process while its owner is alive.
//
// Control (deliveryControl.ts): a delivery that times out, or whose job is cancelled, ends here
// at once (its slot is free, its late answer ignored); a pause seen while a batch waits hands the
// batch back, and no claim is made until the channel is resumed.
import { whenAnswered } from './answer.js'
import type { ClaimedMessage, ReportInput } from '../../store/index.js'
import { BrokerClosedError } from '../../errors.js'
import { realClock } from './consumerInput.js'
import type { ConsumerInput, DeliveryOutcome, DurableClock } from './consumerInput.js'
import { DeliveryControls } from './deliveryControl.js'
import { Emptiness } from './handOff.js'
import { HeldBatch } from './heldBatch.js'
import { recordOutcome } from './recordOutcome.js'
import { RenewalTimer } from './renewalTimer.js'
import { LATE_ACK_MS, Reports, TRANSACTION_RETRY_MS } from './reports.js'
import { StoreSteps } from './storeSteps.js'

/** Messages delivered before the consumer yields the event loop. */
const SLICE = 1024

export class ConsumerWork {
  readonly input: ConsumerInput
  readonly clock: DurableClock
  /** Deliveries handed to the receiver and not settled, by message id. */
  readonly #running = new Map<number, ClaimedMessage>()
  readonly #held = new HeldBatch()
  // A batch is claimed at once but delivered one slot at a time, and a delivery may run for much
  // longer than its lease: without renewals another process would take either over, a duplicate
  // with nothing crashed.
  readonly #renewal: RenewalTimer
  /** How long a delivery takes (ms, a moving average); undefined until one has settled. */
  #deliveryMs: number | undefined
  /** Acknowledgements, starts and renewals, written together (reports.ts). */
  readonly #reports: Reports
  /** Claims, start records and hand-backs, and whether one the store answers later is out. */
  readonly #steps: StoreSteps
  #pumping = false
  #early: Array<[ClaimedMessage, DeliveryOutcome]> = []
  #lateOutcome: (message: ClaimedMessage, outcome: DeliveryOutcome) => void = (m, o) => void this.#early.push([m, o])
  /** Signals, progress, timeouts, cancels and pauses of this consumer's deliveries. */
  readonly controls: DeliveryControls
  /** Whether nothing is claimable beyond what this consumer holds (handOff.ts): set in idle. */
  readonly emptiness = new Emptiness()

  constructor(input: ConsumerInput) {
    this.input = input
    this.clock = input.clock ?? realClock
    this.controls = new DeliveryControls(input, this.clock, {
      isRunning: (message) => this.#running.get(message.id) === message,
      running: () => this.#running.values(),
      waiting: () => this.#held.waiting(),
      // As if it had answered: the machine records it (a failure) or drops it (a cancel).
      end: (message, outcome) => this.#lateOutcome(message, outcome),
      drop: (ids) => this.#held.drop(ids),
      releaseBatch: () => this.releaseBatch(),
    })
    this.#reports = new Reports(input, this.clock, {
      waiting: () => this.#held.waiting(),
      running: () => this.#running.keys(),
      dropWaiting: (lost) => this.#held.drop(lost),
      renewed: (now, leaseMs) => this.#renewal.renewed(now, leaseMs),
    })
    this.#renewal = new RenewalTimer(this.clock, () => {
      if (!this.input.store.mayWrite()) this.#renewal.at = this.clock.now() + TRANSACTION_RETRY_MS
      else this.flushAcks(true)
      this.#armRenewal()
    })
    this.#steps = new StoreSteps(input, this.clock, this.#held, this.#reports, {
      inFlight: () => this.inFlight,
      deliveryMs: () => this.#deliveryMs,
      claimed: (now, leaseMs, count) => {
        this.#renewal.renewed(now, leaseMs)
        this.#armRenewal()
        if (count > 0) this.controls.holding()
      },
    })
  }

  get inFlight(): number {
    return this.#running.size
  }

  /** Called when a claim or a start record the store answered later has come back (pump again). */
  onAnswered(handler: () => void): void {
    this.#steps.onAnswered(handler)
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
    if (this.#steps.awaiting) return 'busy'
    // A start record the store failed later: back off before trying that message again (its
    // retry is next in the batch, so the check for a failed answer further down never sees it).
    if (this.#held.size > 0 && this.#steps.failedLater()) return 'error'
    this.#pumping = true
    let delivered = 0
    try {
      while (this.inFlight < concurrency) {
        if (!this.input.hasReceiver()) return 'drained'
        if (delivered >= SLICE) return 'yield'
        let message = this.#next()
        if (!message) {
          if (this.controls.pausedNow()) return 'drained'
          const answer = this.#steps.takeAnswer()
          if (answer === 'empty') return 'drained'
          if (answer === 'failed') return 'error'
          this.flushAcks()
          const claimed = this.#steps.claim()
          if (claimed === undefined) return 'error'
          if (claimed === 'later') return 'busy'
          if (claimed === 0) return 'drained'
          message = this.#next()!
        }
        if (!message.started && (message.careful || this.#slow())) {
          const recorded = this.#steps.recordStart(message)
          if (recorded !== true) {
            this.#held.putBack() // still ours: delivered once recorded, or tried again after the back-off
            return recorded === 'later' ? 'busy' : 'error'
          }
        }
        delivered++
        this.#deliver(message, config.timeoutMs)
      }
      return 'busy'
    } finally {
      this.#pumping = false
      this.#reports.schedule()
    }
  }

  // --- The trickle path (handOff.ts): a message this process publishes, taken as it is stored ---

  /**
   * Whether a message published now may be leased to this consumer as it is stored: idle with
   * nothing claimable on its subscription, a slot free, a receiver, no pause and no rate limit
   * (whose window counts the starts of claims).
   */
  mayTakeHandOff(now: number): boolean {
    if (this.#steps.awaiting) return false
    const config = this.input.config()
    if (config.rateLimit != null || this.#running.size + this.#held.size >= config.concurrency) return false
    if (!this.input.hasReceiver() || this.controls.pausedNow()) return false
    return this.emptiness.known(now)
  }

  /** The acknowledgements and starts buffered, to be written with the hand-off's publish. */
  takeReport(): ReportInput {
    return { acks: this.#reports.takeAcks(), starts: this.#reports.takeStarts() }
  }

  /** Puts back what takeReport took, when the publish that carried it failed. */
  restoreReport(report: ReportInput): void {
    this.#reports.restoreAcks(report.acks)
    for (const id of report.starts) if (this.#running.has(id)) this.#reports.unstarted.add(id)
  }

  /** A message leased to this consumer as it was published: next in its batch (delivered by deliverHanded or a pump). */
  accept(message: ClaimedMessage, now: number): void {
    const holding = this.#running.size > 0 || this.#held.size > 0
    this.#held.append(message)
    // Renewals already due for what it held come as planned (the new lease is renewed with them).
    if (!holding) this.#renewal.renewed(now, this.input.config().leaseMs)
    this.#armRenewal()
    this.controls.holding()
  }

  /** Whether handed messages may start without a start record first (fast deliveries): delivered in idle. */
  handsInline(): boolean {
    return !this.#slow()
  }

  /** Delivers the handed messages waiting, as far as the slots allow; claims nothing. */
  deliverHanded(): void {
    const { concurrency, timeoutMs } = this.input.config()
    this.#pumping = true
    try {
      while (this.inFlight < concurrency) {
        const message = this.#next()
        if (!message) break
        this.#deliver(message, timeoutMs)
      }
    } finally {
      this.#pumping = false
      // The acknowledgements ride on the next publish's transaction, or go on their own in ~1 ms.
      this.#reports.schedule(LATE_ACK_MS)
    }
  }

  /** Records an answer that came in as an event. */
  settle(message: ClaimedMessage, outcome: DeliveryOutcome): void {
    // Abandoned by close() (its lease was handed back), timed out or cancelled: ended already.
    if (this.#running.get(message.id) !== message) return
    this.#running.delete(message.id)
    this.#reports.unstarted.delete(message.id)
    this.controls.ended(message)
    // A failed attempt may come back (a retry): what idle knew of the subscription no longer holds.
    if (!outcome.ok) this.emptiness.forget()
    recordOutcome(this.input, this.clock, message, outcome, (id) => this.#reports.ack(id, !this.#pumping))
    this.#armRenewal()
  }

  /** The consumer stopped: its acknowledgements are written and its renewal timer is cleared. */
  finish(): void {
    this.flushAcks()
    this.#renewal.stop()
  }

  /** Writes what is buffered now; with `renew`, also extends every lease this consumer holds. */
  flushAcks(renew = false): void {
    this.#reports.flush(renew)
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
    this.#reports.unstarted.clear()
    if (ids.length === 0) return
    const { store, owner, onError } = this.input
    whenAnswered(() => store.handBack(ids, owner, this.clock.now(), true, detail), () => {}, onError) // on failure their leases expire instead
  }

  /**
   * On stop: writes the acknowledgements, and hands back at once (at their place in line, their
   * attempt not counted) the messages claimed but not delivered, so that the next consumer of the
   * subscription, here or in another process, gets them in order instead of after their lease.
   * Deliveries in flight keep their leases until they settle.
   */
  releaseBatch(): void {
    this.#steps.stop()
    this.emptiness.forget()
    this.flushAcks()
    const undelivered = this.#held.clear()
    if (undelivered.length > 0) this.#steps.handBackLater(undelivered)
    this.#armRenewal()
  }

  #next(): ClaimedMessage | undefined {
    if (this.#held.size === 0) return undefined
    // A long slice of synchronous deliveries keeps the renewal timer from running.
    if (this.clock.now() >= this.#renewal.at) this.flushAcks(true)
    return this.#held.take()
  }

  #armRenewal(): void {
    this.#renewal.arm(this.#running.size > 0 || this.#held.size > 0)
  }

  // Deliveries are jobs, not quick messages: an extra transaction before each costs them little.
  #slow(): boolean {
    return this.#deliveryMs === undefined || this.#deliveryMs >= LATE_ACK_MS
  }

  #deliver(message: ClaimedMessage, timeoutMs: number | null | undefined): void {
    this.#running.set(message.id, message)
    if (!message.started) this.#reports.unstarted.add(message.id)
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
