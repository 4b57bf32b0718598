// Callers waiting for a job's stored outcome (a durable invoke, waitForJob), whether the job runs
// in this process (settled at once) or in another one (its outcome looked for every 20 ms).
import type { Store } from '../../store/index.js'
import { decodeJobOutcome } from '../../protocol/jobOutcome.js'
import type { StoredOutcome } from '../../protocol/jobOutcome.js'

interface Waiter {
  settle: (outcome: StoredOutcome) => void
  reject: (error: Error) => void
}

/** How often callers whose job may run in another process look for its outcome. */
const REMOTE_POLL_MS = 20

export class JobWaiters {
  readonly #store: () => Store
  readonly #waiters = new Map<number, Waiter[]>()
  #timer: NodeJS.Timeout | undefined

  constructor(store: () => Store) {
    this.#store = store
  }

  /**
   * Resolves with what `read` makes of job `id`'s outcome once it is stored (rejects with what it
   * throws): read in the same step, so a caller hears of it before anything the broker does next.
   */
  wait<T>(id: number, read: (outcome: StoredOutcome) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const settle = (outcome: StoredOutcome): void => {
        try {
          resolve(read(outcome))
        } catch (error) {
          reject(error as Error)
        }
      }
      const waiting = this.#waiters.get(id)
      if (waiting) waiting.push({ settle, reject })
      else this.#waiters.set(id, [{ settle, reject }])
      // Already settled (a duplicate key of a finished job, or a very fast handler elsewhere).
      if (!this.settled(id)) this.#poll()
    })
  }

  /** The job's outcome was stored: settles its callers if they wait here. Returns whether it had any. */
  settled(id: number): boolean {
    const waiting = this.#waiters.get(id)
    if (!waiting) return false
    const outcome = this.outcome(id)
    if (!outcome) return false
    this.#waiters.delete(id)
    for (const waiter of waiting) waiter.settle(outcome)
    return true
  }

  /** The stored outcome of job `id`, if any. */
  outcome(id: number): StoredOutcome | undefined {
    const row = this.#store().jobResult(id)
    return row ? decodeJobOutcome(row.payload, row.state) : undefined
  }

  /** Rejects every waiter (the broker closes; their jobs stay stored). */
  abort(error: Error): void {
    for (const waiting of this.#waiters.values()) for (const waiter of waiting) waiter.reject(error)
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
