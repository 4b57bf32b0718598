// Housekeeping of one open store, on timers that never keep the process alive: job results
// deleted after jobResultRetentionMs (oldest first, in bounded batches: at open, then once a
// minute), and channels declared by another process on the same file learnt within about a second
// (one read of the store's change token a second; the channel list is read only when it changed), so that
// a renderer's send on such a channel is stored instead of being treated as transient.

import type { ChannelConfig, Store } from '../../store/index.js'

const PRUNE_EVERY_MS = 60_000
const BATCH = 1000
const BATCHES_PER_TICK = 10

/**
 * Deletes job results stored more than `retentionMs` before `now`, at most 10 batches of 1000.
 * Returns how many. Skipped while the application holds a transaction on a shared handle.
 *
 * @example
 * pruneJobResults(store, 7 * 86_400_000, Date.now())
 */
export function pruneJobResults(store: Store, retentionMs: number, now: number): number {
  if (retentionMs === Infinity || !store.mayWrite()) return 0
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

const CHECK_EVERY_MS = 1000

/**
 * Calls `onChannel` for every declared channel each time another connection has committed since
 * the last look (the first look is a second from now: the caller read the list as it opened), on
 * an unref'd timer. Returns the function that stops it. Best effort: a busy file is read next time.
 *
 * @example
 * const stop = watchDeclarations(store, (name, config) => configs.set(name, config))
 */
export function watchDeclarations(store: Store, onChannel: (name: string, config: ChannelConfig) => void): () => void {
  let seen: number | undefined
  try {
    seen = store.changeToken()
  } catch {
    // the first check lists the channels
  }
  const check = (): void => {
    try {
      const version = store.changeToken()
      if (version === seen) return
      seen = version
      for (const { name, config } of store.listChannels()) onChannel(name, config)
    } catch {
      // next time
    }
  }
  const timer = setInterval(check, CHECK_EVERY_MS)
  timer.unref()
  return () => clearInterval(timer)
}
