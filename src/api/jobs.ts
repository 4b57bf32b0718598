// How a stored job outcome reads from the public API: the handler's value, or its failure as the
// invoke caller's rejection (Electron's message, plus the original's name, code and fields), or,
// for a cancelled job, a JobCancelledError.
import { JobCancelledError } from '../errors.js'
import { invokeRejection } from '../ipc/invokeErrors.js'
import type { StoredOutcome } from '../protocol/jobOutcome.js'
import type { JobResult } from '../types.js'

/**
 * A stored outcome as `broker.jobResult(id)` returns it (a failure reads `Job <id> failed: ...`),
 * or, with `channel`, as the invoke caller on that channel gets it.
 *
 * @example
 * toJobResult(42, { ok: true, value: 3 }) // { ok: true, value: 3 }
 */
export function toJobResult(id: number, outcome: StoredOutcome, channel?: string): JobResult {
  if (outcome.ok) return outcome
  if (outcome.cancelled) return { ok: false, error: new JobCancelledError(id) }
  const error = invokeRejection(channel ?? '', outcome.failure)
  // The stored outcome does not name its channel; the id is what the caller asked about.
  if (channel === undefined) error.message = `Job ${id} failed: ${outcome.failure.text}`
  return { ok: false, error }
}

/**
 * The value an invoke caller on `channel` gets, or the rejection it gets.
 *
 * @example
 * await dispatcher.waitForJob(id, (outcome) => invokeOutcome(channel, outcome))
 */
export function invokeOutcome(channel: string, outcome: StoredOutcome, id?: number): unknown {
  if (outcome.ok) return outcome.value
  if (outcome.cancelled) throw new JobCancelledError(id, `Error invoking remote method '${channel}': ${outcome.failure.text}`)
  throw invokeRejection(channel, outcome.failure)
}
