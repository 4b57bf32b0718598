// The control side of one durable consumer's deliveries while they run: their abort signals (made
// only when a receiver asks for one), their progress (coalesced: at most one write every
// PROGRESS_MS, all pending updates in one transaction), their timeouts (one timer for the
// earliest deadline), and the control read that learns what other processes did (a cancel, a
// pause). Every timer runs on the consumer's clock, so a SimulatedClock drives them in tests.
//
// The control read runs every CONTROL_MS while the consumer holds something. It asks about the
// deliveries that were running at the previous read already (so quick ones never cost a read) and
// the claimed batch still waiting (a cancelled message in it must never start), and, while a
// batch waits, whether the channel was paused: at most ~2 x CONTROL_MS after another process
// cancelled or paused, the consumer knows.
//
// A delivery that times out or is cancelled ends at once, as if it had answered (its slot is
// free, its late answer ignored): a timeout as a failed attempt, a cancel unrecorded (the store
// deleted its message). A listener that ignores its signal may still be running then, beside the
// next delivery.
import { JobCancelledError, JobTimeoutError } from '../../errors.js'
import type { ClaimedMessage } from '../../store/index.js'
import type { ConsumerInput, DeliveryControl, DeliveryOutcome, DurableClock } from './consumerInput.js'

/** How often progress is written, at most, per consumer. */
const PROGRESS_MS = 100
/** How often a consumer holding deliveries or a batch asks the store about cancels and pauses. */
export const CONTROL_MS = 250
/** How soon writes held back by an open application transaction are tried again. */
const TRANSACTION_RETRY_MS = 5
const CANCELLED: DeliveryOutcome = { ok: false, cancelled: true }

/** What the consumer's data side (consumerWork.ts) lets the controls see and do. */
export interface ControlHost {
  /** Whether this delivery is still running (not settled, timed out, cancelled or abandoned). */
  isRunning(message: ClaimedMessage): boolean
  running(): Iterable<ClaimedMessage>
  /** The claimed batch not delivered yet. */
  waiting(): readonly ClaimedMessage[]
  /** Ends a running delivery now with `outcome`, as if it had answered; its late answer is ignored. */
  end(message: ClaimedMessage, outcome: DeliveryOutcome): void
  /** Takes these messages out of the waiting batch: they never start. */
  drop(ids: ReadonlySet<number>): void
  /** Hands the waiting batch back (at its place in line, no attempt counted). */
  releaseBatch(): void
}

type Timer = unknown

export class DeliveryControls implements DeliveryControl {
  readonly #input: ConsumerInput
  readonly #clock: DurableClock
  readonly #host: ControlHost
  // Keyed by the delivery (a claim's object), not the id: a retry of the same message is another
  // delivery, and an old one's late reads must not see the new one's signal.
  readonly #signals = new WeakMap<ClaimedMessage, AbortController>()
  readonly #progress = new Map<ClaimedMessage, Uint8Array>()
  #progressTimer: Timer | undefined
  readonly #deadlines = new Map<ClaimedMessage, { at: number; timeoutMs: number }>()
  #timeoutTimer: Timer | undefined
  #timeoutAt = Infinity
  #controlTimer: Timer | undefined
  /** The deliveries running at the last control read. */
  #seen = new Set<ClaimedMessage>()
  /** A pause was seen: no claims until the store says it is over (see pausedNow). */
  #paused = false

  constructor(input: ConsumerInput, clock: DurableClock, host: ControlHost) {
    this.#input = input
    this.#clock = clock
    this.#host = host
  }

  signal(message: ClaimedMessage): AbortSignal {
    let controller = this.#signals.get(message)
    if (!controller) {
      controller = new AbortController()
      this.#signals.set(message, controller)
    }
    return controller.signal
  }

  progress(message: ClaimedMessage, payload: Uint8Array): void {
    // Kept only while the job runs: once it ended there is nothing to write it to.
    if (!this.#host.isRunning(message)) return
    this.#progress.set(message, payload)
    if (this.#progressTimer === undefined) this.#progressTimer = this.#after(PROGRESS_MS, this.#flushProgress, false)
  }

  /** A delivery started: its deadline is set (with a timeout), and the control read runs. */
  started(message: ClaimedMessage, timeoutMs: number | null | undefined): void {
    if (typeof timeoutMs === 'number') {
      const at = this.#clock.now() + timeoutMs
      this.#deadlines.set(message, { at, timeoutMs })
      if (at < this.#timeoutAt) this.#armTimeout(at)
    }
    this.holding()
  }

  /** A delivery ended (answered, failed, timed out, cancelled): nothing more is written for it. */
  ended(message: ClaimedMessage): void {
    if (this.#deadlines.size > 0) this.#deadlines.delete(message)
    if (this.#progress.size > 0) this.#progress.delete(message)
  }

  /** Aborts a delivery's signal (made now if it was never asked for, so a late read sees it aborted). */
  abort(message: ClaimedMessage, reason: Error): void {
    const controller = this.#signals.get(message) ?? new AbortController()
    this.#signals.set(message, controller)
    if (!controller.signal.aborted) controller.abort(reason)
  }

  /** The consumer holds deliveries or a batch: keeps the control read running. */
  holding(): void {
    if (this.#controlTimer === undefined) this.#controlTimer = this.#after(CONTROL_MS, this.#control, true)
  }

  /** Asks the store now (a cancel or pause in this process), instead of at the next control read. */
  readNow(): void {
    this.#read([...this.#host.running()])
  }

  /**
   * Jobs cancelled (here, or by another process as a control read found): a running delivery's
   * signal is aborted and it ends at once, unrecorded (the store ignores whatever it answers
   * later); a waiting one is dropped from the batch, never started.
   */
  cancelled(ids: ReadonlySet<number>): void {
    for (const message of this.#host.running()) {
      if (!ids.has(message.id)) continue
      this.abort(message, new JobCancelledError(message.id))
      this.#host.end(message, CANCELLED)
    }
    if (this.#host.waiting().some((message) => ids.has(message.id))) this.#host.drop(ids)
  }

  /**
   * True while a pause this consumer saw lasts, read again each time (a resume by any process
   * ends it): the consumer claims nothing meanwhile.
   */
  pausedNow(): boolean {
    if (!this.#paused) return false
    try {
      this.#paused = this.#input.store.isPaused(this.#input.channel)
    } catch (error) {
      this.#input.onError(error) // still paused, as far as it knows
    }
    return this.#paused
  }

  /** Stops every timer (the consumer was abandoned). */
  stop(): void {
    for (const timer of [this.#progressTimer, this.#timeoutTimer, this.#controlTimer]) {
      if (timer !== undefined) this.#clock.clearTimeout(timer)
    }
    this.#progressTimer = this.#timeoutTimer = this.#controlTimer = undefined
    this.#timeoutAt = Infinity
    this.#progress.clear()
    this.#deadlines.clear()
  }

  readonly #flushProgress = (): void => {
    this.#progressTimer = undefined
    const { store, owner } = this.#input
    // Inside the application's transaction (the outbox) a write would join it: after it.
    if (!store.mayWrite()) {
      this.#progressTimer = this.#after(TRANSACTION_RETRY_MS, this.#flushProgress, false)
      return
    }
    const updates: Array<{ id: number; payload: Uint8Array }> = []
    for (const [message, payload] of this.#progress) if (this.#host.isRunning(message)) updates.push({ id: message.id, payload })
    this.#progress.clear()
    if (updates.length === 0) return
    try {
      store.setProgress(owner, updates)
    } catch (error) {
      this.#input.onError(error) // progress is a hint: the next update writes it again
    }
  }

  #armTimeout(at: number): void {
    if (this.#timeoutTimer !== undefined) this.#clock.clearTimeout(this.#timeoutTimer)
    this.#timeoutAt = at
    this.#timeoutTimer = this.#after(Math.max(0, at - this.#clock.now()), this.#timeouts, true)
  }

  readonly #timeouts = (): void => {
    this.#timeoutTimer = undefined
    this.#timeoutAt = Infinity
    const now = this.#clock.now()
    let next = Infinity
    for (const [message, { at, timeoutMs }] of this.#deadlines) {
      if (at > now) {
        next = Math.min(next, at)
        continue
      }
      this.#deadlines.delete(message)
      if (!this.#host.isRunning(message)) continue
      const error = new JobTimeoutError(timeoutMs, message.id)
      this.abort(message, error)
      this.#host.end(message, this.#input.failed?.(message, error) ?? { ok: false, error })
    }
    if (next < Infinity && next < this.#timeoutAt) this.#armTimeout(next)
  }

  readonly #control = (): void => {
    this.#controlTimer = undefined
    const running = [...this.#host.running()]
    // Only deliveries already running at the last read: a quick one is over before it is asked about.
    this.#read(running.filter((message) => this.#seen.has(message)))
    this.#seen = new Set(running)
    if (running.length > 0 || this.#host.waiting().length > 0) this.holding()
    else this.#seen.clear()
  }

  #read(long: readonly ClaimedMessage[]): void {
    const { store, channel } = this.#input
    let waiting = this.#host.waiting()
    if (long.length === 0 && waiting.length === 0) return
    try {
      const cancelled = store.cancelledAmong([...long, ...waiting].map((message) => message.id))
      if (cancelled.length > 0) {
        this.cancelled(new Set(cancelled))
        waiting = this.#host.waiting()
      }
      if (waiting.length > 0 && store.isPaused(channel)) {
        this.#paused = true
        this.#host.releaseBatch()
      }
    } catch (error) {
      this.#input.onError(error) // asked again at the next read
    }
  }

  // `keepAlive`: the timer may end a running delivery (a timeout, a cancel seen): the process
  // stays up for it, as a listener that waits only on its signal would have it. Progress writes
  // are no reason to live.
  #after(ms: number, fn: () => void, keepAlive: boolean): Timer {
    const timer = this.#clock.setTimeout(fn, ms)
    if (!keepAlive) (timer as { unref?: () => void }).unref?.()
    return timer
  }
}
