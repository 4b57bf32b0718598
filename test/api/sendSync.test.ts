// ipcRenderer.sendSync and event.returnValue (issue 3, point 3): the first assignment wins, and
// an in-process renderer fails fast with a typed error instead of hanging.

import { afterEach, describe, expect, it, vi } from 'vitest'
import { DurableIpcError, SyncReplyError } from '../../src/index.js'
import { closeBrokers, deferred, newBroker, thrown } from './helpers.js'

afterEach(closeBrokers)

function setup() {
  const broker = newBroker()
  const win = broker.createRenderer({ id: 'w1' })
  return { broker, ipcMain: broker.ipcMain, win }
}

describe('sendSync', () => {
  it("returns the value the listener assigns to event.returnValue (Electron's ping/pong)", () => {
    const { ipcMain, win } = setup()
    const received: unknown[] = []
    ipcMain.on('synchronous-message', (event, ...args) => {
      received.push(...args)
      event.returnValue = 'pong'
    })
    expect(win.ipcRenderer.sendSync('synchronous-message', 'ping', 2)).toBe('pong')
    expect(received).toEqual(['ping', 2])
  })

  it('calls the listener during the call, with event.sender === the renderer webContents', () => {
    const { ipcMain, win } = setup()
    let sender: unknown
    ipcMain.on('s', (event) => {
      sender = event.sender
      event.returnValue = 1
    })
    win.ipcRenderer.sendSync('s')
    expect(sender).toBe(win.webContents)
  })

  it('returns a copy of the returned value', () => {
    const { ipcMain, win } = setup()
    const value = { nested: { list: [1, 2, 3] } }
    ipcMain.on('s', (event) => {
      event.returnValue = value
    })
    const result = win.ipcRenderer.sendSync('s')
    expect(result).toEqual(value)
    expect(result).not.toBe(value)
  })

  it('keeps the first assignment and ignores later ones', () => {
    const { ipcMain, win } = setup()
    ipcMain.on('s', (event) => {
      event.returnValue = 'first'
      event.returnValue = 'second'
    })
    expect(win.ipcRenderer.sendSync('s')).toBe('first')
  })

  it('reads back undefined from event.returnValue, even after an assignment', () => {
    const { ipcMain, win } = setup()
    const reads: unknown[] = []
    ipcMain.on('s', (event) => {
      reads.push(event.returnValue)
      event.returnValue = 'set'
      reads.push(event.returnValue)
    })
    expect(win.ipcRenderer.sendSync('s')).toBe('set')
    expect(reads).toEqual([undefined, undefined])
  })

  it('lets several listeners assign: all are called, the first assignment wins, nothing is reported', () => {
    const { broker, ipcMain, win } = setup()
    const errors = vi.fn()
    broker.on('error', errors)
    const called: string[] = []
    ipcMain.on('s', (event) => {
      called.push('a')
      event.returnValue = 'from-a'
    })
    ipcMain.on('s', (event) => {
      called.push('b')
      event.returnValue = 'from-b'
    })
    expect(win.ipcRenderer.sendSync('s')).toBe('from-a')
    expect(called).toEqual(['a', 'b'])
    expect(errors).not.toHaveBeenCalled()
  })

  it('returns what a later listener assigns when the first does not assign', () => {
    const { ipcMain, win } = setup()
    ipcMain.on('s', () => {})
    ipcMain.on('s', (event) => {
      event.returnValue = 'from-second'
    })
    expect(win.ipcRenderer.sendSync('s')).toBe('from-second')
  })

  it('counts an explicit undefined or null as an assignment', () => {
    const { ipcMain, win } = setup()
    ipcMain.on('undef', (event) => {
      event.returnValue = undefined
    })
    ipcMain.on('null', (event) => {
      event.returnValue = null
    })
    expect(win.ipcRenderer.sendSync('undef')).toBeUndefined()
    expect(win.ipcRenderer.sendSync('null')).toBeNull()
  })

  it('throws a SyncReplyError (ERR_IPC_NO_SYNC_LISTENER) when no listener exists', () => {
    const { win } = setup()
    const err = thrown(() => win.ipcRenderer.sendSync('nobody', 1))
    expect(err).toBeInstanceOf(SyncReplyError)
    expect(err).toBeInstanceOf(DurableIpcError)
    expect(err.code).toBe('ERR_IPC_NO_SYNC_LISTENER')
    expect(err.message.length).toBeGreaterThan(0)
  })

  it('throws ERR_IPC_NO_SYNC_LISTENER when the channel only has an invoke handler', () => {
    const { ipcMain, win } = setup()
    const handler = vi.fn(() => 'from-handler')
    ipcMain.handle('h', handler)
    const err = thrown(() => win.ipcRenderer.sendSync('h'))
    expect(err.code).toBe('ERR_IPC_NO_SYNC_LISTENER')
    expect(handler).not.toHaveBeenCalled()
  })

  it("throws ERR_IPC_NO_SYNC_LISTENER, not EventEmitter's unhandled 'error', on channel 'error'", () => {
    const { win } = setup()
    const err = thrown(() => win.ipcRenderer.sendSync('error', new Error('x')))
    expect(err).toBeInstanceOf(SyncReplyError)
    expect(err.code).toBe('ERR_IPC_NO_SYNC_LISTENER')
  })

  it('throws ERR_IPC_SYNC_NOT_ASSIGNED at once when the listener assigns only asynchronously', async () => {
    const { ipcMain, win } = setup()
    const late = deferred<unknown>()
    ipcMain.on('s', (event) => {
      setImmediate(() => {
        try {
          event.returnValue = 'too late'
          late.resolve('assigned without throwing')
        } catch (e) {
          late.resolve(e)
        }
      })
    })
    const err = thrown(() => win.ipcRenderer.sendSync('s'))
    expect(err).toBeInstanceOf(SyncReplyError)
    expect(err).toBeInstanceOf(DurableIpcError)
    expect(err.code).toBe('ERR_IPC_SYNC_NOT_ASSIGNED')
    // the late assignment is ignored, not an exception in the listener
    expect(await late.promise).toBe('assigned without throwing')
  })

  it('throws ERR_IPC_SYNC_NOT_ASSIGNED when an async listener assigns after an await', () => {
    const { ipcMain, win } = setup()
    ipcMain.on('s', async (event) => {
      await Promise.resolve()
      event.returnValue = 'late'
    })
    const err = thrown(() => win.ipcRenderer.sendSync('s'))
    expect(err.code).toBe('ERR_IPC_SYNC_NOT_ASSIGNED')
  })

  it('keeps working for the next call after a failed one', () => {
    const { ipcMain, win } = setup()
    let assign = false
    ipcMain.on('s', (event) => {
      if (assign) event.returnValue = 'ok'
    })
    expect(thrown(() => win.ipcRenderer.sendSync('s')).code).toBe('ERR_IPC_SYNC_NOT_ASSIGNED')
    assign = true
    expect(win.ipcRenderer.sendSync('s')).toBe('ok')
  })

  it('uses a fresh event per call: an assignment in one call does not answer the next', () => {
    const { ipcMain, win } = setup()
    let n = 0
    ipcMain.on('s', (event) => {
      n++
      event.returnValue = n
    })
    expect(win.ipcRenderer.sendSync('s')).toBe(1)
    expect(win.ipcRenderer.sendSync('s')).toBe(2)
  })
})
