// Whether PostgreSQL can be reached, as the store's own calls find out. Once a call could not
// reach it (the connection refused or lost, or no answer in time), every call fails fast with
// ERR_STORE_UNAVAILABLE, touching no connection, while one probe in the background tries again
// (PROBE_MIN_MS, doubling to PROBE_MAX_MS); the first probe that gets an answer lets calls through
// again. Without it each call of each consumer, the forwarder and the watcher opened a connection
// of its own (about 68 attempts per node in a 10 s outage), and each synchronous call to a server
// that stopped answering blocked its caller for the whole timeoutMs.

import { StoreError } from '../../errors.js'

/** The first probe after a failure, and the longest wait between two. */
export const PROBE_MIN_MS = 100
export const PROBE_MAX_MS = 1000

const OUTAGE_CODES = new Set(['ERR_STORE_UNAVAILABLE', 'ERR_STORE_TIMEOUT'])

export interface Reachability {
  /** Throws ERR_STORE_UNAVAILABLE at once while PostgreSQL is known to be out of reach. */
  check(operation: string): void
  /** A call failed with `raw` (translated: `error`); a failure to reach the server starts probing. */
  failed(raw: unknown, error: unknown): void
  /** Stops probing. */
  close(): void
}

/** Whether a failure says the server cannot be reached, not that it answered with an error. */
function isUnreachable(raw: unknown, error: unknown): boolean {
  if (!(error instanceof StoreError) || !OUTAGE_CODES.has(error.code)) return false
  // A server that answers (a cancelled statement, wrong credentials) is reachable; one shutting
  // down or starting up (57P..) or a connection failure (08...) is not.
  const state = (raw as { code?: unknown } | null)?.code
  return !(typeof state === 'string' && /^[0-9A-Z]{5}$/.test(state) && !/^(08|57P)/.test(state))
}

/**
 * Tracks reachability; `probe` is one round trip to the server (resolves when it answered).
 *
 * @example
 * const reach = watchReachability(() => pool.query('SELECT 1'))
 * reach.check('publish')            // throws while out of reach
 * catch (err) { reach.failed(err, translated) }
 */
export function watchReachability(probe: () => Promise<unknown>, now: () => number = Date.now): Reachability {
  let downSince: number | undefined
  let delayMs = PROBE_MIN_MS
  let timer: NodeJS.Timeout | undefined
  let closed = false
  const schedule = (): void => {
    timer = setTimeout(() => {
      timer = undefined
      probe().then(
        () => {
          downSince = undefined
          delayMs = PROBE_MIN_MS
        },
        () => {
          delayMs = Math.min(delayMs * 2, PROBE_MAX_MS)
          if (!closed) schedule()
        },
      )
    }, delayMs)
    timer.unref()
  }
  return {
    check(operation) {
      if (downSince === undefined) return
      throw new StoreError(
        'ERR_STORE_UNAVAILABLE',
        `Cannot ${operation}: PostgreSQL cannot be reached (for ${now() - downSince} ms now; reconnecting in the background)`,
      )
    },
    failed(raw, error) {
      if (closed || downSince !== undefined || !isUnreachable(raw, error)) return
      downSince = now()
      schedule()
    },
    close() {
      closed = true
      if (timer !== undefined) clearTimeout(timer)
    },
  }
}
