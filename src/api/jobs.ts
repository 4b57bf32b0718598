// How jobs read from the public API: a stored outcome as the handler's value or its failure (the
// invoke caller's rejection: Electron's message, plus the original's name, code and fields; a
// JobCancelledError for a cancelled job), how a job's end settles waitForJob, and a stored job as
// JobInfo.
import type { JobEnd } from '../actors/durable/jobWaiters.js'
import { JobCancelledError, JobFailedError } from '../errors.js'
import { invokeRejection } from '../ipc/invokeErrors.js'
import { decodeValue } from '../protocol/envelope.js'
import type { StoredOutcome } from '../protocol/jobOutcome.js'
import type { JobRow } from '../store/index.js'
import type { JobInfo, JobResult } from '../types.js'

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
 * The value an invoke caller on `channel` gets, or the rejection it gets. A job that left nothing
 * (its outcome pruned) gives undefined.
 *
 * @example
 * await dispatcher.waitForJob(id, (end) => invokeOutcome(id, channel, end))
 */
export function invokeOutcome(id: number, channel: string, end: JobEnd): unknown {
  if ('gone' in end) return undefined
  if ('dead' in end) throw invokeRejection(channel, { text: new JobFailedError(id, end.dead).message, name: 'JobFailedError', code: 'ERR_JOB_FAILED' })
  if (end.outcome.ok) return end.outcome.value
  if (end.outcome.cancelled) throw new JobCancelledError(id, `Error invoking remote method '${channel}': ${end.outcome.failure.text}`)
  throw invokeRejection(channel, end.outcome.failure)
}

/**
 * What `broker.waitForJob(id)` settles with: a handler job's value (undefined for an acknowledged
 * listener message), or its failure as `jobResult` reads it; a dead listener message rejects with
 * JobFailedError.
 *
 * @example
 * await dispatcher.waitForJob(id, (end) => waitedOutcome(id, end))
 */
export function waitedOutcome(id: number, end: JobEnd): unknown {
  if ('gone' in end) return undefined
  if ('dead' in end) throw new JobFailedError(id, end.dead)
  const result = toJobResult(id, end.outcome)
  if (result.ok) return result.value
  throw result.error
}

/**
 * A stored job as the public API shows it: dates as Date, progress decoded.
 *
 * @example
 * toJobInfo(store.job(42, Date.now())!).state // 'waiting'
 */
export function toJobInfo(row: JobRow): JobInfo {
  return {
    id: row.id,
    channel: row.channel,
    subscription: row.subscription,
    state: row.state,
    attempts: row.attempts,
    priority: row.priority,
    progress: row.progress === null ? null : decodeValue(row.progress),
    createdAt: new Date(row.createdAt),
    runAt: new Date(row.runAt),
    lastError: row.lastError,
  }
}
