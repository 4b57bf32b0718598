// A durable message as stored: its sender and arguments, as JSON text when JSON carries them
// exactly, otherwise in V8's serialization format; and a job's stored outcome. Read by the
// consumers, the command-line tool and the board alike.
import v8 from 'node:v8'
import { assertCloneable, cloneFailure, MAX_NESTING_DEPTH } from './cloneCheck.js'

/** Serializes arguments for storage (durable channels): the same rules as cloneArgs. */
export function encodeArgs(args: readonly unknown[]): Uint8Array {
  assertCloneable(args, 'args')
  try {
    return serialize(args)
  } catch (err) {
    throw cloneFailure(args, 'args', err)
  }
}

/** Reverses encodeArgs. */
export function decodeArgs(bytes: Uint8Array): unknown[] {
  return deserialize(bytes) as unknown[]
}

/** A stored message: its arguments and the id of the renderer that sent it (null: the main side). */
export interface Envelope {
  sender: string | null
  args: unknown[]
}

/**
 * Serializes a durable message with its sender, checked as cloneArgs checks. JSON-like arguments
 * are stored as JSON text (a few times cheaper to write and read than the V8 format, and readable
 * in the database); anything else as bytes in the V8 format.
 */
export function encodeEnvelope(sender: string | null, args: readonly unknown[]): Uint8Array | string {
  if (jsonSafe(args, new Set(), 0)) return JSON.stringify([sender, args])
  assertCloneable(args, 'args')
  try {
    return serialize([sender, args])
  } catch (err) {
    throw cloneFailure(args, 'args', err)
  }
}

/** Reverses encodeEnvelope; also reads JSON stored as bytes (as files written before text payloads hold it). */
export function decodeEnvelope(payload: Uint8Array | string): Envelope {
  const [sender, args] = (typeof payload === 'string'
    ? JSON.parse(payload)
    : payload[0] === jsonArrayByte
      ? JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'))
      : deserialize(payload)) as [string | null, unknown[]]
  return { sender, args }
}

const jsonArrayByte = 0x5b // '['; the V8 format starts with its version tag, 0xFF

// True when JSON round-trips the value exactly as the structured clone algorithm would: plain
// objects, dense arrays, strings, finite numbers other than -0, booleans and null, with no shared
// or cyclic references (JSON would duplicate or refuse them) and no undefined (JSON drops it).
// False past MAX_NESTING_DEPTH too: the full check then names the place.
function jsonSafe(value: unknown, seen: Set<object>, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0)
    case 'object': {
      if (value === null) return true
      if (seen.has(value) || depth > MAX_NESTING_DEPTH) return false
      seen.add(value)
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype) return false
        for (let i = 0; i < value.length; i++) {
          if (!(i in value) || !jsonSafe(value[i], seen, depth + 1)) return false
        }
        return Object.keys(value).length === value.length
      }
      const proto = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) return false
      for (const key in value) {
        if (Object.prototype.hasOwnProperty.call(value, key) && !jsonSafe((value as Record<string, unknown>)[key], seen, depth + 1)) return false
      }
      // JSON.parse gives `__proto__` its special meaning back; leave such keys to the V8 format.
      return !Object.prototype.hasOwnProperty.call(value, '__proto__')
    }
    default:
      return false
  }
}

/** Serializes one value for storage (a job's result). */
export function encodeValue(value: unknown): Uint8Array {
  assertCloneable(value, 'value')
  try {
    return serialize(value)
  } catch (err) {
    throw cloneFailure(value, 'value', err)
  }
}

export function decodeValue(bytes: Uint8Array): unknown {
  return deserialize(bytes)
}

// The plain V8 serializer (not Node's DefaultSerializer) treats typed arrays as the structured
// clone algorithm does: a Buffer comes back a Uint8Array, as it would over IPC.
function serialize(value: unknown): Buffer {
  const serializer = new v8.Serializer()
  serializer.writeHeader()
  serializer.writeValue(value)
  return serializer.releaseBuffer()
}

function deserialize(bytes: Uint8Array): unknown {
  const deserializer = new v8.Deserializer(bytes as Buffer)
  deserializer.readHeader()
  return deserializer.readValue()
}
