// How arguments cross between renderers and the main side: the structured clone algorithm, all
// arguments of one message cloned together, with a precise error when something cannot be copied.
import v8 from 'node:v8'
import { CloneError } from '../errors.js'

/**
 * How deeply a message's arguments (or a reply, an invoke result) may nest: objects, arrays, Maps,
 * Sets and error causes inside one another, at most this many levels below the argument list (or
 * the reply itself). A deeper value is refused with a CloneError at the call, nothing sent or
 * stored. Why a bound at all: V8's deserializer gives up far sooner than its serializer. Measured
 * on Node 20: objects nested ~1,900 levels deep fail to deserialize on the main thread (~1 MB of
 * stack; ~7,700 in a worker, 4 MB), while the serializer takes ~3,000, so such a value was stored
 * and then could never be delivered. JSON.stringify manages ~4,100, JSON.parse any depth. A
 * thousand leaves half the stack to whatever a delivery is already running in.
 */
export const MAX_NESTING_DEPTH = 1000

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

// A path is spelled out only for an offender: while looking, each level just links to its parent.
interface PathStep {
  parent: PathStep | undefined
  kind: 'root' | 'index' | 'property' | 'mapKey' | 'mapValue' | 'setItem' | 'cause'
  /** The root's label, a property name, a Map's key. */
  key: unknown
  index: number
}

function step(parent: PathStep, kind: PathStep['kind'], key: unknown, index: number): PathStep {
  return { parent, kind, key, index }
}

/**
 * Looks for what the structured clone algorithm would refuse (or share, for a SharedArrayBuffer)
 * and for nesting past MAX_NESTING_DEPTH. It recurses, but never more than MAX_NESTING_DEPTH
 * levels, so however deep the value it cannot overflow the stack itself.
 */
function findUncloneable(root: unknown, rootLabel: string, strict = false): Offender | undefined {
  const seen = new Set<object>()
  const found = (at: PathStep, detail: string): Offender => ({ path: pathText(at), detail })
  const visit = (value: unknown, at: PathStep, depth: number): Offender | undefined => {
    const kind = typeof value
    if (kind === 'function') return found(at, `${describeFunction(value as Function)} is a function`)
    if (kind === 'symbol') return found(at, `${String(value)} is a symbol`)
    if (kind !== 'object' || value === null) return undefined
    const obj = value as object
    if (seen.has(obj)) return undefined
    seen.add(obj)
    if (obj instanceof SharedArrayBuffer) return found(at, 'SharedArrayBuffer cannot be sent')
    if (ArrayBuffer.isView(obj)) {
      return obj.buffer instanceof SharedArrayBuffer ? found(at, 'a view of a SharedArrayBuffer cannot be sent') : undefined
    }
    if (obj instanceof ArrayBuffer || obj instanceof Date || obj instanceof RegExp) return undefined
    if (depth > MAX_NESTING_DEPTH) return found(at, `a value nested more than ${MAX_NESTING_DEPTH} levels deep cannot be cloned`)
    // An Error crosses as its name, message, stack and own `cause` only: its other fields are not
    // copied, so whatever they hold cannot make the clone fail; its cause can.
    if (obj instanceof Error) {
      const cause = Object.getOwnPropertyDescriptor(obj, 'cause')
      return cause !== undefined && 'value' in cause ? visit(cause.value, step(at, 'cause', undefined, 0), depth + 1) : undefined
    }
    if (strict) {
      if (obj instanceof Promise) return found(at, 'a Promise cannot be cloned')
      if (obj instanceof WeakMap || obj instanceof WeakSet || obj instanceof WeakRef) return found(at, `a ${obj.constructor.name} cannot be cloned`)
    }
    if (obj instanceof Map) {
      let i = 0
      for (const [k, v] of obj) {
        const hit = visit(k, step(at, 'mapKey', k, i), depth + 1) ?? visit(v, step(at, 'mapValue', k, i), depth + 1)
        if (hit) return hit
        i++
      }
      return undefined
    }
    if (obj instanceof Set) {
      let i = 0
      for (const v of obj) {
        const hit = visit(v, step(at, 'setItem', undefined, i), depth + 1)
        if (hit) return hit
        i++
      }
      return undefined
    }
    // Arrays: indices first, then any extra named properties (the clone copies those too).
    const isArray = Array.isArray(obj)
    if (isArray) {
      for (let i = 0; i < obj.length; i++) {
        const hit = visit(obj[i], step(at, 'index', undefined, i), depth + 1)
        if (hit) return hit
      }
    }
    for (const key of Object.keys(obj)) {
      if (isArray && /^(0|[1-9]\d*)$/.test(key)) continue
      const hit = visit((obj as Record<string, unknown>)[key], step(at, 'property', key, 0), depth + 1)
      if (hit) return hit
    }
    return undefined
  }
  return visit(root, { parent: undefined, kind: 'root', key: rootLabel, index: 0 }, 0)
}

function segment(at: PathStep): string {
  switch (at.kind) {
    case 'root':
      return at.key as string
    case 'index':
      return `[${at.index}]`
    case 'property':
      return propertyPath(at.key as string)
    case 'mapKey':
      return `.<key ${at.index}>`
    case 'mapValue':
      return `.get(${keyLabel(at.key, at.index)})`
    case 'setItem':
      return `.<item ${at.index}>`
    case 'cause':
      return '.cause'
  }
}

// The path of an offender, e.g. `args[1].user.save`. A very long one (past MAX_NESTING_DEPTH)
// keeps its first and last steps around the count of those left out, so the message stays short.
const PATH_ENDS = 8

function pathText(at: PathStep): string {
  const segments: string[] = []
  for (let s: PathStep | undefined = at; s; s = s.parent) segments.push(segment(s))
  segments.reverse()
  if (segments.length <= 3 * PATH_ENDS) return segments.join('')
  const left = segments.length - 2 * PATH_ENDS - 1
  return `${segments.slice(0, PATH_ENDS + 1).join('')}…(${left} levels)…${segments.slice(-PATH_ENDS).join('')}`
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
