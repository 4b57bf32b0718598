// The time the board's own code runs on the thread it is served from (the application's main
// thread, for a board mounted in it): requests, the change probe, snapshots taken or merged there.
// Internal, for the benchmark (bench/board.mjs reads it from dist/), not part of the package's API:
// what an open board costs the application is measured, not guessed. Node's HTTP parsing before
// the handler is called, and the socket writes after, are not in it.

let spentMs = 0
let depth = 0

/**
 * Runs `fn`, counting its time as the board's (once, however deeply such calls nest).
 *
 * @example
 * onBoardTime(() => sendJson(res, 200, body))
 */
export function onBoardTime<T>(fn: () => T): T {
  if (depth > 0) return fn()
  depth++
  const started = performance.now()
  try {
    return fn()
  } finally {
    spentMs += performance.now() - started
    depth--
  }
}

/**
 * Milliseconds the board's code has run on this thread since the process started (every board).
 *
 * @example
 * const before = boardTimeMs(); drain(); const share = (boardTimeMs() - before) / elapsed
 */
export function boardTimeMs(): number {
  return spentMs
}
