// The one timer of a consumer that keeps its leases: unref'd, and moved by every renewal. It runs
// while the consumer holds something (a claimed batch, deliveries in flight); when it stops
// holding, the timer is left to run out rather than cleared, so that a consumer that takes one
// message at a time (the trickle path: hold, deliver, hold nothing, a turn later hold again) does
// not set and clear a timer for each. One that fires while nothing is held does nothing; one that
// fires before `at` (the leases were renewed since it was set) waits on.
import type { DurableClock } from './consumerInput.js'

/** Leases are renewed when a third of them has passed, so two renewals may fail before one runs out. */
export const RENEW_FRACTION = 1 / 3

export class RenewalTimer {
  /** When the leases need renewing next (epoch ms). */
  at = 0
  readonly #renew: () => void
  readonly #clock: DurableClock
  #timer: unknown
  /** When the timer set fires (epoch ms). */
  #due = 0
  #holding = false

  /** `renew` runs when due; it should move `at` (renewed(), or later on a retry). */
  constructor(clock: DurableClock, renew: () => void) {
    this.#clock = clock
    this.#renew = renew
  }

  /** Leases of `leaseMs` were taken or renewed at `now`. */
  renewed(now: number, leaseMs: number): void {
    this.at = now + leaseMs * RENEW_FRACTION
  }

  /** Keeps the timer running while `holding`; otherwise lets a running one fire for nothing. */
  arm(holding: boolean): void {
    this.#holding = holding
    if (!holding) return
    if (this.#timer !== undefined) {
      if (this.#due <= this.at) return
      this.#clear() // the leases got shorter meanwhile
    }
    this.#set(Math.max(1, this.at - this.#clock.now()))
  }

  stop(): void {
    this.#holding = false
    this.#clear()
  }

  #set(delayMs: number): void {
    this.#due = this.#clock.now() + delayMs
    const timer = this.#clock.setTimeout(() => {
      this.#timer = undefined
      if (!this.#holding) return
      const early = this.at - this.#clock.now()
      if (early > 0) this.#set(early)
      else this.#renew()
    }, delayMs)
    // It keeps leases while the process lives; it is no reason for the process to live.
    ;(timer as { unref?: () => void }).unref?.()
    this.#timer = timer
  }

  #clear(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
