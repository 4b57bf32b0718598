// How arguments cross between renderers and the main side: the structured clone algorithm, all
// arguments of one message cloned together, with a precise error when something cannot be copied.
import { assertCloneable, cloneFailure } from '../protocol/cloneCheck.js'

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
