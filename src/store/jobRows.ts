// A job as both backends' job reads select it (sqlite/jobReads.ts, postgres/jobReads.ts), made into
// the JobRow the Store contract returns.
import type { JobRow, JobState, MessageKind, Payload } from './types.js'

/** The columns of a job read, whatever the backend; the payload comes apart (decoded per backend). */
export interface JobColumns {
  id: number
  channel: string | null
  subscription: string | null
  kind: MessageKind | null
  attempts: number
  priority: number
  progress: Uint8Array | null
  createdAt: number | null
  runAt: number | null
  lastError: string | null
  /** Queue rows: 'active', 'delayed' or 'waiting'; dead letters 'dead'; outcomes their state. */
  state: string
}

/** The JobRow of `row`, with `payload` as its backend decoded it. */
export function toJobRow(row: JobColumns, payload: Payload | null): JobRow {
  const ended = row.runAt ?? 0
  return {
    id: row.id,
    channel: row.channel ?? '',
    subscription: row.subscription ?? '',
    kind: row.kind,
    payload,
    state: row.state as JobState,
    attempts: row.attempts,
    priority: row.priority,
    // A plain Uint8Array, whatever the driver gave (a Buffer).
    progress: row.progress === null ? null : new Uint8Array(row.progress.buffer, row.progress.byteOffset, row.progress.byteLength),
    createdAt: row.createdAt ?? ended,
    runAt: ended,
    lastError: row.lastError,
  }
}
