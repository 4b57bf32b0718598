// handle / handleOnce / removeHandler / invoke (issue 3, point 4): Electron's messages, separate
// namespaces for handlers and listeners, handleOnce races, error name and code, invokeTimeoutMs.

import { afterEach, describe, expect, it, vi } from 'vitest'
import { DurableIpcError, InvokeTimeoutError } from '../../src/index.js'
import { closeBrokers, deferred, flushToMain, newBroker, rejection, thrown } from './helpers.js'

afterEach(async () => {
  vi.useRealTimers()
  await closeBrokers()
})

function setup(options?: Parameters<typeof newBroker>[0]) {
  const broker = newBroker(options)
  const win = broker.createRenderer({ id: 'w1' })
  return { broker, ipcMain: broker.ipcMain, win }
}

const noHandler = (ch: string): string => `Error invoking remote method '${ch}': Error: No handler registered for '${ch}'`

describe('handle and invoke', () => {
  it('resolves with what a sync handler returns, calling it with (event, ...args)', async () => {
    const { ipcMain, win } = setup()
    const calls: unknown[][] = []
    ipcMain.handle('add', (event, a, b) => {
      calls.push([event.sender, a, b])
      return (a as number) + (b as number)
    })
    const p = win.ipcRenderer.invoke('add', 1, 2)
    expect(p).toBeInstanceOf(Promise)
    expect(await p).toBe(3)
    expect(calls).toEqual([[win.webContents, 1, 2]])
  })

  it('resolves with what an async handler resolves', async () => {
    const { ipcMain, win } = setup()
    ipcMain.handle('later', async (_event, x) => {
      await new Promise((resolve) => setImmediate(resolve))
      return { doubled: (x as number) * 2 }
    })
    await expect(win.ipcRenderer.invoke('later', 21)).resolves.toEqual({ doubled: 42 })
  })

  it('gives the handler an event with sender, sender.id, processId and frameId', async () => {
    const { ipcMain, win } = setup()
    const seen = deferred<{ sender: unknown; id: unknown; processId: unknown; frameId: unknown }>()
    ipcMain.handle('h', (event) => {
      seen.resolve({ sender: event.sender, id: event.sender.id, processId: event.processId, frameId: event.frameId })
    })
    await win.ipcRenderer.invoke('h')
    const e = await seen.promise
    expect(e.sender).toBe(win.webContents)
    expect(e.id).toBe('w1')
    expect(typeof e.processId).toBe('number')
    expect(typeof e.frameId).toBe('number')
  })

  it('resolves with a copy of the result, undefined when the handler returns nothing', async () => {
    const { ipcMain, win } = setup()
    const result = { list: [1, 2] }
    ipcMain.handle('obj', () => result)
    ipcMain.handle('void', () => {})
    const got = await win.ipcRenderer.invoke('obj')
    expect(got).toEqual(result)
    expect(got).not.toBe(result)
    await expect(win.ipcRenderer.invoke('void')).resolves.toBeUndefined()
  })

  it('matches each of many concurrent invokes to its own result', async () => {
    const { ipcMain, win } = setup()
    ipcMain.handle('echo', async (_event, n) => {
      // settle out of order on purpose
      const wait = (100 - (n as number)) % 7
      for (let i = 0; i < wait; i++) await new Promise((resolve) => setImmediate(resolve))
      return (n as number) * 10
    })
    const results = await Promise.all(Array.from({ length: 100 }, (_, n) => win.ipcRenderer.invoke('echo', n)))
    expect(results).toEqual(Array.from({ length: 100 }, (_, n) => n * 10))
  })

  it('answers each renderer with its own sender', async () => {
    const { broker, ipcMain } = setup()
    const w2 = broker.createRenderer({ id: 'w2' })
    const w3 = broker.createRenderer({ id: 'w3' })
    ipcMain.handle('whoami', (event) => event.sender.id)
    await expect(w2.ipcRenderer.invoke('whoami')).resolves.toBe('w2')
    await expect(w3.ipcRenderer.invoke('whoami')).resolves.toBe('w3')
  })
})

describe('handlers and listeners are separate namespaces', () => {
  it('invoke never calls on listeners, even with a handler on the same channel', async () => {
    const { ipcMain, win } = setup()
    const listener = vi.fn()
    ipcMain.on('ch', listener)
    ipcMain.handle('ch', () => 'handled')
    await expect(win.ipcRenderer.invoke('ch')).resolves.toBe('handled')
    expect(listener).not.toHaveBeenCalled()
  })

  it('invoke on a channel that has only on listeners rejects with no handler and calls none', async () => {
    const { ipcMain, win } = setup()
    const listener = vi.fn()
    ipcMain.on('ch', listener)
    const err = await rejection(win.ipcRenderer.invoke('ch'))
    expect(err.message).toBe(noHandler('ch'))
    expect(listener).not.toHaveBeenCalled()
  })

  it('send never calls a handler', async () => {
    const { broker, ipcMain, win } = setup()
    const handler = vi.fn()
    ipcMain.handle('ch', handler)
    win.ipcRenderer.send('ch', 1)
    await flushToMain(broker, win)
    expect(handler).not.toHaveBeenCalled()
  })
})

describe("Electron's errors", () => {
  it('rejects invoke with no handler with Electron\'s exact message', async () => {
    const { win } = setup()
    const err = await rejection(win.ipcRenderer.invoke('missing', 1))
    expect(err).toBeInstanceOf(Error)
    expect(err.message).toBe(noHandler('missing'))
  })

  it('throws on a second handle for the same channel, and keeps the first handler', async () => {
    const { ipcMain, win } = setup()
    ipcMain.handle('ch', () => 'first')
    const err = thrown(() => ipcMain.handle('ch', () => 'second'))
    expect(err).toBeInstanceOf(Error)
    expect(err.message).toBe("Attempted to register a second handler for 'ch'")
    await expect(win.ipcRenderer.invoke('ch')).resolves.toBe('first')
  })

  it('throws on handleOnce over an existing handler, and handle over a pending handleOnce', () => {
    const { ipcMain } = setup()
    ipcMain.handle('a', () => 1)
    expect(thrown(() => ipcMain.handleOnce('a', () => 2)).message).toBe("Attempted to register a second handler for 'a'")
    ipcMain.handleOnce('b', () => 1)
    expect(thrown(() => ipcMain.handle('b', () => 2)).message).toBe("Attempted to register a second handler for 'b'")
  })

  it.each([
    ['a string', 'nope', 'string'],
    ['undefined', undefined, 'undefined'],
    ['null', null, 'object'],
    ['a number', 42, 'number'],
    ['an object', {}, 'object'],
  ])('throws a TypeError for a handler that is %s', (_label, handler, type) => {
    const { ipcMain } = setup()
    for (const register of [ipcMain.handle.bind(ipcMain), ipcMain.handleOnce.bind(ipcMain)]) {
      const err = thrown(() => register('ch', handler as never))
      expect(err).toBeInstanceOf(TypeError)
      expect(err).toBeInstanceOf(DurableIpcError)
      expect(err.message).toBe(`Expected handler to be a function, but found type '${type}'`)
      expect(err.code).toBe('ERR_INVALID_ARGUMENT')
    }
    // nothing was registered: a real handler can still be added
    expect(() => ipcMain.handle('ch', () => 1)).not.toThrow()
  })

  it('rejects with the thrown error rendered by String(err), its name and code as own properties', async () => {
    const { ipcMain, win } = setup()
    class ValidationError extends Error {
      code = 'E_VALIDATION'
      constructor(message: string) {
        super(message)
        this.name = 'ValidationError'
      }
    }
    ipcMain.handle('sync-throw', () => {
      throw new ValidationError('bad input')
    })
    const err = await rejection(win.ipcRenderer.invoke('sync-throw'))
    expect(err).toBeInstanceOf(Error)
    expect(err.message).toBe("Error invoking remote method 'sync-throw': ValidationError: bad input")
    expect(Object.hasOwn(err, 'name')).toBe(true)
    expect(err.name).toBe('ValidationError')
    expect(Object.hasOwn(err, 'code')).toBe(true)
    expect(err.code).toBe('E_VALIDATION')
  })

  it('treats a rejecting async handler like a throwing one', async () => {
    const { ipcMain, win } = setup()
    ipcMain.handle('async-throw', async () => {
      await Promise.resolve()
      throw Object.assign(new RangeError('out of range'), { code: 'E_RANGE' })
    })
    const err = await rejection(win.ipcRenderer.invoke('async-throw'))
    expect(err.message).toBe("Error invoking remote method 'async-throw': RangeError: out of range")
    expect(err.name).toBe('RangeError')
    expect(err.code).toBe('E_RANGE')
  })

  it('renders a plain Error as "Error: message"', async () => {
    const { ipcMain, win } = setup()
    ipcMain.handle('plain', () => {
      throw new Error('boom')
    })
    const err = await rejection(win.ipcRenderer.invoke('plain'))
    expect(err.message).toBe("Error invoking remote method 'plain': Error: boom")
    expect(err.name).toBe('Error')
  })

  it('renders thrown non-errors with String()', async () => {
    const { ipcMain, win } = setup()
    ipcMain.handle('string', () => {
      throw 'just a string'
    })
    ipcMain.handle('number', () => Promise.reject(42))
    expect((await rejection(win.ipcRenderer.invoke('string'))).message).toBe("Error invoking remote method 'string': just a string")
    expect((await rejection(win.ipcRenderer.invoke('number'))).message).toBe("Error invoking remote method 'number': 42")
  })

  it('keeps the handler after it throws', async () => {
    const { ipcMain, win } = setup()
    let fail = true
    ipcMain.handle('flaky', () => {
      if (fail) throw new Error('once')
      return 'fine'
    })
    await rejection(win.ipcRenderer.invoke('flaky'))
    fail = false
    await expect(win.ipcRenderer.invoke('flaky')).resolves.toBe('fine')
  })
})

describe('handleOnce', () => {
  it('handles one invoke, then rejects with no handler', async () => {
    const { ipcMain, win } = setup()
    const handler = vi.fn(() => 'once')
    ipcMain.handleOnce('ch', handler)
    await expect(win.ipcRenderer.invoke('ch')).resolves.toBe('once')
    expect((await rejection(win.ipcRenderer.invoke('ch'))).message).toBe(noHandler('ch'))
    expect(handler).toHaveBeenCalledTimes(1)
  })

  it('removes itself before calling the handler: the handler can register a new one', async () => {
    const { ipcMain, win } = setup()
    let registerError: unknown = 'not called'
    ipcMain.handleOnce('ch', () => {
      try {
        ipcMain.handle('ch', () => 'second')
        registerError = null
      } catch (e) {
        registerError = e
      }
      return 'first'
    })
    await expect(win.ipcRenderer.invoke('ch')).resolves.toBe('first')
    expect(registerError).toBeNull()
    await expect(win.ipcRenderer.invoke('ch')).resolves.toBe('second')
  })

  it('answers only the first of two racing invokes, even while its handler is still pending', async () => {
    const { ipcMain, win } = setup()
    const gate = deferred<string>()
    const handler = vi.fn(() => gate.promise)
    ipcMain.handleOnce('race', handler)
    const first = win.ipcRenderer.invoke('race', 1)
    const second = win.ipcRenderer.invoke('race', 2)
    const secondErr = await rejection(second)
    expect(secondErr.message).toBe(noHandler('race'))
    gate.resolve('winner')
    await expect(first).resolves.toBe('winner')
    expect(handler).toHaveBeenCalledTimes(1)
    expect(handler.mock.calls[0]?.slice(1)).toEqual([1])
  })

  it('answers exactly one of many racing invokes from several renderers', async () => {
    const { broker, ipcMain } = setup()
    const wins = Array.from({ length: 5 }, () => broker.createRenderer())
    ipcMain.handleOnce('race', (event) => event.sender.id)
    const settled = await Promise.allSettled(wins.flatMap((w) => [w.ipcRenderer.invoke('race'), w.ipcRenderer.invoke('race')]))
    const fulfilled = settled.filter((s) => s.status === 'fulfilled')
    const rejected = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected')
    expect(fulfilled).toHaveLength(1)
    expect(rejected).toHaveLength(9)
    for (const r of rejected) expect((r.reason as Error).message).toBe(noHandler('race'))
  })

  it('is removed by removeHandler before any invoke', async () => {
    const { ipcMain, win } = setup()
    const handler = vi.fn()
    ipcMain.handleOnce('ch', handler)
    ipcMain.removeHandler('ch')
    expect((await rejection(win.ipcRenderer.invoke('ch'))).message).toBe(noHandler('ch'))
    expect(handler).not.toHaveBeenCalled()
  })
})

describe('removeHandler', () => {
  it('makes invoke reject with no handler, and lets a new handler register', async () => {
    const { ipcMain, win } = setup()
    ipcMain.handle('ch', () => 'old')
    ipcMain.removeHandler('ch')
    expect((await rejection(win.ipcRenderer.invoke('ch'))).message).toBe(noHandler('ch'))
    ipcMain.handle('ch', () => 'new')
    await expect(win.ipcRenderer.invoke('ch')).resolves.toBe('new')
  })

  it('does nothing for a channel without a handler', () => {
    const { ipcMain } = setup()
    expect(() => ipcMain.removeHandler('never-registered')).not.toThrow()
  })

  it('removes only that channel', async () => {
    const { ipcMain, win } = setup()
    ipcMain.handle('a', () => 'a')
    ipcMain.handle('b', () => 'b')
    ipcMain.removeHandler('a')
    await expect(win.ipcRenderer.invoke('b')).resolves.toBe('b')
    await rejection(win.ipcRenderer.invoke('a'))
  })
})

describe('invokeTimeoutMs', () => {
  it('rejects a never-settling invoke with InvokeTimeoutError after the timeout', async () => {
    const { ipcMain, win } = setup({ invokeTimeoutMs: 50 })
    ipcMain.handle('stuck', () => new Promise(() => {}))
    const started = performance.now()
    const err = await rejection(win.ipcRenderer.invoke('stuck'))
    const elapsed = performance.now() - started
    expect(err).toBeInstanceOf(InvokeTimeoutError)
    expect(err).toBeInstanceOf(DurableIpcError)
    expect(err.code).toBe('ERR_IPC_INVOKE_TIMEOUT')
    expect(err.message).toBe("Error invoking remote method 'stuck': timed out after 50 ms")
    expect(elapsed).toBeGreaterThanOrEqual(45)
    expect(elapsed).toBeLessThan(5_000)
  })

  it('resolves an invoke that settles within the timeout', async () => {
    const { ipcMain, win } = setup({ invokeTimeoutMs: 2_000 })
    ipcMain.handle('quick', async () => {
      await new Promise((resolve) => setTimeout(resolve, 10))
      return 'done'
    })
    await expect(win.ipcRenderer.invoke('quick')).resolves.toBe('done')
  })

  it('ignores a result that arrives after the timeout, and keeps serving', async () => {
    const { ipcMain, win } = setup({ invokeTimeoutMs: 30 })
    const gate = deferred<string>()
    const handlerDone = deferred<void>()
    ipcMain.handle('slow', async (_event, n) => {
      if (n === 1) {
        const value = await gate.promise
        handlerDone.resolve()
        return value
      }
      return 'fast'
    })
    const err = await rejection(win.ipcRenderer.invoke('slow', 1))
    expect(err.code).toBe('ERR_IPC_INVOKE_TIMEOUT')
    gate.resolve('too late')
    await handlerDone.promise
    await expect(win.ipcRenderer.invoke('slow', 2)).resolves.toBe('fast')
  })

  it('has no default timeout: an invoke may take arbitrarily long', async () => {
    vi.useFakeTimers()
    const { ipcMain, win } = setup()
    const gate = deferred<string>()
    ipcMain.handle('slow', () => gate.promise)
    let state = 'pending'
    const p = win.ipcRenderer.invoke('slow').then(
      (v) => {
        state = 'resolved'
        return v
      },
      (e: unknown) => {
        state = 'rejected'
        throw e
      },
    )
    await vi.advanceTimersByTimeAsync(24 * 60 * 60 * 1000)
    expect(state).toBe('pending')
    gate.resolve('eventually')
    await vi.advanceTimersByTimeAsync(10)
    await expect(p).resolves.toBe('eventually')
  })
})
