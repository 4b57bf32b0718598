// The store steps a consumer's pump waits for: claiming a batch, recording a start before a
// delivery, and handing messages back. A store that answers later (a server) has one of them in
// flight at a time; how the last one that came back went is kept for the pump that follows.
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
import { step, whenAnswered } from './answer.js'
import type { Answer, ClaimedMessage } from '../../store/index.js'
import { claimLimit } from './claimLimit.js'
import type { ConsumerInput, DurableClock } from './consumerInput.js'
import type { HeldBatch } from './heldBatch.js'
import { TRANSACTION_RETRY_MS } from './reports.js'
import type { Reports } from './reports.js'

/** What the steps need of the consumer they serve (consumerWork.ts). */
export interface StepsHost {
  /** Deliveries handed to the receiver and not settled. */
  inFlight(): number
  /** How long a delivery takes (ms, a moving average); undefined until one has settled. */
  deliveryMs(): number | undefined
  /** A claim came back: `count` messages now in the held batch, leased for leaseMs from `now`. */
  claimed(now: number, leaseMs: number, count: number): void
}

export class StoreSteps {
  readonly #input: ConsumerInput
  readonly #clock: DurableClock
  readonly #held: HeldBatch
  readonly #reports: Reports
  readonly #host: StepsHost
  // A store that answers later (a server): a claim or a start record in flight, and how the last
  // one that came back went, for the pump that follows.
  #awaitingStore = false
  #answer: 'none' | 'empty' | 'failed' = 'none'
  #stopping = false
  #answered: () => void = () => {}

  constructor(input: ConsumerInput, clock: DurableClock, held: HeldBatch, reports: Reports, host: StepsHost) {
    this.#input = input
    this.#clock = clock
    this.#held = held
    this.#reports = reports
    this.#host = host
  }

  /** Whether a claim or a start record the store answers later is in flight. */
  get awaiting(): boolean {
    return this.#awaitingStore
  }

  /** How the last step answered later went ('none' when none came back since); read once. */
  takeAnswer(): 'none' | 'empty' | 'failed' {
    const answer = this.#answer
    this.#answer = 'none'
    return answer
  }

  /** Whether the last step answered later failed; if so, that answer is taken (as takeAnswer). */
  failedLater(): boolean {
    if (this.#answer !== 'failed') return false
    this.#answer = 'none'
    return true
  }

  /** Called when a step the store answered later has come back (pump again). */
  onAnswered(handler: () => void): void {
    this.#answered = handler
  }

  /** The consumer stops: a claim still out hands its batch back as it comes. */
  stop(): void {
    this.#stopping = true
  }

  // A listener removed inside the application's transaction stops the consumer there: a hand-back
  // written then would roll back with it and leave the messages leased by a consumer that is gone.
  handBackLater(ids: number[]): void {
    const { store, owner } = this.#input
    if (!store.mayWrite()) {
      setTimeout(() => this.handBackLater(ids), TRANSACTION_RETRY_MS)
      return
    }
    whenAnswered(() => store.handBack(ids, owner, this.#clock.now(), false), () => {}, this.#input.onError) // or their leases expire
  }

  // A careful message's start is recorded before its receiver is called (with the acknowledgements
  // waiting, in one transaction). False when the store failed: it is not delivered now. 'later':
  // the store answers later (a server); the pump after that answer delivers it.
  recordStart(message: ClaimedMessage): boolean | 'later' {
    const { store, owner, onError } = this.#input
    if (!store.mayWrite()) return false
    const acks = this.#reports.takeAcks()
    let recorded = false
    const when = this.#step(() => store.report(owner, { acks, starts: [message.id] }), () => {
      message.started = recorded = true
    }, (error) => {
      onError(error)
      this.#reports.restoreAcks(acks)
      if (this.#awaitingStore) this.#answer = 'failed'
    })
    return when === 'later' ? 'later' : recorded
  }

  // How many were claimed; undefined when the store failed; 'later' when it answers later (a
  // server): the pump after that answer delivers them.
  claim(): number | undefined | 'later' {
    const { store, channel, subscription, owner, onError } = this.#input
    if (!store.mayWrite()) return 0 // the application holds a transaction: our writes would join it
    const config = this.#input.config()
    const inFlight = this.#host.inFlight()
    const limit = claimLimit(config.concurrency, inFlight, this.#host.deliveryMs())
    const now = this.#clock.now()
    // The deliveries that start right after this claim have their attempt counted by it.
    const starting = Math.max(0, config.concurrency - inFlight)
    let claimed: number | undefined
    const when = this.#step(() => store.claim(channel, subscription, owner, now, config.leaseMs, limit, starting), (batch) => {
      // Stopped while the claim was out: back at once, never delivered.
      if (this.#awaitingStore && this.#stopping) return void (batch.length > 0 && this.handBackLater(batch.map((m) => m.id)))
      this.#held.replace(batch)
      this.#host.claimed(now, config.leaseMs, batch.length)
      if (batch.length === 0 && this.#awaitingStore) this.#answer = 'empty'
      claimed = batch.length
    }, (error) => {
      onError(error)
      this.#held.replace([])
      if (this.#awaitingStore) this.#answer = 'failed'
    })
    return when === 'later' ? 'later' : claimed
  }

  // A store step the pump waits for; answered later, the consumer pumps again after it.
  #step<T>(answer: () => Answer<T>, apply: (value: T) => void, failed: (error: unknown) => void): 'now' | 'later' {
    const when = step(answer, apply, failed, () => {
      this.#awaitingStore = false
      this.#answered()
    })
    if (when === 'later') this.#awaitingStore = true
    return when
  }
}
