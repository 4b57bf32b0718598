// Durable invoke callers waiting for their job's stored outcome, in this process or from another
// process that runs the handler.
import type { Store } from '../store/index.js'
import { invokeRejection } from '../ipc/invokeErrors.js'
import { decodeJobOutcome } from '../protocol/jobOutcome.js'

/** A stored job outcome as the broker returns it. */
export type JobResult = { ok: true; value: unknown } | { ok: false; error: Error }

interface Waiter {
  channel: string
  resolve: (value: unknown) => void
  reject: (error: Error) => void
}

/** How often callers whose job may run in another process look for its result. */
const REMOTE_POLL_MS = 20

export class JobWaiters {
  readonly #store: () => Store
  readonly #waiters = new Map<number, Waiter>()
  #timer: NodeJS.Timeout | undefined

  constructor(store: () => Store) {
    this.#store = store
  }

  /** Waits for job `id` (stored on `channel`) to settle. */
  wait(id: number, channel: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#waiters.set(id, { channel, resolve, reject })
      // Already settled (a duplicate key of a finished job, or a very fast handler elsewhere).
      if (!this.settled(id)) this.#poll()
    })
  }

  /** The job's outcome was stored: settles its caller if it waits here. Returns whether it had one. */
  settled(id: number): boolean {
    const waiter = this.#waiters.get(id)
    if (!waiter) return false
    const result = this.result(id, waiter.channel)
    if (!result) return false
    this.#waiters.delete(id)
    if (result.ok) waiter.resolve(result.value)
    else waiter.reject(result.error)
    return true
  }

  /** The stored outcome; a failure reads as the invoke caller's rejection, or, with no `channel` (broker.jobResult), as `Job <id> failed: ...`. */
  result(id: number, channel?: string): JobResult | undefined {
    const row = this.#store().jobResult(id)
    if (!row) return undefined
    const outcome = decodeJobOutcome(row.payload)
    if (outcome.ok) return outcome
    const error = invokeRejection(channel ?? '', outcome.failure)
    // The stored outcome does not name its channel; the id is what the caller asked about.
    if (channel === undefined) error.message = `Job ${id} failed: ${outcome.failure.text}`
    return { ok: false, error }
  }

  /** Rejects every waiter (the broker closes; their jobs stay stored). */
  abort(error: Error): void {
    for (const waiter of this.#waiters.values()) waiter.reject(error)
    this.#waiters.clear()
    this.#stopPolling()
  }

  #poll(): void {
    if (this.#timer) return
    this.#timer = setInterval(() => {
      for (const id of [...this.#waiters.keys()]) this.settled(id)
      if (this.#waiters.size === 0) this.#stopPolling()
    }, REMOTE_POLL_MS)
  }

  #stopPolling(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
  }
}
