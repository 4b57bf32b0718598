// Retry timing for durable deliveries: exponential back-off with jitter, so that a burst of
// failures does not come back as a burst of retries.

export interface BackoffPolicy {
  initialMs: number
  maxMs: number
}

/**
 * The delay before attempt `attempt + 1`, after attempt `attempt` failed: `initialMs * 2^(attempt-1)`
 * capped at `maxMs`, then drawn uniformly from its upper half ("equal jitter").
 *
 * @example
 * backoffDelay({ initialMs: 1000, maxMs: 60_000 }, 3) // between 2000 and 4000
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 52)
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** exponent)
  return Math.round(ceiling / 2 + (random() * ceiling) / 2)
}
