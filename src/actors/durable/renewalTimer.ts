// The one timer of a consumer that keeps its leases: armed only while it holds something (a
// claimed batch, deliveries in flight), unref'd, and moved by every renewal.
import type { DurableClock } from './consumerInput.js'

/** Leases are renewed when a third of them has passed, so two renewals may fail before one runs out. */
export const RENEW_FRACTION = 1 / 3

export class RenewalTimer {
  /** When the leases need renewing next (epoch ms). */
  at = 0
  readonly #renew: () => void
  readonly #clock: DurableClock
  #timer: unknown

  /** `renew` runs when due; it should move `at` (renewed(), or later on a retry). */
  constructor(clock: DurableClock, renew: () => void) {
    this.#clock = clock
    this.#renew = renew
  }

  /** Leases of `leaseMs` were taken or renewed at `now`. */
  renewed(now: number, leaseMs: number): void {
    this.at = now + leaseMs * RENEW_FRACTION
  }

  /** Keeps the timer running while `holding`, stops it otherwise. */
  arm(holding: boolean): void {
    if (!holding) return this.stop()
    if (this.#timer !== undefined) return
    const timer = this.#clock.setTimeout(() => {
      this.#timer = undefined
      this.#renew()
    }, Math.max(1, this.at - this.#clock.now()))
    // It keeps leases while the process lives; it is no reason for the process to live.
    ;(timer as { unref?: () => void }).unref?.()
    this.#timer = timer
  }

  stop(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
