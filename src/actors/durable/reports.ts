// What a consumer reports to the store, batched: the acknowledgements it buffers, the starts of
// deliveries not recorded yet, and, when due, the renewal of every lease it holds, all in one
// transaction (Store.report). Acknowledgements of synchronous answers wait at most one turn of the
// event loop; those of async answers (which come one a turn), and the starts of deliveries still
// running, up to LATE_ACK_MS, so that they share a transaction too. A crash redelivers only what
// was answered in that window (at least once); a report the store failed is tried again after
// REPORT_RETRY_MS.
import { StoreError } from '../../errors.js'
import type { ClaimedMessage } from '../../store/index.js'
import { whenAnswered } from './answer.js'
import { BATCH_SIZE } from './claimLimit.js'
import type { ConsumerInput, DurableClock } from './consumerInput.js'

/**
 * How long acknowledgements of answers that came in late (async listeners) wait for company: one
 * per event-loop turn would be one transaction per delivery.
 */
export const LATE_ACK_MS = 1
/** How soon a report the store failed is tried again (not at once: a store that is down fails fast). */
export const REPORT_RETRY_MS = 250
/** How soon writes held back by an open application transaction are tried again. */
export const TRANSACTION_RETRY_MS = 5

/** What the reports need of their consumer. */
export interface ReportHost {
  /** Claimed messages waiting their turn: their leases are renewed with the running ones'. */
  waiting(): readonly ClaimedMessage[]
  /** Ids of the deliveries running. */
  running(): Iterable<number>
  /** Drops from the waiting batch the messages another owner took meanwhile. */
  dropWaiting(lost: ReadonlySet<number>): void
  /** The leases were renewed (or taken) at `now` for `leaseMs`. */
  renewed(now: number, leaseMs: number): void
}

const noStarts: readonly number[] = []

export class Reports {
  /** Deliveries started whose start is not recorded yet: the next report records them. */
  readonly unstarted = new Set<number>()
  readonly #input: ConsumerInput
  readonly #clock: DurableClock
  readonly #host: ReportHost
  #acks: number[] = []
  /** Some buffered acknowledgement came from an answer that arrived after its pump (async). */
  #lateAcks = false
  #scheduled = false

  constructor(input: ConsumerInput, clock: DurableClock, host: ReportHost) {
    this.#input = input
    this.#clock = clock
    this.#host = host
  }

  /** Buffers an acknowledgement; `late`: its answer came after the pump that delivered it. */
  ack(id: number, late: boolean): void {
    this.#acks.push(id)
    if (late) this.#lateAcks = true
    if (this.#acks.length >= BATCH_SIZE) this.flush()
  }

  /** Takes the buffered acknowledgements, to be written with something else (a start). */
  takeAcks(): number[] {
    const acks = this.#acks
    this.#acks = []
    this.#lateAcks = false
    return acks
  }

  /** Takes the starts not recorded yet, to be written with something else (a publish). */
  takeStarts(): readonly number[] {
    if (this.unstarted.size === 0) return noStarts
    const starts = [...this.unstarted]
    this.unstarted.clear()
    return starts
  }

  /** Puts back acknowledgements taken with takeAcks that were not written. */
  restoreAcks(acks: readonly number[]): void {
    this.#acks = [...acks, ...this.#acks]
  }

  /** Makes sure what is buffered is written soon (see the header for how soon). */
  schedule(delayMs = this.#lateAcks || this.unstarted.size > 0 ? LATE_ACK_MS : 0): void {
    if ((this.#acks.length === 0 && this.unstarted.size === 0) || this.#scheduled) return
    this.#scheduled = true
    const flush = (): void => {
      this.#scheduled = false
      this.flush()
    }
    if (delayMs === 0) setImmediate(flush)
    else setTimeout(flush, delayMs)
  }

  /**
   * Writes the buffered acknowledgements and the starts of deliveries still running in one
   * transaction; with `renew`, also extends every lease the consumer holds.
   */
  flush(renew = false): void {
    if (this.#acks.length === 0 && this.unstarted.size === 0 && !renew) return
    const { store, owner } = this.#input
    // Inside the application's own transaction (the outbox) an ack would commit or roll back with
    // it: a rollback would bring back messages already handled. Write it once that one is over.
    let writable: boolean
    try {
      writable = store.mayWrite()
    } catch (error) {
      // A retry that came after the broker closed its store: nothing can be written any more, and
      // what was buffered is delivered again (at least once). Any other failure: as a failed report.
      if (error instanceof StoreError && error.code === 'ERR_STORE_CLOSED') return
      this.#input.onError(error)
      return this.schedule(REPORT_RETRY_MS)
    }
    if (!writable) return this.schedule(TRANSACTION_RETRY_MS)
    const acks = this.takeAcks()
    const starts = [...this.unstarted]
    this.unstarted.clear()
    const now = this.#clock.now()
    const leaseMs = this.#input.config().leaseMs
    const waiting = renew ? this.#host.waiting() : []
    const renewed = renew ? [...waiting.map((m) => m.id), ...this.#host.running()] : []
    // Waiting messages another process took meanwhile (this process was blocked past the lease)
    // are dropped from the batch; deliveries running keep running, and their answers are then
    // ignored by the store. Unsure what is still ours (the store failed): all of those wait for
    // lease expiry instead.
    const dropWaiting = (kept: ReadonlySet<number>): void => {
      const lost = new Set(waiting.filter((m) => !kept.has(m.id)).map((m) => m.id))
      if (lost.size > 0) this.#host.dropWaiting(lost)
    }
    whenAnswered(
      () => store.report(owner, { acks, starts, renew: { ids: renewed, leaseUntil: now + leaseMs } }),
      (held) => dropWaiting(new Set(held)),
      (error) => {
        // Not written: tried again after a back-off (the store may answer by then), so that a short
        // outage does not bring every answered message back. One whose lease passed to another
        // owner meanwhile is not acknowledged by this one (the store ignores it): delivered again,
        // at least once. Starts not recorded: the message is careful after a crash, as for one
        // started just before it.
        this.#input.onError(error)
        dropWaiting(new Set())
        this.restoreAcks(acks)
        const running = new Set(this.#host.running())
        for (const id of starts) if (running.has(id)) this.unstarted.add(id)
        this.schedule(REPORT_RETRY_MS)
      },
    )
    if (renew) this.#host.renewed(now, leaseMs)
  }
}
