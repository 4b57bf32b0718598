// Job results are kept for `jobResultRetentionMs` after they were stored (default 7 days), then
// deleted, oldest first, in bounded batches: once when the store opens, then once a minute on a
// timer that never keeps the process alive. Without this the table only grows.

import type { Store } from '../store/index.js'
import { InvalidArgumentError } from '../errors.js'

/** Seven days. */
export const defaultJobResultRetentionMs = 7 * 24 * 60 * 60 * 1000
const PRUNE_EVERY_MS = 60_000
const BATCH = 1000
const BATCHES_PER_TICK = 10

/**
 * Checks the `jobResultRetentionMs` option: a non-negative integer of ms, or Infinity (keep all).
 *
 * @example
 * checkRetention(undefined) // 604800000
 */
export function checkRetention(ms: unknown): number {
  if (ms === undefined) return defaultJobResultRetentionMs
  if (ms === Infinity || (typeof ms === 'number' && Number.isSafeInteger(ms) && ms >= 0)) return ms
  throw new InvalidArgumentError(`Expected jobResultRetentionMs to be a non-negative integer or Infinity, but found ${String(ms)}`)
}

/**
 * Deletes job results stored more than `retentionMs` before `now`, at most 10 batches of 1000.
 * Returns how many. Skipped while the application holds a transaction on a shared handle.
 *
 * @example
 * pruneJobResults(store, 7 * 86_400_000, Date.now())
 */
export function pruneJobResults(store: Store, retentionMs: number, now: number): number {
  if (retentionMs === Infinity || store.inTransaction()) return 0
  let pruned = 0
  for (let i = 0; i < BATCHES_PER_TICK; i++) {
    const n = store.pruneJobResults(now - retentionMs, BATCH)
    pruned += n
    if (n < BATCH) break
  }
  return pruned
}

/**
 * Prunes now and then once a minute until the returned function is called. Best effort: a busy
 * or read-only file is tried again at the next tick.
 *
 * @example
 * const stop = startJobResultPruning(store, retentionMs)
 * stop() // on close
 */
export function startJobResultPruning(store: Store, retentionMs: number): () => void {
  if (retentionMs === Infinity) return () => {}
  const tick = (): void => {
    try {
      pruneJobResults(store, retentionMs, Date.now())
    } catch {
      // next tick
    }
  }
  tick()
  const timer = setInterval(tick, PRUNE_EVERY_MS)
  timer.unref()
  return () => clearInterval(timer)
}
