// Waiting for another connection's write lock, our way. SQLite's own busy handler sleeps 1, 2, 5,
// 10 ... 100 ms between tries, and against a process that commits flat out (a transaction every
// ~25 µs, the lock free for a few µs between them) nearly every try lands while the lock is held:
// the waiter falls to the longest sleeps and starves (measured: a consumer process got 0.6k-2.6k
// messages/s next to a producer process doing 45k/s). Short sleeps with jitter find the gaps.

/** The SQLite result codes that mean "another connection holds the lock, try again". */
function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  // BUSY_SNAPSHOT means a read snapshot went stale: retrying the same transaction cannot help.
  return typeof code === 'string' && (code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_RECOVERY' || code === 'SQLITE_BUSY_TIMEOUT')
}

const sleeper = new Int32Array(new SharedArrayBuffer(4))

/**
 * Runs `run`, trying again while SQLite answers busy, for up to `timeoutMs` in all; then throws
 * the last busy error. Waits 50 µs at first, doubling to at most 2 ms, each with ±50% jitter.
 * Synchronous (the store is): it blocks the thread while it waits, as SQLite's handler would.
 *
 * @example
 * retryWhileBusy(() => begin.run(), 5000)
 */
export function retryWhileBusy<R>(run: () => R, timeoutMs: number): R {
  let deadline = -1
  for (let attempt = 0; ; attempt++) {
    try {
      return run()
    } catch (err) {
      if (!isBusy(err)) throw err
      const now = performance.now()
      if (deadline < 0) deadline = now + timeoutMs
      if (now >= deadline) throw err
      const ms = Math.min(2, 0.05 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random())
      Atomics.wait(sleeper, 0, 0, Math.min(ms, deadline - now))
    }
  }
}
