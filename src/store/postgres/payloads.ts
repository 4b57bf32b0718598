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
