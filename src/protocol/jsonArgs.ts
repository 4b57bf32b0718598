// Stored arguments as JSON values for `dead --json` and `tail --json`: JSON data as itself, and
// every value JSON cannot hold (undefined, NaN, a BigInt, a Date, a Map, bytes, a shared or
// cyclic reference...) as an object tagged with `$type`, so a script can read them back exactly.

/**
 * Encodes decoded message arguments (anything the structured clone algorithm can copy) as a
 * JSON-ready value. Strings, booleans, null, finite numbers, plain objects and dense arrays come
 * out as themselves; everything else as `{ "$type": ... }`:
 *
 * | value | JSON |
 * |---|---|
 * | `undefined` | `{"$type":"undefined"}` |
 * | `NaN`, `Infinity`, `-Infinity`, `-0` | `{"$type":"number","value":"NaN"}` (the number's text) |
 * | `10n` | `{"$type":"bigint","value":"10"}` |
 * | a Date | `{"$type":"Date","value":"2026-11-25T12:00:00.000Z"}` (`value` null: an invalid Date) |
 * | a RegExp | `{"$type":"RegExp","source":"a+","flags":"gi"}` |
 * | a Map | `{"$type":"Map","entries":[[key, value], ...]}` |
 * | a Set | `{"$type":"Set","values":[...]}` |
 * | an ArrayBuffer, a typed array, a DataView | `{"$type":"Uint8Array","base64":"aGk="}` (its class; the bytes it views) |
 * | an Error | `{"$type":"Error","name":"TypeError","message":"...","stack":"...","cause":...}` (`stack`, `cause` when it has them) |
 * | `new Number(1)` (a boxed primitive) | `{"$type":"Number","value":1}` (`Number`, `String`, `Boolean`, `BigInt`; `value` encoded as above) |
 * | an array with holes or named properties | `{"$type":"Array","length":3,"items":{"0":1,"2":3,"name":"x"}}` |
 * | a plain object with its own `$type` key | `{"$type":"Object","value":{...}}` (its keys as they are) |
 * | an object met before (shared or cyclic) | `{"$type":"Ref","pointer":"/0/user"}` |
 *
 * `$type` is `typeof` for a primitive and the class for an object. `pointer` is a JSON Pointer
 * (RFC 6901) into the encoded `args` array, to where that object was written first (depth first).
 * What does not survive: which views share one ArrayBuffer, and the bytes of a view's buffer
 * outside the view (each view brings the bytes it views).
 *
 * @example
 * JSON.stringify(argsToJson([{ at: new Date(0) }, 1n]))
 * // '[{"at":{"$type":"Date","value":"1970-01-01T00:00:00.000Z"}},{"$type":"bigint","value":"1"}]'
 */
export function argsToJson(args: readonly unknown[]): unknown {
  return encode(args, '', new Map())
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

function encode(value: unknown, pointer: string, seen: Map<object, string>): Json {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0) ? value : tagged('number', { value: Object.is(value, -0) ? '-0' : String(value) })
    case 'bigint':
      return tagged('bigint', { value: value.toString() })
    case 'undefined':
      return tagged('undefined', {})
    case 'object':
      if (value === null) return null
      break
    default:
      // Functions and symbols cannot be stored; say what it is rather than fail the whole output.
      return tagged(typeof value, { value: String(value) })
  }

  const first = seen.get(value)
  if (first !== undefined) return tagged('Ref', { pointer: first })
  seen.set(value, pointer)
  const at = (...keys: Array<string | number>): string => pointer + keys.map((k) => `/${String(k).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('')

  if (Array.isArray(value)) {
    const keys = Object.keys(value)
    let dense = keys.length === value.length
    for (let i = 0; dense && i < value.length; i++) dense = i in value
    if (dense) return value.map((item, i) => encode(item, at(i), seen)) // no holes, no named properties
    const items = record()
    for (const key of keys) items[key] = encode((value as unknown as Record<string, unknown>)[key], at('items', key), seen)
    return tagged('Array', { length: value.length, items })
  }
  if (value instanceof Date) return tagged('Date', { value: Number.isNaN(value.getTime()) ? null : value.toISOString() })
  if (value instanceof RegExp) return tagged('RegExp', { source: value.source, flags: value.flags })
  if (value instanceof Map) {
    let i = 0
    const entries: Json[] = []
    for (const [k, v] of value) {
      entries.push([encode(k, at('entries', i, 0), seen), encode(v, at('entries', i, 1), seen)])
      i++
    }
    return tagged('Map', { entries })
  }
  if (value instanceof Set) {
    let i = 0
    const values: Json[] = []
    for (const v of value) values.push(encode(v, at('values', i++), seen))
    return tagged('Set', { values })
  }
  if (value instanceof ArrayBuffer) return tagged('ArrayBuffer', { base64: Buffer.from(value).toString('base64') })
  if (ArrayBuffer.isView(value)) {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    return tagged(value.constructor.name, { base64: bytes.toString('base64') })
  }
  if (value instanceof Error) {
    const fields: Record<string, Json> = { name: value.name, message: value.message }
    if (typeof value.stack === 'string') fields.stack = value.stack
    if (Object.prototype.hasOwnProperty.call(value, 'cause')) fields.cause = encode(value.cause, at('cause'), seen)
    return tagged('Error', fields)
  }
  for (const Boxed of [Number, String, Boolean, BigInt] as const) {
    if (value instanceof Boxed) return tagged(Boxed.name, { value: encode(value.valueOf(), at('value'), seen) })
  }

  // A plain object (the structured clone algorithm makes every other object one).
  const own = value as Record<string, unknown>
  const escaped = Object.prototype.hasOwnProperty.call(own, '$type')
  const out = record()
  for (const key of Object.keys(own)) out[key] = encode(own[key], escaped ? at('value', key) : at(key), seen)
  return escaped ? tagged('Object', { value: out }) : out
}

function tagged(type: string, fields: Record<string, Json>): Json {
  return Object.assign(record(), { $type: type }, fields)
}

// No prototype, so that a stored `__proto__` key becomes an own property like any other.
function record(): Record<string, Json> {
  return Object.create(null) as Record<string, Json>
}
