// A throwing listener never takes the broker down (issue 3, point 8): the error is emitted as
// 'error' on the broker, (thrown error, channel); without an 'error' listener, console.error.

import { once } from 'node:events'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { MockInstance } from 'vitest'
import { closeBrokers, collect, deferred, flushToMain, flushToRenderer, newBroker, thrown } from './helpers.js'

let consoleError: MockInstance<typeof console.error>

beforeEach(() => {
  consoleError = vi.spyOn(console, 'error').mockImplementation(() => {})
})

afterEach(async () => {
  consoleError.mockRestore()
  await closeBrokers()
})

function setup() {
  const broker = newBroker()
  const win = broker.createRenderer({ id: 'w1' })
  return { broker, ipcMain: broker.ipcMain, win }
}

/** True when some console.error call carried `err` itself, or its message. */
function loggedToConsole(err: unknown): boolean {
  const text = err instanceof Error ? err.message : String(err)
  return consoleError.mock.calls.some((call) => call.some((arg) => arg === err || (typeof arg === 'string' && arg.includes(text))))
}

describe("ipcMain listener errors go to the broker's 'error' event", () => {
  it('emits (the thrown error itself, the channel)', async () => {
    const { broker, ipcMain, win } = setup()
    const boom = new Error('listener failed')
    ipcMain.on('explode', () => {
      throw boom
    })
    const reported = once(broker, 'error')
    win.ipcRenderer.send('explode', 1)
    const [err, channel] = await reported
    expect(err).toBe(boom)
    expect(channel).toBe('explode')
    expect(consoleError).not.toHaveBeenCalled()
  })

  it('reports a thrown non-error value as it was thrown', async () => {
    const { broker, ipcMain, win } = setup()
    ipcMain.on('explode', () => {
      throw 'a plain string'
    })
    const reported = once(broker, 'error')
    win.ipcRenderer.send('explode')
    expect(await reported).toEqual(['a plain string', 'explode'])
  })

  it('reports the rejection of an async listener the same way', async () => {
    const { broker, ipcMain, win } = setup()
    const boom = new Error('async listener failed')
    ipcMain.on('explode', async () => {
      await Promise.resolve()
      throw boom
    })
    const reported = once(broker, 'error')
    win.ipcRenderer.send('explode')
    const [err, channel] = await reported
    expect(err).toBe(boom)
    expect(channel).toBe('explode')
  })

  it('reports every failure: one event per throwing delivery', async () => {
    const { broker, ipcMain, win } = setup()
    const errors: unknown[][] = []
    const three = deferred<void>()
    broker.on('error', (...args: unknown[]) => {
      errors.push(args)
      if (errors.length === 3) three.resolve()
    })
    ipcMain.on('explode', (_event, n) => {
      throw new Error(`failure ${String(n)}`)
    })
    for (const n of [1, 2, 3]) win.ipcRenderer.send('explode', n)
    await three.promise
    expect(errors.map(([err, ch]) => [(err as Error).message, ch])).toEqual([
      ['failure 1', 'explode'],
      ['failure 2', 'explode'],
      ['failure 3', 'explode'],
    ])
  })

  it('keeps the throwing listener registered and keeps delivering to it and to others', async () => {
    const { broker, ipcMain, win } = setup()
    broker.on('error', () => {})
    const calls: unknown[] = []
    ipcMain.on('ch', (_event, n) => {
      calls.push(n)
      throw new Error(`fail ${String(n)}`)
    })
    const other = collect(ipcMain, 'other', 1)
    win.ipcRenderer.send('ch', 1)
    win.ipcRenderer.send('ch', 2)
    win.ipcRenderer.send('other', 'fine')
    expect(await other).toEqual([['fine']])
    expect(calls).toEqual([1, 2])
    expect(ipcMain.listenerCount('ch')).toBe(1)
  })

  it('still answers invoke and sendSync on the broker after listener errors', async () => {
    const { broker, ipcMain, win } = setup()
    broker.on('error', () => {})
    ipcMain.on('explode', () => {
      throw new Error('x')
    })
    ipcMain.handle('add', (_e, a, b) => (a as number) + (b as number))
    ipcMain.on('sync', (event) => {
      event.returnValue = 'ok'
    })
    win.ipcRenderer.send('explode')
    win.ipcRenderer.send('explode')
    await flushToMain(broker, win)
    await expect(win.ipcRenderer.invoke('add', 2, 3)).resolves.toBe(5)
    expect(win.ipcRenderer.sendSync('sync')).toBe('ok')
  })
})

describe("with no 'error' listener on the broker", () => {
  it('logs the error with console.error and does not throw', async () => {
    const { broker, ipcMain, win } = setup()
    const boom = new Error('nobody listens for errors')
    ipcMain.on('explode', () => {
      throw boom
    })
    expect(broker.listenerCount('error')).toBe(0)
    win.ipcRenderer.send('explode')
    await flushToMain(broker, win)
    expect(loggedToConsole(boom)).toBe(true)
  })

  it('logs an async listener rejection too', async () => {
    const { broker, ipcMain, win } = setup()
    const boom = new Error('async, nobody listens')
    const rejected = deferred<void>()
    ipcMain.on('explode', async () => {
      await Promise.resolve()
      rejected.resolve()
      throw boom
    })
    win.ipcRenderer.send('explode')
    await rejected.promise
    await flushToMain(broker, win)
    await vi.waitFor(() => expect(loggedToConsole(boom)).toBe(true))
  })
})

describe('sendSync with a throwing listener', () => {
  it('returns the value assigned before the throw and reports the error', async () => {
    const { broker, ipcMain, win } = setup()
    const boom = new Error('after assigning')
    const reported = once(broker, 'error')
    ipcMain.on('s', (event) => {
      event.returnValue = 'kept'
      throw boom
    })
    expect(win.ipcRenderer.sendSync('s')).toBe('kept')
    const [err, channel] = await reported
    expect(err).toBe(boom)
    expect(channel).toBe('s')
  })

  it('throws (no value) when the listener throws before assigning, and reports the error', async () => {
    const { broker, ipcMain, win } = setup()
    const boom = new Error('before assigning')
    const reported = once(broker, 'error')
    ipcMain.on('s', () => {
      throw boom
    })
    thrown(() => win.ipcRenderer.sendSync('s'))
    const [err, channel] = await reported
    expect(err).toBe(boom)
    expect(channel).toBe('s')
  })
})

describe('renderer-side listener errors', () => {
  it('do not stop the renderer: later messages still reach the listener, and the error is reported', async () => {
    const { broker, win } = setup()
    const reported: unknown[] = []
    broker.on('error', (err: unknown) => reported.push(err))
    const boom = new Error('renderer listener failed')
    const calls: unknown[] = []
    win.ipcRenderer.on('notice', (_event, n) => {
      calls.push(n)
      if (n === 1) throw boom
    })
    win.webContents.send('notice', 1)
    win.webContents.send('notice', 2)
    await flushToRenderer(win)
    expect(calls).toEqual([1, 2])
    expect(reported.includes(boom) || loggedToConsole(boom)).toBe(true)
  })
})
