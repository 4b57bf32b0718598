// A write lock shared by the connections of one process to one file (the broker's store and the
// worker renderers storing their own sends, ipc/worker/directSends.ts). SQLite lets one writer in
// at a time and tells the others "busy", and a busy writer can only sleep and try again
// (busyWait.ts): with several threads committing flat out, most of their time went to those
// sleeps. Threads that queue here instead are woken the moment the lock is free.
//
// Only a hint: SQLite's own lock still decides. So a lock held longer than STEAL_AFTER_MS (its
// holder a thread terminated mid-write, which never releases it, or one long transaction) is
// taken over, and the writers meet at SQLite's lock as before.
//
// The lock word: 0 free, 1 held, 2 held with waiters (so an uncontended release notifies nobody).

const STEAL_AFTER_MS = 1000

export class WriteLock {
  readonly #word: Int32Array

  constructor(shared: SharedArrayBuffer) {
    this.#word = new Int32Array(shared, 0, 1)
  }

  /** A lock word to share between the threads of one file. */
  static shared(): SharedArrayBuffer {
    return new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)
  }

  /**
   * Runs `run` holding the lock.
   *
   * @example
   * lock.hold(() => transaction.immediate())
   */
  hold<R>(run: () => R): R {
    this.#acquire()
    try {
      return run()
    } finally {
      this.#release()
    }
  }

  #acquire(): void {
    const word = this.#word
    let state = Atomics.compareExchange(word, 0, 0, 1)
    if (state === 0) return
    const deadline = performance.now() + STEAL_AFTER_MS
    if (state !== 2) state = Atomics.exchange(word, 0, 2)
    while (state !== 0) {
      const left = deadline - performance.now()
      if (left <= 0) return // taken over: see the header
      Atomics.wait(word, 0, 2, Math.min(left, 50))
      state = Atomics.exchange(word, 0, 2)
    }
  }

  #release(): void {
    if (Atomics.sub(this.#word, 0, 1) === 1) return
    Atomics.store(this.#word, 0, 0)
    Atomics.notify(this.#word, 0, 1)
  }
}
