// ipcRenderer.send, event.reply, event.sender.send and webContents.send (issue 3, point 2):
// who the sender is, where replies go, and that delivery is asynchronous as in Electron.

import { afterEach, describe, expect, it, vi } from 'vitest'
import { closeBrokers, collect, flushToMain, flushToRenderer, newBroker, nextMessage } from './helpers.js'

afterEach(closeBrokers)

describe('renderer to main: ipcRenderer.send', () => {
  it('calls ipcMain listeners with (event, ...args), the exact arguments', async () => {
    const broker = newBroker()
    const win = broker.createRenderer({ id: 'w1' })
    const got = nextMessage(broker.ipcMain, 'ch')
    win.ipcRenderer.send('ch', 'a', 2, { three: [3] }, null, undefined)
    const { args } = await got
    expect(args).toEqual(['a', 2, { three: [3] }, null, undefined])
    expect(args).toHaveLength(5)
  })

  it('calls the listener with no arguments after the event when none are sent', async () => {
    const broker = newBroker()
    const win = broker.createRenderer()
    const got = nextMessage(broker.ipcMain, 'ch')
    win.ipcRenderer.send('ch')
    expect((await got).args).toEqual([])
  })

  it('returns undefined and delivers asynchronously, not during the call', async () => {
    const broker = newBroker()
    const win = broker.createRenderer()
    const listener = vi.fn()
    broker.ipcMain.on('ch', listener)
    const got = nextMessage(broker.ipcMain, 'ch')
    expect(win.ipcRenderer.send('ch', 1)).toBeUndefined()
    expect(listener).not.toHaveBeenCalled()
    await got
    expect(listener).toHaveBeenCalledTimes(1)
  })

  it('sets event.sender to the renderer webContents, with the renderer id', async () => {
    const broker = newBroker()
    const win = broker.createRenderer({ id: 'w1' })
    expect(win.id).toBe('w1')
    expect(win.webContents.id).toBe('w1')
    const got = nextMessage(broker.ipcMain, 'ch')
    win.ipcRenderer.send('ch')
    const { event } = await got
    expect(event.sender).toBe(win.webContents)
    expect(event.sender.id).toBe('w1')
  })

  it('generates distinct string ids when none is given', async () => {
    const broker = newBroker()
    const a = broker.createRenderer()
    const b = broker.createRenderer()
    expect(typeof a.id).toBe('string')
    expect(a.id.length).toBeGreaterThan(0)
    expect(b.id).not.toBe(a.id)
    expect(a.webContents.id).toBe(a.id)
    const got = nextMessage(broker.ipcMain, 'ch')
    b.ipcRenderer.send('ch')
    expect((await got).event.sender.id).toBe(b.id)
  })

  it('gives each message the sender it came from when several renderers send', async () => {
    const broker = newBroker()
    const w1 = broker.createRenderer({ id: 'w1' })
    const w2 = broker.createRenderer({ id: 'w2' })
    const senders = new Map<unknown, unknown>()
    const both = new Promise<void>((resolve) => {
      broker.ipcMain.on('who', (event, name) => {
        senders.set(name, event.sender)
        if (senders.size === 2) resolve()
      })
    })
    w1.ipcRenderer.send('who', 'one')
    w2.ipcRenderer.send('who', 'two')
    await both
    expect(senders.get('one')).toBe(w1.webContents)
    expect(senders.get('two')).toBe(w2.webContents)
  })

  it('carries processId, frameId and an empty ports list on the event', async () => {
    const broker = newBroker()
    const win = broker.createRenderer()
    const got = nextMessage(broker.ipcMain, 'ch')
    win.ipcRenderer.send('ch')
    const { event } = await got
    expect(typeof event.processId).toBe('number')
    expect(typeof event.frameId).toBe('number')
    expect(event.ports).toEqual([])
  })
})

describe('main to renderer', () => {
  it('event.reply reaches the sending renderer as (event, ...args) with event.sender === its ipcRenderer', async () => {
    const broker = newBroker()
    const win = broker.createRenderer({ id: 'w1' })
    broker.ipcMain.on('asynchronous-message', (event, arg) => {
      event.reply('asynchronous-reply', `${String(arg)}-pong`, 2)
    })
    const reply = nextMessage(win.ipcRenderer, 'asynchronous-reply')
    win.ipcRenderer.send('asynchronous-message', 'ping')
    const { event, args } = await reply
    expect(args).toEqual(['ping-pong', 2])
    expect(event.sender).toBe(win.ipcRenderer)
  })

  it('event.sender.send reaches the sending renderer the same way', async () => {
    const broker = newBroker()
    const win = broker.createRenderer()
    broker.ipcMain.on('ping', (event, n) => {
      event.sender.send('pong', (n as number) + 1)
    })
    const reply = nextMessage(win.ipcRenderer, 'pong')
    win.ipcRenderer.send('ping', 41)
    const { event, args } = await reply
    expect(args).toEqual([42])
    expect(event.sender).toBe(win.ipcRenderer)
  })

  it('replies go to the sending renderer only', async () => {
    const broker = newBroker()
    const w1 = broker.createRenderer({ id: 'w1' })
    const w2 = broker.createRenderer({ id: 'w2' })
    broker.ipcMain.on('ping', (event) => {
      event.reply('pong', 'reply')
      event.sender.send('pong', 'sender.send')
    })
    const w2Seen: unknown[] = []
    w2.ipcRenderer.on('pong', (_e, arg) => w2Seen.push(arg))
    const w1Got = collect(w1.ipcRenderer, 'pong', 2)
    w1.ipcRenderer.send('ping')
    expect(await w1Got).toEqual([['reply'], ['sender.send']])
    await flushToRenderer(w2)
    const w2Own = nextMessage(w2.ipcRenderer, 'pong')
    w2.webContents.send('pong', 'own')
    await w2Own
    expect(w2Seen).toEqual(['own'])
  })

  it('webContents.send delivers to that renderer asynchronously, with event.sender === its ipcRenderer', async () => {
    const broker = newBroker()
    const win = broker.createRenderer()
    const listener = vi.fn()
    win.ipcRenderer.on('notice', listener)
    const got = nextMessage(win.ipcRenderer, 'notice')
    expect(win.webContents.send('notice', { text: 'hi' }, 7)).toBeUndefined()
    expect(listener).not.toHaveBeenCalled()
    const { event, args } = await got
    expect(args).toEqual([{ text: 'hi' }, 7])
    expect(event.sender).toBe(win.ipcRenderer)
    expect(listener).toHaveBeenCalledTimes(1)
  })

  it("drops a renderer-bound message on channel 'error' with no listener, without throwing", async () => {
    const broker = newBroker()
    const win = broker.createRenderer()
    const brokerErrors = vi.fn()
    broker.on('error', brokerErrors)
    expect(() => win.webContents.send('error', new Error('just data'))).not.toThrow()
    await flushToRenderer(win)
    expect(brokerErrors).not.toHaveBeenCalled()
    const got = nextMessage(win.ipcRenderer, 'error')
    win.webContents.send('error', 'heard')
    expect((await got).args).toEqual(['heard'])
  })

  it('drops a renderer-bound message nobody listens to', async () => {
    const broker = newBroker()
    const win = broker.createRenderer()
    win.webContents.send('nobody', 'lost')
    await flushToRenderer(win)
    const late = vi.fn()
    win.ipcRenderer.on('nobody', late)
    await flushToRenderer(win)
    expect(late).not.toHaveBeenCalled()
  })
})

describe('ipcRenderer listener methods', () => {
  it('once, removeListener, removeAllListeners and listenerCount behave as EventEmitter', async () => {
    const broker = newBroker()
    const win = broker.createRenderer()
    const r = win.ipcRenderer
    const onceFn = vi.fn()
    const removed = vi.fn()
    const kept = vi.fn()
    r.once('n', onceFn)
    r.on('n', removed)
    r.on('n', kept)
    r.on('other', removed)
    expect(r.listenerCount('n')).toBe(3)
    r.removeListener('n', removed)
    expect(r.listenerCount('n')).toBe(2)
    win.webContents.send('n', 1)
    win.webContents.send('n', 2)
    await flushToRenderer(win)
    expect(onceFn).toHaveBeenCalledTimes(1)
    expect(onceFn.mock.calls[0]?.slice(1)).toEqual([1])
    expect(kept.mock.calls.map((c) => c.slice(1))).toEqual([[1], [2]])
    expect(removed).not.toHaveBeenCalled()
    r.removeAllListeners('n')
    expect(r.listenerCount('n')).toBe(0)
    expect(r.listenerCount('other')).toBe(1)
    r.removeAllListeners()
    expect(r.listenerCount('other')).toBe(0)
    win.webContents.send('n', 3)
    win.webContents.send('other', 3)
    await flushToRenderer(win)
    expect(kept).toHaveBeenCalledTimes(2)
    expect(removed).not.toHaveBeenCalled()
  })

  it('a renderer listener does not hear messages the renderer itself sends', async () => {
    const broker = newBroker()
    const win = broker.createRenderer()
    const self = vi.fn()
    win.ipcRenderer.on('ch', self)
    win.ipcRenderer.send('ch', 1)
    await flushToMain(broker, win)
    await flushToRenderer(win)
    expect(self).not.toHaveBeenCalled()
  })
})

describe('send never calls invoke handlers', () => {
  it('leaves a handle() handler of the same channel alone', async () => {
    const broker = newBroker()
    const win = broker.createRenderer()
    const handler = vi.fn(() => 1)
    broker.ipcMain.handle('ch', handler)
    win.ipcRenderer.send('ch', 'x')
    await flushToMain(broker, win)
    expect(handler).not.toHaveBeenCalled()
  })
})
