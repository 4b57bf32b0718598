// `dead --json` and `tail --json` print stored arguments as JSON values: JSON data as itself, the
// rest tagged with `$type`, so that a reader gets the original values back.

import { describe, expect, it } from 'vitest'
import { addDeadLetters, makeDatabase, runCli, useCliFixtures } from './helpers.js'

const file = useCliFixtures()

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

const step = (pointer: string, ...keys: Array<string | number>): string =>
  pointer + keys.map((k) => `/${String(k).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('')

/** What a script reading the output would write: the `$type` tags back into values, refs resolved. */
function revive(args: Json): unknown {
  const byPointer = new Map<string, unknown>()
  const put = (target: Record<string, unknown> | unknown[], key: string, value: unknown): void => {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  }
  const bytes = (base64: Json): ArrayBuffer => Uint8Array.from(Buffer.from(String(base64), 'base64')).buffer
  const walk = (json: Json, pointer: string): unknown => {
    if (json === null || typeof json !== 'object') return json
    if (Array.isArray(json)) {
      const out: unknown[] = []
      byPointer.set(pointer, out)
      json.forEach((item, i) => out.push(walk(item, step(pointer, i))))
      return out
    }
    const keep = <T>(value: T): T => (byPointer.set(pointer, value), value)
    const fill = (out: Record<string, unknown> | unknown[], from: Json, under: string): void => {
      for (const [key, item] of Object.entries(from as Record<string, Json>)) put(out, key, walk(item, step(pointer, under, key)))
    }
    switch (json.$type) {
      case undefined: {
        const out = keep({} as Record<string, unknown>)
        for (const [key, item] of Object.entries(json)) put(out, key, walk(item, step(pointer, key)))
        return out
      }
      case 'undefined': return undefined
      case 'number': return Number(json.value)
      case 'bigint': return BigInt(String(json.value))
      case 'Date': return keep(new Date(json.value === null ? NaN : String(json.value)))
      case 'RegExp': return keep(new RegExp(String(json.source), String(json.flags)))
      case 'Map': {
        const map = keep(new Map())
        ;(json.entries as Json[][]).forEach(([k, v], i) => map.set(walk(k!, step(pointer, 'entries', i, 0)), walk(v!, step(pointer, 'entries', i, 1))))
        return map
      }
      case 'Set': {
        const set = keep(new Set())
        ;(json.values as Json[]).forEach((v, i) => set.add(walk(v, step(pointer, 'values', i))))
        return set
      }
      case 'ArrayBuffer': return keep(bytes(json.base64!))
      case 'DataView': return keep(new DataView(bytes(json.base64!)))
      case 'Error': {
        const Type = (globalThis as Record<string, unknown>)[String(json.name)] as ErrorConstructor | undefined
        const error = keep(new (Type ?? Error)(String(json.message)))
        if (json.stack !== undefined) error.stack = String(json.stack)
        // As `new Error(message, { cause })` makes it: an own property, not enumerable.
        if (json.cause !== undefined) Object.defineProperty(error, 'cause', { value: walk(json.cause, step(pointer, 'cause')), writable: true, configurable: true })
        return error
      }
      case 'Number':
      case 'String':
      case 'Boolean':
      case 'BigInt':
        return keep(Object(walk(json.value!, step(pointer, 'value'))))
      case 'Array': {
        const out = keep(new Array(Number(json.length)))
        fill(out, json.items!, 'items')
        return out
      }
      case 'Object': {
        const out = keep({} as Record<string, unknown>)
        fill(out, json.value!, 'value')
        return out
      }
      case 'Ref': return byPointer.get(String(json.pointer))
      default: {
        const View = (globalThis as Record<string, unknown>)[String(json.$type)] as new (buffer: ArrayBuffer) => unknown
        return keep(new View(bytes(json.base64!)))
      }
    }
  }
  return walk(args, '')
}

function values(): unknown[] {
  const shared = { n: 1 }
  const cyclic: Record<string, unknown> = { name: 'loop' }
  cyclic.self = cyclic
  const sparse: unknown[] = [1, , 3]
  Object.assign(sparse, { label: 'x' })
  return [
    { plain: 'text', n: 1.5, yes: true, none: null, list: [1, 'two'] },
    undefined,
    NaN,
    -0,
    -Infinity,
    12345678901234567890n,
    new Date('2026-11-25T12:00:00.000Z'),
    new Date(NaN),
    /a+b/gi,
    new Map<unknown, unknown>([['k', shared], [{ objectKey: 1 }, 2]]),
    new Set([1, 'a']),
    new Uint8Array([104, 105]),
    new Float64Array([0.5, NaN]),
    new ArrayBuffer(2),
    new DataView(new Uint8Array([1, 2, 3]).buffer),
    new TypeError('bad', { cause: new RangeError('inner') }),
    new Number(3),
    new String('s'),
    new Boolean(false),
    Object(5n),
    sparse,
    { $type: 'Date', value: 'an object of the application, not a tag' },
    { a: shared, b: shared },
    cyclic,
    JSON.parse('{"__proto__": {"x": 1}}'),
  ]
}

describe('arguments in --json output', () => {
  it('tail: JSON data as itself, other values tagged, and read back they equal what was sent', async () => {
    const path = file('values.db')
    const sent = values()
    await makeDatabase(path, (broker) => {
      broker.channel('jobs', { durable: true })
      broker.enqueue('jobs', sent)
    })
    const { code, stdout, stderr } = await runCli(['tail', path, '--existing', '--json', '--count', '1'])
    expect([code, stderr]).toEqual([0, ''])
    const args = (JSON.parse(stdout) as { args: Json[] }).args

    expect(args.slice(0, 10)).toEqual([
      { plain: 'text', n: 1.5, yes: true, none: null, list: [1, 'two'] },
      { $type: 'undefined' },
      { $type: 'number', value: 'NaN' },
      { $type: 'number', value: '-0' },
      { $type: 'number', value: '-Infinity' },
      { $type: 'bigint', value: '12345678901234567890' },
      { $type: 'Date', value: '2026-11-25T12:00:00.000Z' },
      { $type: 'Date', value: null },
      { $type: 'RegExp', source: 'a+b', flags: 'gi' },
      { $type: 'Map', entries: [['k', { n: 1 }], [{ objectKey: 1 }, 2]] },
    ])
    expect(args[11]).toEqual({ $type: 'Uint8Array', base64: 'aGk=' })
    expect(args[15]).toMatchObject({ $type: 'Error', name: 'TypeError', message: 'bad', cause: { $type: 'Error', name: 'RangeError', message: 'inner' } })
    expect(args[20]).toEqual({ $type: 'Array', length: 3, items: { 0: 1, 2: 3, label: 'x' } })
    expect(args[21]).toEqual({ $type: 'Object', value: { $type: 'Date', value: 'an object of the application, not a tag' } })
    // A repeated object points at where it was written first; a cycle points at its ancestor.
    expect(args[22]).toEqual({ a: { $type: 'Ref', pointer: '/9/entries/0/1' }, b: { $type: 'Ref', pointer: '/9/entries/0/1' } })
    expect(args[23]).toEqual({ name: 'loop', self: { $type: 'Ref', pointer: '/23' } })
    expect(Object.keys(args[24] as object)).toEqual(['__proto__'])

    const revived = revive(args) as unknown[]
    expect(revived).toStrictEqual(sent)
    const [a, b] = [(revived[22] as { a: object }).a, (revived[22] as { b: object }).b]
    expect(a).toBe(b)
    expect(a).toBe((revived[9] as Map<unknown, unknown>).get('k'))
    expect((revived[23] as { self: unknown }).self).toBe(revived[23])
    expect(Object.is(revived[3], -0)).toBe(true)
  })

  it('dead: the same encoding', async () => {
    const path = file('dead-values.db')
    await makeDatabase(path, (broker) => addDeadLetters(broker, 'jobs', 1, () => [new Map([[1n, new Date(0)]]), 'plain']))
    const { code, stdout } = await runCli(['dead', path, '--json'])
    expect(code).toBe(0)
    const [dead] = JSON.parse(stdout) as Array<{ args: Json }>
    expect(dead!.args).toEqual([{ $type: 'Map', entries: [[{ $type: 'bigint', value: '1' }, { $type: 'Date', value: '1970-01-01T00:00:00.000Z' }]] }, 'plain'])
  })
})
