// Payloads in and out of PostgreSQL: a payload is text or bytes (store/types.ts), kept as bytea with
// a flag saying which, so that the store gives back what it was given, as SQLite does. Bytes read
// back are Buffers (as better-sqlite3 gives blobs), also when they crossed the bridge's worker
// boundary, which clones a Buffer into a plain Uint8Array.

import type { Payload } from '../types.js'

/** The bytea parameter and the text flag of a payload. */
export function payloadParams(payload: Payload): [bytes: Buffer, isText: boolean] {
  if (typeof payload === 'string') return [Buffer.from(payload, 'utf8'), true]
  return [toBuffer(payload), false]
}

/** A payload as stored: its bytes and whether it was text. */
export function readPayload(bytes: unknown, isText: unknown): Payload {
  const buffer = toBuffer(bytes as Uint8Array)
  return isText === true ? buffer.toString('utf8') : buffer
}

/** Bytes as a Buffer, sharing memory (a Uint8Array from the worker, or a Buffer already). */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** The column arrays of a multi-row message insert (unnest): kind, payload, is-text, created, visible, priority. */
export type MessageColumns = [kinds: string[], payloads: Buffer[], texts: boolean[], createdAt: number[], visibleAt: number[], priorities: number[]]

/** Empty column arrays for messageColumns. */
export function newMessageColumns(): MessageColumns {
  return [[], [], [], [], [], []]
}

/**
 * Appends one message to the column arrays of a multi-row insert.
 *
 * @example
 * const columns = newMessageColumns(); pushMessage(columns, input)
 */
export function pushMessage(columns: MessageColumns, input: { kind: string; payload: Payload; now: number; visibleAt: number; priority?: number | undefined }): void {
  const [bytes, isText] = payloadParams(input.payload)
  columns[0].push(input.kind)
  columns[1].push(bytes)
  columns[2].push(isText)
  columns[3].push(input.now)
  columns[4].push(input.visibleAt)
  columns[5].push(input.priority ?? 0)
}
