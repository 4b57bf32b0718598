// How arguments cross between renderers and the main side: the structured clone algorithm, all
// arguments of one message cloned together, with a precise error when something cannot be copied.
import v8 from 'node:v8'
import { CloneError } from '../errors.js'

/**
 * Copies the arguments of one message as Electron's IPC would. All arguments are cloned in one
 * go, so references shared between them (and cycles) survive. Throws CloneError naming the path
 * of the first value that cannot be cloned (`args[1].user.save`).
 */
export function cloneArgs(args: readonly unknown[]): unknown[] {
  // Primitives are copied by value anyway: skipping the clone keeps small messages cheap.
  let allPrimitive = true
  for (let i = 0; i < args.length; i++) {
    const value = args[i]
    if (typeof value === 'object' ? value !== null : typeof value === 'function' || typeof value === 'symbol') {
      allPrimitive = false
      break
    }
  }
  if (allPrimitive) return args.slice()
  const copy = plainCopy(args, new Map(), 0)
  if (copy !== notPlain) return copy as unknown[]
  assertCloneable(args, 'args')
  try {
    return structuredClone(args) as unknown[]
  } catch (err) {
    throw cloneFailure(args, 'args', err)
  }
}

const notPlain: unique symbol = Symbol('notPlain')

// The common case, JSON-like data (plain objects, dense arrays, primitives), copied by hand: the
// result is what structuredClone gives (shared and cyclic references kept), about ten times
// faster. Anything else (a Date, a Map, a typed array, a function...) returns notPlain and takes
// the full path, which also finds what cannot be cloned.
function plainCopy(value: unknown, seen: Map<object, unknown>, depth: number): unknown {
  if (typeof value !== 'object') return typeof value === 'function' || typeof value === 'symbol' ? notPlain : value
  if (value === null) return null
  const known = seen.get(value)
  if (known !== undefined) return known
  if (depth > 200) return notPlain
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return notPlain
    const length = value.length
    const out: unknown[] = new Array(length)
    seen.set(value, out)
    for (let i = 0; i < length; i++) {
      const item = value[i]
      if (item === undefined && !(i in value)) return notPlain // a hole: structuredClone keeps it
      const copied = plainCopy(item, seen, depth + 1)
      if (copied === notPlain) return notPlain
      out[i] = copied
    }
    // Named properties on an array are cloned too; the full path handles them.
    return depth > 0 && Object.keys(value).length !== length ? notPlain : out
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return notPlain
  const out: Record<string, unknown> = {}
  seen.set(value, out)
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue
    const copied = plainCopy((value as Record<string, unknown>)[key], seen, depth + 1)
    if (copied === notPlain) return notPlain
    out[key] = copied
  }
  return out
}

/** Clones one value (a return value, an invoke result). */
export function cloneValue(value: unknown, label = 'value'): unknown {
  if (typeof value !== 'object' || value === null) {
    if (typeof value === 'function' || typeof value === 'symbol') throw cloneFailure(value, label, undefined)
    return value
  }
  assertCloneable(value, label)
  try {
    return structuredClone(value)
  } catch (err) {
    throw cloneFailure(value, label, err)
  }
}

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
  if (jsonSafe(args, new Set())) return JSON.stringify([sender, args])
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
function jsonSafe(value: unknown, seen: Set<object>): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0)
    case 'object': {
      if (value === null) return true
      if (seen.has(value)) return false
      seen.add(value)
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype) return false
        for (let i = 0; i < value.length; i++) {
          if (!(i in value) || !jsonSafe(value[i], seen)) return false
        }
        return Object.keys(value).length === value.length
      }
      const proto = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) return false
      for (const key in value) {
        if (Object.prototype.hasOwnProperty.call(value, key) && !jsonSafe((value as Record<string, unknown>)[key], seen)) return false
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

// structuredClone shares a SharedArrayBuffer instead of refusing it; Electron refuses it, so we
// look for one (and get the path of any other offender) before cloning. Typed arrays are leaves.
export function assertCloneable(root: unknown, rootLabel: string): void {
  const found = findUncloneable(root, rootLabel)
  if (found) throw new CloneError(found.path, found.detail)
}

function cloneFailure(root: unknown, rootLabel: string, cause: unknown): CloneError {
  const found = findUncloneable(root, rootLabel, true)
  const detail = found?.detail ?? (cause instanceof Error ? cause.message : String(cause))
  return new CloneError(found?.path ?? rootLabel, detail, cause)
}

interface Offender {
  path: string
  detail: string
}

function findUncloneable(root: unknown, rootLabel: string, strict = false): Offender | undefined {
  const seen = new Set<object>()
  const visit = (value: unknown, path: string): Offender | undefined => {
    const kind = typeof value
    if (kind === 'function') return { path, detail: `${describeFunction(value as Function)} is a function` }
    if (kind === 'symbol') return { path, detail: `${String(value)} is a symbol` }
    if (kind !== 'object' || value === null) return undefined
    const obj = value as object
    if (seen.has(obj)) return undefined
    seen.add(obj)
    if (obj instanceof SharedArrayBuffer) return { path, detail: 'SharedArrayBuffer cannot be sent' }
    if (ArrayBuffer.isView(obj)) {
      return obj.buffer instanceof SharedArrayBuffer ? { path, detail: 'a view of a SharedArrayBuffer cannot be sent' } : undefined
    }
    // An Error crosses as its name, message and stack only: its other fields are not copied, so
    // whatever they hold cannot make the clone fail.
    if (obj instanceof ArrayBuffer || obj instanceof Date || obj instanceof RegExp || obj instanceof Error) return undefined
    if (strict) {
      if (obj instanceof Promise) return { path, detail: 'a Promise cannot be cloned' }
      if (obj instanceof WeakMap || obj instanceof WeakSet || obj instanceof WeakRef) return { path, detail: `a ${obj.constructor.name} cannot be cloned` }
    }
    if (obj instanceof Map) {
      let i = 0
      for (const [k, v] of obj) {
        const hit = visit(k, `${path}.<key ${i}>`) ?? visit(v, `${path}.get(${keyLabel(k, i)})`)
        if (hit) return hit
        i++
      }
      return undefined
    }
    if (obj instanceof Set) {
      let i = 0
      for (const v of obj) {
        const hit = visit(v, `${path}.<item ${i}>`)
        if (hit) return hit
        i++
      }
      return undefined
    }
    // Arrays: indices first, then any extra named properties (the clone copies those too).
    const isArray = Array.isArray(obj)
    if (isArray) {
      for (let i = 0; i < obj.length; i++) {
        const hit = visit(obj[i], `${path}[${i}]`)
        if (hit) return hit
      }
    }
    for (const key of Object.keys(obj)) {
      if (isArray && /^(0|[1-9]\d*)$/.test(key)) continue
      const hit = visit((obj as Record<string, unknown>)[key], `${path}${propertyPath(key)}`)
      if (hit) return hit
    }
    return undefined
  }
  return visit(root, rootLabel)
}

function describeFunction(fn: Function): string {
  return fn.name ? `${fn.name}()` : 'an anonymous function'
}

function keyLabel(key: unknown, index: number): string {
  return typeof key === 'string' ? JSON.stringify(key) : typeof key === 'number' ? String(key) : `<key ${index}>`
}

function propertyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`
}
