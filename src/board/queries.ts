// The board's reads, shaped for its pages as plain JSON: a channel's jobs by state (keyset pages),
// one job in full, and look-ups by id or key. Every stored value leaves here as text or JSON data
// (arguments through protocol/jsonArgs), never as markup: the page puts it in textContent.
import { decodeEnvelope, decodeValue } from '../protocol/envelope.js'
import { decodeJobOutcome } from '../protocol/jobOutcome.js'
import { argsToJson } from '../protocol/jsonArgs.js'
import type { BoardJobRow, JobRow, JobState, Payload, QueueCursor, Store } from '../store/index.js'
import { BoardRequestError } from './errors.js'

/** The tabs of a channel page. */
export const JOB_STATES: readonly JobState[] = ['waiting', 'delayed', 'active', 'dead', 'completed', 'cancelled']

/** Longest text of a job's arguments, result or progress on its page; longer ones are cut. */
export const MAX_VALUE_CHARS = 64 * 1024
const PREVIEW_CHARS = 160
const ERROR_LINE_CHARS = 160

/** One job in a list. */
export interface JobSummary {
  id: number
  state: JobState
  subscription: string
  priority: number
  attempts: number
  createdAt: number
  runAt: number
  key: string | null
  /** The first line of its last error. */
  error: string | null
  /** A one-line preview of its arguments (null once it ended: they are not kept). */
  args: string | null
}

/** A page of a channel's jobs. */
export interface JobsPage {
  channel: string
  state: JobState
  jobs: JobSummary[]
  /** Pass as `cursor` for the next page; null on the last. */
  next: string | null
}

/** A stored value as text for the page: pretty JSON, cut at MAX_VALUE_CHARS. */
export interface ValueText {
  text: string
  truncated: boolean
  /** Characters before the cut. */
  length: number
}

/** One job in full. */
export interface JobDetail {
  id: number
  channel: string
  subscription: string
  state: JobState
  kind: string | null
  priority: number
  attempts: number
  createdAt: number
  runAt: number
  /** The whole last error (its stack), or null. */
  lastError: string | null
  progress: ValueText | null
  /** The stored arguments; null once the job ended. */
  args: ValueText | null
  /** A handler job's stored outcome. */
  result: { ok: boolean; value: ValueText } | null
}

/**
 * A page of `channel`'s jobs in `state`: waiting in claim order (priority, then due time),
 * delayed soonest first, the others in id order. `cursor` is a page's `next`.
 *
 * @example
 * jobsPage(store, 'resize', 'waiting', null, 50, Date.now()).jobs[0]?.id
 */
export function jobsPage(store: Store, channel: string, state: JobState, cursor: string | null, limit: number, now: number): JobsPage {
  const reads = store.boardReads?.()
  if (reads !== undefined && (state === 'waiting' || state === 'delayed')) {
    const after = cursor === null ? null : parseQueueCursor(cursor)
    const rows = state === 'waiting' ? reads.waiting(channel, after, limit, now) : reads.delayed(channel, after, limit, now)
    const last = rows.length === limit ? rows.at(-1) : undefined
    return {
      channel,
      state,
      jobs: rows.map((row) => queuedSummary(row, state)),
      next: last === undefined ? null : `${last.priority}:${last.runAt}:${last.id}`,
    }
  }
  const afterId = cursor === null ? 0 : parseId(cursor, 'cursor')
  const rows = store.jobs(channel, { state, limit, afterId }, now)
  return { channel, state, jobs: rows.map(summary), next: rows.length === limit ? String(rows.at(-1)!.id) : null }
}

/**
 * Job `id` in full, or undefined when nothing is left of it.
 *
 * @example
 * jobDetail(store, 42, Date.now())?.args?.text
 */
export function jobDetail(store: Store, id: number, now: number): JobDetail | undefined {
  const row = store.job(id, now)
  if (row === undefined) return undefined
  let result: JobDetail['result'] = null
  const stored = row.state === 'completed' || row.state === 'dead' || row.state === 'cancelled' ? store.jobResult(id) : undefined
  if (stored !== undefined) {
    const outcome = safely(() => decodeJobOutcome(stored.payload))
    result = outcome.ok
      ? { ok: outcome.value.ok, value: valueText(outcome.value.ok ? outcome.value.value : outcome.value.failure) }
      : { ok: stored.ok, value: { text: `<undecodable: ${outcome.error}>`, truncated: false, length: 0 } }
  }
  return {
    id: row.id,
    channel: row.channel,
    subscription: row.subscription,
    state: row.state,
    kind: row.kind,
    priority: row.priority,
    attempts: row.attempts,
    createdAt: row.createdAt,
    runAt: row.runAt,
    lastError: row.lastError,
    progress: row.progress === null ? null : decodedText(() => decodeValue(row.progress!)),
    args: row.payload === null ? null : argsText(row.payload),
    result,
  }
}

/**
 * Ids of `channel`'s jobs matching `query`: a job id (when the job is of that channel), or an
 * idempotency key.
 *
 * @example
 * lookUp(store, 'orders', 'order-42', Date.now()) // [1234]
 */
export function lookUp(store: Store, channel: string, query: string, now: number): number[] {
  const ids = new Set<number>()
  if (/^\d{1,15}$/.test(query)) {
    const row = store.job(Number(query), now)
    if (row !== undefined && row.channel === channel) ids.add(row.id)
  }
  for (const id of store.boardReads?.().idsByKey(channel, query) ?? []) ids.add(id)
  return [...ids].sort((a, b) => a - b)
}

function summary(row: JobRow): JobSummary {
  return {
    id: row.id,
    state: row.state,
    subscription: row.subscription,
    priority: row.priority,
    attempts: row.attempts,
    createdAt: row.createdAt,
    runAt: row.runAt,
    key: null,
    error: errorLine(row.lastError),
    args: row.payload === null ? null : preview(row.payload),
  }
}

function queuedSummary(row: BoardJobRow, state: JobState): JobSummary {
  return { ...summary({ ...row, state }), key: row.key }
}

function errorLine(error: string | null): string | null {
  if (error === null) return null
  return cut((error.split('\n', 1)[0] ?? '').trim(), ERROR_LINE_CHARS)
}

function preview(payload: Payload): string {
  const decoded = safely(() => decodeEnvelope(payload).args)
  if (!decoded.ok) return `<undecodable: ${decoded.error}>`
  return cut(JSON.stringify(argsToJson(decoded.value)), PREVIEW_CHARS)
}

function argsText(payload: Payload): ValueText {
  const decoded = safely(() => decodeEnvelope(payload).args)
  if (!decoded.ok) return { text: `<undecodable: ${decoded.error}>`, truncated: false, length: 0 }
  return valueText(decoded.value, true)
}

function decodedText(read: () => unknown): ValueText {
  const decoded = safely(read)
  return decoded.ok ? valueText(decoded.value) : { text: `<undecodable: ${decoded.error}>`, truncated: false, length: 0 }
}

/** A decoded value as pretty JSON (values JSON cannot hold tagged, see jsonArgs.ts), cut when huge. */
function valueText(value: unknown, isArgs = false): ValueText {
  const json = isArgs ? argsToJson(value as unknown[]) : (argsToJson([value]) as unknown[])[0]
  const text = JSON.stringify(json, null, 2) ?? 'undefined'
  return { text: cut(text, MAX_VALUE_CHARS), truncated: text.length > MAX_VALUE_CHARS, length: text.length }
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}

function safely<T>(read: () => T): { ok: true; value: T } | { ok: false; error: string } {
  try {
    return { ok: true, value: read() }
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) }
  }
}

function parseQueueCursor(text: string): QueueCursor {
  const match = /^(-?\d{1,16}):(-?\d{1,16}):(\d{1,16})$/.exec(text)
  if (match === null) throw new BoardRequestError(400, 'ERR_BOARD_BAD_REQUEST', `'${cut(text, 40)}' is not a page cursor`)
  return { priority: Number(match[1]), runAt: Number(match[2]), id: Number(match[3]) }
}

/**
 * A positive whole number from a request (a job id, a cursor).
 *
 * @example
 * parseId('42', 'job id') // 42
 */
export function parseId(text: string, what: string): number {
  const id = Number(text)
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(id)) throw new BoardRequestError(400, 'ERR_BOARD_BAD_REQUEST', `'${cut(text, 40)}' is not a ${what}`)
  return id
}
