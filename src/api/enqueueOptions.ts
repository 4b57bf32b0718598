// The options of `broker.enqueue` (key, delayMs, runAt, priority), checked and turned into what a publish stores.

import { InvalidArgumentError } from '../errors.js'
import { assertKnownKeys, optionKeys } from './optionKeys.js'
import type { OptionHint } from './optionKeys.js'
import { assertOptionalMs } from '../ipc/validation.js'

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
  /** Higher is delivered first; FIFO within a priority (per subscription). A safe integer, default 0. */
  priority?: number
  /**
   * Store it in the transaction the application holds open on a shared `database` right now (one
   * opened by hand, e.g. BEGIN held across an await): it then commits or rolls back with it.
   * Without this such an enqueue throws TransactionOpenError. No transaction open: stored on its own.
   */
  joinTransaction?: boolean
}

/** Every key of EnqueueOptions: a key added there must be added here (the compiler says so). */
export const ENQUEUE_OPTION_KEYS = optionKeys<EnqueueOptions>()(['key', 'delayMs', 'runAt', 'priority', 'joinTransaction'])

const RETRIES_PER_CHANNEL = 'attempts and back-off are set per channel: broker.channel(name, { durable: true, maxAttempts, backoff })'

// The names BullMQ, pg-boss, graphile-worker and others give these options.
const ENQUEUE_HINTS: Record<string, OptionHint> = {
  delay: 'delayMs',
  delaySeconds: "did you mean 'delayMs'? It is in milliseconds",
  startAfter: "did you mean 'runAt' (a Date or epoch ms) or 'delayMs' (ms from now)?",
  delayUntil: 'runAt',
  runAfter: 'runAt',
  notBefore: 'runAt',
  availableAt: 'runAt',
  scheduledAt: 'runAt',
  processAt: 'runAt',
  jobId: 'key',
  jobKey: 'key',
  id: 'key',
  singletonKey: 'key',
  idempotencyKey: 'key',
  uniqueKey: 'key',
  dedupKey: 'key',
  deduplicationId: 'key',
  deduplicationKey: 'key',
  prio: 'priority',
  weight: 'priority',
  rank: 'priority',
  attempts: RETRIES_PER_CHANNEL,
  maxAttempts: RETRIES_PER_CHANNEL,
  retries: RETRIES_PER_CHANNEL,
  retryLimit: RETRIES_PER_CHANNEL,
  backoff: RETRIES_PER_CHANNEL,
  retryDelay: RETRIES_PER_CHANNEL,
}

const NO_OPTIONS: ParsedEnqueueOptions = Object.freeze({ key: null, visibleAt: undefined, priority: 0, joinTransaction: false })

/** The latest time a JavaScript Date can hold: 8.64e15 ms after the epoch (year 275760). */
const MAX_DATE_MS = 8.64e15

export interface EnqueueResult {
  /** The stored message's id (the existing one's, for a duplicate key). */
  id: number
  duplicate: boolean
}

/**
 * Checks enqueue options and returns the idempotency key, the time the message becomes visible
 * (the later of `delayMs` from now and `runAt`; undefined: now), and whether it may join an open
 * application transaction. Throws before anything is stored: an unknown key, a bad value, or a
 * time past what a Date can hold.
 *
 * @example
 * parseEnqueueOptions({ key: 'order-42', delayMs: 1000 }) // { key: 'order-42', visibleAt: Date.now() + 1000, priority: 0, joinTransaction: false }
 */
export interface ParsedEnqueueOptions {
  key: string | null
  visibleAt: number | undefined
  priority: number
  joinTransaction: boolean
}

export function parseEnqueueOptions(options: EnqueueOptions | undefined, now = Date.now()): ParsedEnqueueOptions {
  // A renderer's send (and an enqueue without options): nothing to check, nothing to allocate.
  if (options === undefined) return NO_OPTIONS
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('Expected enqueue options to be an object')
  assertKnownKeys(options, ENQUEUE_OPTION_KEYS, 'enqueue options', ENQUEUE_HINTS)
  const { key, delayMs, runAt, priority, joinTransaction } = options
  if (joinTransaction !== undefined && typeof joinTransaction !== 'boolean') throw new InvalidArgumentError('Expected joinTransaction to be a boolean')
  if (key !== undefined && (typeof key !== 'string' || key.length === 0)) throw new InvalidArgumentError('Expected key to be a non-empty string')
  if (priority !== undefined && (typeof priority !== 'number' || !Number.isSafeInteger(priority))) {
    throw new InvalidArgumentError(`Expected priority to be a safe integer, but found ${String(priority)}`)
  }
  assertOptionalMs(delayMs, 'delayMs')
  let visibleAt: number | undefined
  if (delayMs !== undefined) {
    visibleAt = now + delayMs
    if (visibleAt > MAX_DATE_MS) {
      throw new InvalidArgumentError(`Expected delayMs to end at a valid Date (at most 8.64e15 ms after the epoch, in the year 275760), but now + ${delayMs} ms is beyond it`)
    }
  }
  if (runAt !== undefined) {
    if (runAt instanceof Date && Number.isNaN(runAt.getTime())) throw new InvalidArgumentError('Expected runAt to be a valid Date, but found an invalid Date')
    const at = runAt instanceof Date ? runAt.getTime() : runAt
    if (typeof at !== 'number' || !Number.isFinite(at)) throw new InvalidArgumentError('Expected runAt to be a Date or epoch milliseconds')
    if (Math.abs(at) > MAX_DATE_MS) {
      throw new InvalidArgumentError(`Expected runAt to be a valid Date time (at most 8.64e15 ms from the epoch, in the year 275760), but found ${at}`)
    }
    visibleAt = Math.max(visibleAt ?? 0, at)
  }
  return { key: key ?? null, visibleAt, priority: priority ?? 0, joinTransaction: joinTransaction === true }
}
