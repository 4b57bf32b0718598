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

/** The stored outcome of a job. */
export type StoredOutcome = { ok: true; value: unknown } | { ok: false; failure: InvokeFailure }

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

/** Reverses encodeJobSuccess / encodeJobFailure. */
export function decodeJobOutcome(payload: Uint8Array): StoredOutcome {
  return decodeValue(payload) as StoredOutcome
}
