// The options of `broker.enqueue` (key, delayMs, runAt), checked and turned into what a publish stores.

import { InvalidArgumentError } from '../errors.js'
import { assertOptionalMs } from './validation.js'

/**
 * Options of `broker.enqueue`.
 *
 * @example
 * broker.enqueue('jobs', [{ order: 42 }], { key: 'order-42', delayMs: 1000 })
 */
export interface EnqueueOptions {
  /** Idempotency key: while a message with this key waits, another one is not stored. */
  key?: string
  /** Not delivered before this many ms from now. */
  delayMs?: number
  /** Not delivered before this time (a Date or epoch ms). */
  runAt?: Date | number
  /**
   * Store it in the transaction the application holds open on a shared `database` right now (one
   * opened by hand, e.g. BEGIN held across an await): it then commits or rolls back with it.
   * Without this such an enqueue throws TransactionOpenError. No transaction open: stored on its own.
   */
  joinTransaction?: boolean
}

export interface EnqueueResult {
  /** The stored message's id (the existing one's, for a duplicate key). */
  id: number
  duplicate: boolean
}

/**
 * Checks enqueue options and returns the idempotency key, the time the message becomes visible
 * (the later of `delayMs` from now and `runAt`; undefined: now), and whether it may join an open
 * application transaction.
 *
 * @example
 * parseEnqueueOptions({ key: 'order-42', delayMs: 1000 }) // { key: 'order-42', visibleAt: Date.now() + 1000, joinTransaction: false }
 */
export function parseEnqueueOptions(options: EnqueueOptions): { key: string | null; visibleAt: number | undefined; joinTransaction: boolean } {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('Expected enqueue options to be an object')
  const { key, delayMs, runAt, joinTransaction } = options
  if (joinTransaction !== undefined && typeof joinTransaction !== 'boolean') throw new InvalidArgumentError('Expected joinTransaction to be a boolean')
  if (key !== undefined && (typeof key !== 'string' || key.length === 0)) throw new InvalidArgumentError('Expected key to be a non-empty string')
  assertOptionalMs(delayMs, 'delayMs')
  let visibleAt: number | undefined
  if (delayMs !== undefined) visibleAt = Date.now() + delayMs
  if (runAt !== undefined) {
    const at = runAt instanceof Date ? runAt.getTime() : runAt
    if (typeof at !== 'number' || !Number.isFinite(at)) throw new InvalidArgumentError('Expected runAt to be a Date or epoch milliseconds')
    visibleAt = Math.max(visibleAt ?? 0, at)
  }
  return { key: key ?? null, visibleAt, joinTransaction: joinTransaction === true }
}
