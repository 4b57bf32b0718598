// Arguments, replies and results cross by the structured clone algorithm (issue 3, point 5):
// what survives, what is refused (with the offending path), and payloads of 0 B to 3 MiB + 1.

import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { CloneError, DurableIpcError } from '../../src/index.js'
import { closeBrokers, flushToMain, flushToRenderer, newBroker, nextMessage, rejection, thrown } from './helpers.js'
import type { TestBroker, TestRenderer } from './helpers.js'

afterEach(closeBrokers)

function setup() {
  const broker = newBroker()
  const win = broker.createRenderer({ id: 'w1' })
  return { broker, ipcMain: broker.ipcMain, win }
}

type Path = 'send' | 'webContents.send' | 'invoke args' | 'invoke result' | 'sendSync args' | 'sendSync returnValue'
const paths: Path[] = ['send', 'webContents.send', 'invoke args', 'invoke result', 'sendSync args', 'sendSync returnValue']

/** Sends `args` one way and returns them as the other side received them. */
async function roundTrip(broker: TestBroker, win: TestRenderer, path: Path, args: unknown[]): Promise<unknown[]> {
  const { ipcMain } = broker
  switch (path) {
    case 'send': {
      const got = nextMessage(ipcMain, 'rt')
      win.ipcRenderer.send('rt', ...args)
      return (await got).args
    }
    case 'webContents.send': {
      const got = nextMessage(win.ipcRenderer, 'rt')
      win.webContents.send('rt', ...args)
      return (await got).args
    }
    case 'invoke args': {
      let received: unknown[] = []
      ipcMain.handleOnce('rt', (_event, ...a) => {
        received = a
      })
      await win.ipcRenderer.invoke('rt', ...args)
      return received
    }
    case 'invoke result': {
      ipcMain.handleOnce('rt', () => args)
      return (await win.ipcRenderer.invoke('rt')) as unknown[]
    }
    case 'sendSync args': {
      let received: unknown[] = []
      ipcMain.once('rt', (event, ...a) => {
        received = a
        event.returnValue = null
      })
      win.ipcRenderer.sendSync('rt', ...args)
      return received
    }
    case 'sendSync returnValue': {
      ipcMain.once('rt', (event) => {
        event.returnValue = args
      })
      return win.ipcRenderer.sendSync('rt') as unknown[]
    }
  }
}

describe.each(paths)('values that survive the trip (%s)', (path) => {
  async function one(value: unknown): Promise<unknown> {
    const { broker, win } = setup()
    const [got] = await roundTrip(broker, win, path, [value])
    return got
  }

  it('primitives, including -0, NaN, undefined and null', async () => {
    const { broker, win } = setup()
    const got = await roundTrip(broker, win, path, ['s', 1.5, -0, Number.NaN, Number.POSITIVE_INFINITY, true, null, undefined])
    expect(got).toHaveLength(8)
    expect(got[0]).toBe('s')
    expect(got[1]).toBe(1.5)
    expect(Object.is(got[2], -0)).toBe(true)
    expect(got[3]).toBeNaN()
    expect(got[4]).toBe(Number.POSITIVE_INFINITY)
    expect(got[5]).toBe(true)
    expect(got[6]).toBeNull()
    expect(got[7]).toBeUndefined()
  })

  it('Date', async () => {
    const date = new Date('2024-02-29T12:34:56.789Z')
    const got = await one(date)
    expect(got).toBeInstanceOf(Date)
    expect((got as Date).getTime()).toBe(date.getTime())
    expect(got).not.toBe(date)
  })

  it('Map with object keys, and Set', async () => {
    const key = { k: 1 }
    const map = new Map<unknown, unknown>([
      ['a', 1],
      [key, { v: 2 }],
    ])
    const set = new Set([1, 'two', 3n])
    const { broker, win } = setup()
    const [m, s] = (await roundTrip(broker, win, path, [map, set])) as [Map<unknown, unknown>, Set<unknown>]
    expect(m).toBeInstanceOf(Map)
    expect(m.get('a')).toBe(1)
    const keys = [...m.keys()]
    expect(keys[1]).toEqual({ k: 1 })
    expect(m.get(keys[1])).toEqual({ v: 2 })
    expect(s).toBeInstanceOf(Set)
    expect([...s]).toEqual([1, 'two', 3n])
  })

  it('RegExp with its flags', async () => {
    const got = await one(/a+b\d/giu)
    expect(got).toBeInstanceOf(RegExp)
    expect((got as RegExp).source).toBe('a+b\\d')
    expect((got as RegExp).flags).toBe('giu')
  })

  it('BigInt, small and beyond 64 bits', async () => {
    const { broker, win } = setup()
    const got = await roundTrip(broker, win, path, [123n, -(2n ** 70n) + 1n])
    expect(got).toEqual([123n, -(2n ** 70n) + 1n])
    expect(typeof got[0]).toBe('bigint')
  })

  it('typed arrays, DataView and ArrayBuffer', async () => {
    const buffer = new Uint8Array([0, 1, 2, 254, 255]).buffer
    const { broker, win } = setup()
    const got = await roundTrip(broker, win, path, [
      new Uint8Array([1, 2, 255]),
      new Int16Array([-32768, 0, 32767]),
      new Float64Array([Math.PI, -0.5]),
      new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]),
      new DataView(new Uint8Array([9, 8, 7]).buffer),
      buffer,
    ])
    expect(got[0]).toBeInstanceOf(Uint8Array)
    expect([...(got[0] as Uint8Array)]).toEqual([1, 2, 255])
    expect(got[1]).toBeInstanceOf(Int16Array)
    expect([...(got[1] as Int16Array)]).toEqual([-32768, 0, 32767])
    expect(got[2]).toBeInstanceOf(Float64Array)
    expect([...(got[2] as Float64Array)]).toEqual([Math.PI, -0.5])
    expect(got[3]).toBeInstanceOf(BigInt64Array)
    expect([...(got[3] as BigInt64Array)]).toEqual([-(2n ** 63n), 2n ** 63n - 1n])
    expect(got[4]).toBeInstanceOf(DataView)
    expect((got[4] as DataView).getUint8(2)).toBe(7)
    expect(got[5]).toBeInstanceOf(ArrayBuffer)
    expect(got[5]).not.toBe(buffer)
    expect([...new Uint8Array(got[5] as ArrayBuffer)]).toEqual([0, 1, 2, 254, 255])
  })

  it('Error with message, stack and built-in type', async () => {
    const error = new TypeError('something broke')
    const got = await one(error)
    expect(got).toBeInstanceOf(Error)
    expect(got).toBeInstanceOf(TypeError)
    expect((got as Error).message).toBe('something broke')
    expect((got as Error).stack).toBe(error.stack)
    expect(got).not.toBe(error)
  })

  it('an Error carrying uncloneable own properties still crosses, with its message and stack', async () => {
    // The structured clone algorithm copies an Error's name, message and stack and nothing else,
    // so extra fields (an HTTP client's config full of functions, say) do not make it uncloneable.
    const error = Object.assign(new Error('request failed'), { config: { transform: [() => 1] }, retry() {} })
    const got = await one(error)
    expect(got).toBeInstanceOf(Error)
    expect((got as Error).message).toBe('request failed')
    expect((got as Error).stack).toBe(error.stack)
  })

  it('a Buffer arrives as a plain Uint8Array with the same bytes', async () => {
    const got = await one(Buffer.from('héllo'))
    expect(got).toBeInstanceOf(Uint8Array)
    expect(Buffer.isBuffer(got)).toBe(false)
    expect(Buffer.from(got as Uint8Array).toString()).toBe('héllo')
  })

  it('a class instance arrives as a plain object with its own data', async () => {
    class Point {
      constructor(
        public x: number,
        public y: number,
      ) {}
      norm(): number {
        return Math.hypot(this.x, this.y)
      }
    }
    const got = await one(new Point(3, 4))
    expect(got).not.toBeInstanceOf(Point)
    expect(got).toEqual({ x: 3, y: 4 })
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype)
  })

  it('a cyclic object keeps its cycle', async () => {
    const node: { name: string; self?: unknown; children: unknown[] } = { name: 'root', children: [] }
    node.self = node
    node.children.push({ parent: node })
    const got = (await one(node)) as typeof node & { children: Array<{ parent: unknown }> }
    expect(got).not.toBe(node)
    expect(got.name).toBe('root')
    expect(got.self).toBe(got)
    expect(got.children[0]?.parent).toBe(got)
  })

  it('references shared across arguments stay shared, cycles across arguments survive', async () => {
    const shared = { n: 1 }
    const a: { b?: unknown } = {}
    const b: { a?: unknown } = { a }
    a.b = b
    const { broker, win } = setup()
    const got = (await roundTrip(broker, win, path, [shared, { inner: shared }, [shared], a, b])) as [
      object,
      { inner: object },
      object[],
      { b: unknown },
      { a: unknown },
    ]
    expect(got[0]).toEqual({ n: 1 })
    expect(got[0]).not.toBe(shared)
    expect(got[1].inner).toBe(got[0])
    expect(got[2][0]).toBe(got[0])
    expect(got[3].b).toBe(got[4])
    expect(got[4].a).toBe(got[3])
  })
})

describe('copy at the call', () => {
  it('send copies when called: a mutation right after the call is not seen', async () => {
    const { ipcMain, win } = setup()
    const obj = { v: 1, list: [1] }
    const got = nextMessage(ipcMain, 'ch')
    win.ipcRenderer.send('ch', obj)
    obj.v = 2
    obj.list.push(2)
    expect((await got).args[0]).toEqual({ v: 1, list: [1] })
  })

  it('webContents.send and event.reply copy when called', async () => {
    const { ipcMain, win } = setup()
    const obj = { v: 1 }
    ipcMain.once('ask', (event) => {
      event.reply('answer', obj)
      obj.v = 2
    })
    const reply = nextMessage(win.ipcRenderer, 'answer')
    win.ipcRenderer.send('ask')
    expect((await reply).args[0]).toEqual({ v: 1 })

    const direct = nextMessage(win.ipcRenderer, 'direct')
    win.webContents.send('direct', obj)
    obj.v = 3
    expect((await direct).args[0]).toEqual({ v: 2 })
  })

  it('invoke copies its arguments when called', async () => {
    const { ipcMain, win } = setup()
    ipcMain.handle('echo', (_event, x) => x)
    const obj = { v: 1 }
    const p = win.ipcRenderer.invoke('echo', obj)
    obj.v = 2
    await expect(p).resolves.toEqual({ v: 1 })
  })
})

describe('uncloneable values', () => {
  const uncloneables: Array<[string, () => unknown]> = [
    ['a function', () => () => {}],
    ['a symbol', () => Symbol('s')],
    ['a promise', () => Promise.resolve(1)],
    ['a SharedArrayBuffer', () => new SharedArrayBuffer(8)],
    ['a WeakMap', () => new WeakMap()],
  ]

  function expectCloneError(err: Error & { code?: unknown; path?: unknown }, path: string): void {
    expect(err).toBeInstanceOf(CloneError)
    expect(err).toBeInstanceOf(DurableIpcError)
    expect(err).toBeInstanceOf(Error)
    expect(err.code).toBe('ERR_IPC_CLONE')
    expect(err.message.startsWith('An object could not be cloned.')).toBe(true)
    expect(err.message).toContain(path)
    expect(err.path).toBe(path)
  }

  describe.each(uncloneables)('%s', (_label, make) => {
    it('makes send throw at once and delivers nothing', async () => {
      const { broker, ipcMain, win } = setup()
      const seen: unknown[][] = []
      ipcMain.on('ch', (_e, ...args) => seen.push(args))
      expectCloneError(thrown(() => win.ipcRenderer.send('ch', 'ok', make())), 'args[1]')
      win.ipcRenderer.send('ch', 'after')
      await flushToMain(broker, win)
      expect(seen).toEqual([['after']])
    })

    it('makes sendSync throw and calls no listener', () => {
      const { ipcMain, win } = setup()
      const listener = vi.fn((event: { returnValue: unknown }) => {
        event.returnValue = 'called'
      })
      ipcMain.on('ch', listener)
      expectCloneError(thrown(() => win.ipcRenderer.sendSync('ch', make())), 'args[0]')
      expect(listener).not.toHaveBeenCalled()
    })

    it('makes webContents.send throw and delivers nothing', async () => {
      const { win } = setup()
      const seen: unknown[][] = []
      win.ipcRenderer.on('ch', (_e, ...args) => seen.push(args))
      expectCloneError(thrown(() => win.webContents.send('ch', { nested: [make()] })), 'args[0].nested[0]')
      win.webContents.send('ch', 'after')
      await flushToRenderer(win)
      expect(seen).toEqual([['after']])
    })

    it('makes event.reply throw and delivers nothing', async () => {
      const { ipcMain, win } = setup()
      const seen: unknown[][] = []
      win.ipcRenderer.on('answer', (_e, ...args) => seen.push(args))
      const replyError = new Promise<Error & { code?: unknown; path?: unknown }>((resolve) => {
        ipcMain.once('ask', (event) => resolve(thrown(() => event.reply('answer', make()))))
      })
      win.ipcRenderer.send('ask')
      expectCloneError(await replyError, 'args[0]')
      await flushToRenderer(win)
      expect(seen).toEqual([])
    })

    it('makes invoke reject, without throwing, and calls no handler', async () => {
      const { ipcMain, win } = setup()
      const handler = vi.fn()
      ipcMain.handle('ch', handler)
      let p: Promise<unknown> | undefined
      expect(() => {
        p = win.ipcRenderer.invoke('ch', 1, 2, make())
      }).not.toThrow()
      expectCloneError(await rejection(p as Promise<unknown>), 'args[2]')
      expect(handler).not.toHaveBeenCalled()
    })
  })

  it('names the path of a value deep in an argument: args[1].user.save', () => {
    const { win } = setup()
    const user = { name: 'ada', save() {} }
    const err = thrown(() => win.ipcRenderer.send('ch', 'first', { user }))
    expectCloneError(err, 'args[1].user.save')
  })

  it('names array indices in the path', () => {
    const { win } = setup()
    const err = thrown(() => win.ipcRenderer.send('ch', [1, 2, Symbol('x')]))
    expectCloneError(err, 'args[0][2]')
  })

  it('names the offender, not a cloneable class instance or null-prototype object before it', () => {
    const { win } = setup()
    class Point {
      x = 1
    }
    const afterInstance = thrown(() => win.ipcRenderer.send('ch', new Point(), Promise.resolve(1)))
    expectCloneError(afterInstance, 'args[1]')
    const afterBareObject = thrown(() => win.ipcRenderer.send('ch', Object.create(null), { weak: new WeakMap() }))
    expectCloneError(afterBareObject, 'args[1].weak')
  })

  it('names the path of a function stored as an extra property of an array', () => {
    const { win } = setup()
    const list: number[] & { onChange?: () => void } = [1, 2]
    list.onChange = () => {}
    expectCloneError(thrown(() => win.ipcRenderer.send('ch', list)), 'args[0].onChange')
  })

  it('makes invoke reject when the handler returns an uncloneable value', async () => {
    const { ipcMain, win } = setup()
    ipcMain.handle('ch', () => ({ fn: () => {} }))
    const err = await rejection(win.ipcRenderer.invoke('ch'))
    expect(err).toBeInstanceOf(Error)
    expect(err.message).toContain('An object could not be cloned.')
  })
})

describe('payload sizes round-trip byte-exactly', () => {
  const sizes = [0, 1, 65535, 65536, 65537, 256 * 1024 + 3, 3 * 1024 * 1024 + 1]

  function expectSameBytes(got: unknown, sent: Uint8Array): void {
    expect(got).toBeInstanceOf(Uint8Array)
    const bytes = got as Uint8Array
    expect(bytes.byteLength).toBe(sent.byteLength)
    expect(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).equals(Buffer.from(sent.buffer, sent.byteOffset, sent.byteLength))).toBe(true)
  }

  describe.each(sizes)('%i bytes', (size) => {
    const bytes = new Uint8Array(randomBytes(size))
    const text = 'x'.repeat(size)

    it('through send', async () => {
      const { ipcMain, win } = setup()
      const got = nextMessage(ipcMain, 'big')
      win.ipcRenderer.send('big', bytes, text)
      const { args } = await got
      expectSameBytes(args[0], bytes)
      expect(args[1]).toBe(text)
    })

    it('through invoke, there and back', async () => {
      const { ipcMain, win } = setup()
      let received: unknown[] = []
      ipcMain.handle('big', (_event, ...args) => {
        received = args
        return [args[0], args[1]]
      })
      const result = (await win.ipcRenderer.invoke('big', bytes, text)) as unknown[]
      expectSameBytes(received[0], bytes)
      expect(received[1]).toBe(text)
      expectSameBytes(result[0], bytes)
      expect(result[1]).toBe(text)
    })

    it('through webContents.send', async () => {
      const { win } = setup()
      const got = nextMessage(win.ipcRenderer, 'big')
      win.webContents.send('big', bytes, text)
      const { args } = await got
      expectSameBytes(args[0], bytes)
      expect(args[1]).toBe(text)
    })
  })
})
