// A job's outcome as stored (a durable invoke's, or a handler channel's): the handler's value, or
// its failure reduced to plain data. Written by the consumer, read by callers in any process.
import { decodeValue, encodeValue } from './envelope.js'

/** A handler's failure reduced to plain, cloneable data, so it can cross a thread or be stored. */
export interface InvokeFailure {
  /** `String(err)`, as Electron puts it in the message. */
  text: string
  name?: string
  code?: unknown
  /** The original's own enumerable fields that could be cloned (message and stack excluded). */
  fields?: Record<string, unknown>
}

/**
 * The stored outcome of a job. `cancelled`: the job was cancelled (broker.cancel), not failed by
 * its handler: its callers reject with JobCancelledError.
 */
export type StoredOutcome = { ok: true; value: unknown } | { ok: false; failure: InvokeFailure; cancelled?: true }

/** What a stored outcome is, as the store records it beside the payload. */
export type OutcomeState = 'completed' | 'failed' | 'cancelled'

/**
 * A handler's value, stored as the job's outcome (V8 format: any cloneable value).
 *
 * @example
 * store.ackWithResult(id, owner, true, encodeJobSuccess(42), Date.now())
 */
export function encodeJobSuccess(value: unknown): Uint8Array {
  return encodeValue({ ok: true, value } satisfies StoredOutcome)
}

/**
 * A handler's failure, stored as the job's outcome.
 *
 * @example
 * encodeJobFailure({ text: 'Error: nope', name: 'Error' })
 */
export function encodeJobFailure(failure: InvokeFailure): Uint8Array {
  return encodeValue({ ok: false, failure } satisfies StoredOutcome)
}

/**
 * The failure stored for a cancelled job (as JobCancelledError reads once reduced to data).
 *
 * @example
 * encodeJobFailure(cancelledFailure(42))
 */
export function cancelledFailure(id: number): InvokeFailure {
  return { text: `JobCancelledError: Job ${id} was cancelled`, name: 'JobCancelledError', code: 'ERR_JOB_CANCELLED' }
}

/**
 * Reverses encodeJobSuccess / encodeJobFailure. `state` is the store's word for the outcome: a
 * 'cancelled' one reads as cancelled whatever its payload says.
 *
 * @example
 * decodeJobOutcome(row.payload, row.state)
 */
export function decodeJobOutcome(payload: Uint8Array, state?: OutcomeState): StoredOutcome {
  const outcome = decodeValue(payload) as StoredOutcome
  if (state === 'cancelled' && !outcome.ok) outcome.cancelled = true
  return outcome
}
