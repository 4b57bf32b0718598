// How many messages one claim takes: the free slots, plus a little waiting work for fast
// listeners, so a batch is one transaction without claiming far ahead of what can start.

/** Messages claimed per transaction, at most (or `concurrency`, if larger). */
export const BATCH_SIZE = 256
/**
 * A claim takes the free slots plus about this many milliseconds of waiting work, judged by how
 * long deliveries take. Fast (synchronous) listeners get whole batches; slow ones only what they
 * can start soon: messages claimed ahead wait in this process, and another consumer (in another
 * process) could have started them meanwhile.
 */
const CLAIM_AHEAD_MS = 100

/**
 * The claim's limit: the free slots, plus CLAIM_AHEAD_MS worth of deliveries at `deliveryMs`
 * each (a moving average); before any pace is known (undefined), only the free slots.
 *
 * @example
 * claimLimit(1, 0, 0.01) // 256: a fast listener gets a whole batch
 * claimLimit(1, 0, 60)   // 1: a slow one what it can start within ~100 ms
 */
export function claimLimit(concurrency: number, inFlight: number, deliveryMs: number | undefined): number {
  const free = Math.max(1, concurrency - inFlight)
  const most = Math.max(BATCH_SIZE, concurrency)
  if (deliveryMs === undefined) return free
  if (deliveryMs <= 0) return most
  return Math.min(most, Math.max(free, Math.floor((concurrency * CLAIM_AHEAD_MS) / deliveryMs)))
}
