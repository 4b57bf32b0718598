// One 'error' report per PostgreSQL outage, not one per retry: while the server is down every
// consumer, the scheduler and the forwarder fail and try again, each on its own back-off. The
// first failure that says the server cannot be reached (or did not answer in time) is reported;
// the next ones are not, until QUIET_MS pass without one (the outage ended). Any other error is
// reported as it comes.
import { StoreError } from '../../errors.js'

/** How long without an outage failure ends the outage (longer than any back-off between retries). */
export const QUIET_MS = 10_000

const OUTAGE_CODES = new Set(['ERR_STORE_UNAVAILABLE', 'ERR_STORE_TIMEOUT'])

/**
 * Filters a reporter so that an outage is reported once.
 *
 * @example
 * const report = onePerOutage((error, channel) => broker.reportError(error, channel))
 * report(unreachable, 'jobs') // reported
 * report(unreachable, 'jobs') // not: the same outage
 */
export function onePerOutage(report: (error: unknown, channel: string) => void, now: () => number = Date.now): (error: unknown, channel: string) => void {
  let lastAt = -Infinity
  return (error, channel) => {
    if (!(error instanceof StoreError) || !OUTAGE_CODES.has(error.code)) return report(error, channel)
    const at = now()
    const known = at - lastAt < QUIET_MS
    lastAt = at
    if (!known) report(error, channel)
  }
}
