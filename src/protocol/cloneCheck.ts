// What the structured clone algorithm (and so Electron's IPC, and a stored message) cannot carry,
// found before copying, with the path of the offender: functions, symbols, SharedArrayBuffers,
// values nested too deeply. Shared by the in-process copy (ipc/clone.ts) and the stored envelope.
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

// structuredClone shares a SharedArrayBuffer instead of refusing it; Electron refuses it, so we
// look for one (and get the path of any other offender) before cloning. Typed arrays are leaves.
export function assertCloneable(root: unknown, rootLabel: string): void {
  const found = findUncloneable(root, rootLabel)
  if (found) throw new CloneError(found.path, found.detail)
}

export function cloneFailure(root: unknown, rootLabel: string, cause: unknown): CloneError {
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
