// Stored durable messages come back exactly as the structured clone algorithm would copy them,
// whichever storage format (JSON for plain data, V8's otherwise) the broker picked.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { createBroker } from '../../src/index.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

async function roundTrip(args: unknown[]): Promise<unknown[]> {
  const dir = mkdtempSync(join(tmpdir(), 'dipc-enc-'))
  dirs.push(dir)
  const path = join(dir, 'app.db')
  const producer = createBroker({ path })
  producer.channel('ch', { durable: true })
  producer.enqueue('ch', args)
  await producer.close()
  const consumer = createBroker({ path })
  const got = await new Promise<unknown[]>((resolve) => consumer.ipcMain.on('ch', (_event, ...a: unknown[]) => resolve(a)))
  await consumer.close()
  return got
}

describe('durable message encoding', () => {
  it('plain JSON-like data', async () => {
    const value = { a: [1, 'two', true, null, { b: 2.5 }], 'odd key': '\u{1F600} \ud800' }
    expect(await roundTrip([value, 'x', 3])).toEqual([value, 'x', 3])
  })

  it('values JSON would change: undefined, -0, NaN, Infinity, holes', async () => {
    const [obj, arr, negZero, nan, inf] = (await roundTrip([{ u: undefined }, [1, , 3], -0, NaN, Infinity])) as [Record<string, unknown>, unknown[], number, number, number]
    expect(Object.hasOwn(obj, 'u')).toBe(true)
    expect(1 in arr).toBe(false)
    expect(arr.length).toBe(3)
    expect(Object.is(negZero, -0)).toBe(true)
    expect(nan).toBeNaN()
    expect(inf).toBe(Infinity)
  })

  it('shared and cyclic references, Dates, Maps, typed arrays, BigInt', async () => {
    const shared = { n: 1 }
    const cyclic: Record<string, unknown> = { name: 'c' }
    cyclic.self = cyclic
    const [a, b, c, date, map, bytes, big] = (await roundTrip([shared, shared, cyclic, new Date(5), new Map([[1, 'x']]), Buffer.from('hi'), 10n])) as [
      object, object, Record<string, unknown>, Date, Map<number, string>, Uint8Array, bigint,
    ]
    expect(a).toBe(b)
    expect(c.self).toBe(c)
    expect(date).toEqual(new Date(5))
    expect(map.get(1)).toBe('x')
    expect(bytes.constructor).toBe(Uint8Array)
    expect([...bytes]).toEqual([104, 105])
    expect(big).toBe(10n)
  })

  it('stores plain data as JSON text and still reads JSON stored as bytes by an earlier version', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dipc-enc-'))
    dirs.push(dir)
    const path = join(dir, 'app.db')
    const producer = createBroker({ path })
    producer.channel('ch', { durable: true })
    producer.enqueue('ch', [{ n: 1 }])
    await producer.close()
    const db = new Database(path)
    expect(db.prepare('SELECT typeof(payload) FROM durable_ipc_messages').pluck().get()).toBe('text')
    // What versions before text payloads wrote: the same JSON, as a BLOB.
    db.prepare(`INSERT INTO durable_ipc_messages (id, channel, subscription, kind, payload, created_at, visible_at)
      SELECT id + 1, channel, subscription, kind, CAST(? AS BLOB), created_at, visible_at FROM durable_ipc_messages`).run(Buffer.from('[null,[{"n":2}]]'))
    db.close()
    const consumer = createBroker({ path })
    const got: unknown[] = []
    await new Promise<void>((resolve) => consumer.ipcMain.on('ch', (_event, value: unknown) => { if (got.push(value) === 2) resolve() }))
    await consumer.close()
    expect(got).toEqual([{ n: 1 }, { n: 2 }])
  })
})

