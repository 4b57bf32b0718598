// Callers waiting for a job to end (a durable invoke, waitForJob), whether the job runs in this
// process (settled at once) or in another one (looked for every 20 ms).
import type { Store } from '../../store/index.js'
import { decodeJobOutcome } from '../../protocol/jobOutcome.js'
import type { StoredOutcome } from '../../protocol/jobOutcome.js'

/**
 * How a job ended: with a stored outcome (a handler job's value or failure, a cancel), as a dead
 * letter without one (a listener message: its last error), or leaving nothing (acknowledged).
 */
export type JobEnd = { outcome: StoredOutcome } | { dead: string } | { gone: true }

interface Waiter {
  settle: (end: JobEnd) => void
  reject: (error: Error) => void
}

/** How often callers whose job may run in another process look for its end. */
const REMOTE_POLL_MS = 20

export class JobWaiters {
  readonly #store: () => Store
  readonly #waiters = new Map<number, Waiter[]>()
  #timer: NodeJS.Timeout | undefined

  constructor(store: () => Store) {
    this.#store = store
  }

  /**
   * Resolves with what `read` makes of job `id`'s end once it ended (rejects with what it throws):
   * read in the same step, so a caller hears of it before anything the broker does next. With
   * `timeout`, rejects with its error after `ms` instead (the job goes on).
   */
  wait<T>(id: number, read: (end: JobEnd) => T, timeout?: { ms: number; error: () => Error }): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined
      const waiter: Waiter = {
        settle: (end) => {
          if (timer) clearTimeout(timer)
          try {
            resolve(read(end))
          } catch (error) {
            reject(error as Error)
          }
        },
        reject: (error) => {
          if (timer) clearTimeout(timer)
          reject(error)
        },
      }
      const waiting = this.#waiters.get(id)
      if (waiting) waiting.push(waiter)
      else this.#waiters.set(id, [waiter])
      // Already ended (a duplicate key of a finished job, or a very fast handler elsewhere).
      if (this.settled(id)) return
      this.#poll()
      if (timeout) {
        timer = setTimeout(() => {
          this.#forget(id, waiter)
          reject(timeout.error())
        }, timeout.ms)
      }
    })
  }

  /** The job may have ended: settles its callers if it did and they wait here. Returns whether it had any. */
  settled(id: number): boolean {
    const waiting = this.#waiters.get(id)
    if (!waiting) return false
    const end = this.end(id)
    if (!end) return false
    this.#waiters.delete(id)
    for (const waiter of waiting) waiter.settle(end)
    return true
  }

  /** How job `id` ended; undefined while it is stored (delayed, waiting, active). */
  end(id: number): JobEnd | undefined {
    const store = this.#store()
    const row = store.jobResult(id)
    if (row) return { outcome: decodeJobOutcome(row.payload, row.state) }
    const job = store.job(id, Date.now())
    if (!job) return { gone: true }
    return job.state === 'dead' ? { dead: job.lastError ?? '' } : undefined
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

  #forget(id: number, waiter: Waiter): void {
    const waiting = this.#waiters.get(id)?.filter((w) => w !== waiter)
    if (waiting && waiting.length > 0) this.#waiters.set(id, waiting)
    else this.#waiters.delete(id)
  }

  #poll(): void {
    if (this.#timer) return
    this.#timer = setInterval(() => {
      for (const id of [...this.#waiters.keys()]) {
        try {
          this.settled(id)
        } catch {
          // The store failed (PostgreSQL down, say): the next look tries again.
        }
      }
      if (this.#waiters.size === 0) this.#stopPolling()
    }, REMOTE_POLL_MS)
  }

  #stopPolling(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
  }
}
