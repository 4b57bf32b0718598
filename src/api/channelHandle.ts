// The handle `broker.channel()` returns: a durable channel's queue, seen and repaired from code.
import type { Store } from '../store/index.js'
import { InvalidArgumentError } from '../errors.js'
import { summarizeStats } from '../protocol/stats.js'
import type { ChannelStats } from '../protocol/stats.js'
import { decodeEnvelope } from '../protocol/envelope.js'

/** A message that used up its attempts. */
export interface DeadLetter {
  id: number
  /** Its arguments; `[]` when they cannot be decoded (see `undecodable`). */
  args: unknown[]
  /**
   * Set only when the stored payload cannot be decoded (damaged bytes, or written by a Node.js
   * whose serialization format this one does not read): the decoding error's message. Such a
   * letter can still be replayed or purged by id.
   */
  undecodable?: string
  attempts: number
  /** The last attempt's error: its stack (name and message first). */
  lastError: string
  /** `main`, or `renderer:<id>` for a renderer's inbox. */
  subscription: string
  createdAt: Date
  failedAt: Date
}

/**
 * A declared durable channel.
 *
 * @example
 * const jobs = broker.channel('jobs', { durable: true, maxAttempts: 3 })
 * for (const dead of jobs.deadLetters()) console.log(dead.id, dead.lastError)
 * jobs.replay() // all dead letters back in the queue
 */
export class ChannelHandle {
  readonly name: string
  readonly #store: Store
  readonly #wake: () => void
  readonly #assertOpen: () => void

  /** `assertOpen` throws BrokerClosedError once the broker closes: the handle dies with it. */
  constructor(name: string, store: Store, wake: () => void, assertOpen: () => void) {
    this.name = name
    this.#store = store
    this.#wake = wake
    this.#assertOpen = assertOpen
  }

  stats(): ChannelStats {
    const now = Date.now()
    this.#assertOpen()
    return summarizeStats(this.#store.stats(now), now).channels[this.name] ?? { ready: 0, delayed: 0, inFlight: 0, dead: 0, oldestAgeMs: null, paused: this.isPaused(), subscriptions: {} }
  }

  /**
   * Stops every process on the store from starting deliveries of this channel (within about a
   * second; those in flight finish), until resume(). Persisted: it survives restarts. Sends are
   * still stored.
   */
  pause(): void {
    this.#assertOpen()
    this.#store.setPaused(this.name, true)
    this.#wake() // this process's consumer learns at once
  }

  /** Lets deliveries start again, in every process. */
  resume(): void {
    this.#assertOpen()
    this.#store.setPaused(this.name, false)
    this.#wake()
  }

  isPaused(): boolean {
    this.#assertOpen()
    return this.#store.isPaused(this.name)
  }

  deadLetters(ids?: readonly number[]): DeadLetter[] {
    this.#assertOpen()
    return this.#store.deadLetters(this.name, checkIds(ids)).map((row) => {
      const letter: DeadLetter = {
        id: row.id,
        args: [],
        attempts: row.attempts,
        lastError: row.lastError,
        subscription: row.subscription,
        createdAt: new Date(row.createdAt),
        failedAt: new Date(row.failedAt),
      }
      // One damaged row must not hide the rest of the channel's dead letters.
      try {
        letter.args = decodeEnvelope(row.payload).args
      } catch (err) {
        letter.undecodable = err instanceof Error ? err.message : String(err)
      }
      return letter
    })
  }

  /** Puts dead letters (all, or those ids) back in their queue with fresh attempts. Returns how many. */
  replay(ids?: readonly number[]): number {
    this.#assertOpen()
    const count = this.#store.replay(this.name, checkIds(ids), Date.now())
    if (count > 0) this.#wake()
    return count
  }

  /** Deletes dead letters (all, or those ids). Returns how many. */
  purgeDeadLetters(ids?: readonly number[]): number {
    this.#assertOpen()
    return this.#store.purgeDeadLetters(this.name, checkIds(ids))
  }
}

function checkIds(ids: readonly number[] | undefined): readonly number[] | undefined {
  if (ids === undefined) return undefined
  if (!Array.isArray(ids) || ids.some((id) => !Number.isSafeInteger(id))) throw new InvalidArgumentError('Expected ids to be an array of message ids')
  return ids
}
