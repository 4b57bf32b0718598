// Durable writes that arrive from worker renderers while the application holds a transaction open
// on the broker's shared database (the outbox). Such a write is never part of that transaction
// (it was made in another thread), and storing it now would tie it to the application's COMMIT or
// ROLLBACK. So it waits, in arrival order, until the transaction ended, and is then stored on its
// own. Main must not block while it waits (the application needs its event loop to end the
// transaction), so this looks again on a short timer, up to busyTimeoutMs, as a busy file would be.

import { BrokerClosedError, StoreError } from '../../errors.js'

/** How often a waiting write looks whether the transaction ended. */
const RETRY_MS = 2

/**
 * Runs with `refused` undefined when the write may be stored now, or with the error to answer
 * instead (StoreError `ERR_STORE_BUSY`, BrokerClosedError). Must not throw: it answers its caller.
 */
export type WaitingWrite = (refused: Error | undefined) => void

interface Waiting {
  channel: string
  write: WaitingWrite
  deadline: number
}

export class TransactionWait {
  /** False while the application holds its transaction open (Store.mayWrite). */
  readonly #mayWrite: () => boolean
  readonly #timeoutMs: number
  #queue: Waiting[] = []
  #timer: NodeJS.Timeout | undefined
  #closed = false

  constructor(mayWrite: () => boolean, timeoutMs: number) {
    this.#mayWrite = mayWrite
    this.#timeoutMs = timeoutMs
  }

  /**
   * Runs `write` now when no transaction is open (after the writes that waited, so arrival order
   * holds), otherwise once the transaction ended, or refused after `timeoutMs`.
   *
   * @example
   * wait.run('jobs', (refused) => (refused ? answer(refused) : answer(store(message))))
   */
  run(channel: string, write: WaitingWrite): void {
    if (this.#closed) return write(new BrokerClosedError())
    if (this.#mayWrite()) {
      this.#release()
      return write(undefined)
    }
    this.#queue.push({ channel, write, deadline: performance.now() + this.#timeoutMs })
    this.#timer ??= setTimeout(this.#tick, RETRY_MS)
  }

  /**
   * True when no application transaction is open, after storing the writes that waited for one
   * (arrival order): a write may then go at once.
   */
  releaseIfFree(): boolean {
    if (this.#closed || !this.#mayWrite()) return false
    this.#release()
    return true
  }

  /** Refuses every waiting write with BrokerClosedError, and every later one. */
  close(): void {
    this.#closed = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    const queue = this.#queue
    this.#queue = []
    for (const { write } of queue) write(new BrokerClosedError())
  }

  readonly #tick = (): void => {
    this.#timer = undefined
    if (this.#mayWrite()) return this.#release()
    const now = performance.now()
    // Deadlines grow with arrival (one timeout for all): the expired ones are at the front.
    while (this.#queue.length > 0 && this.#queue[0]!.deadline <= now) {
      const { channel, write } = this.#queue.shift()!
      write(
        new StoreError(
          'ERR_STORE_BUSY',
          `Cannot store a message on durable channel '${channel}': the application kept a transaction open on the database for longer than busyTimeoutMs (${this.#timeoutMs} ms); it was not stored`,
        ),
      )
    }
    if (this.#queue.length > 0) this.#timer = setTimeout(this.#tick, RETRY_MS)
  }

  // The transaction ended: every waiting write is stored now, in one synchronous run, so no new
  // transaction of the application can begin between them.
  #release(): void {
    if (this.#queue.length === 0) return
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    const queue = this.#queue
    this.#queue = []
    for (const { write } of queue) write(undefined)
  }
}
