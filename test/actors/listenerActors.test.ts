// Listener, handler and renderer actors through the public API: registering and removing them
// leaves nothing behind that still receives, and closing the broker closes every renderer.

import { afterEach, describe, expect, it, vi } from 'vitest'
import { DurableIpcError } from '../../src/index.js'
import { closeBrokers, deferred, flushToMain, newBroker, rejection, thrown } from '../api/helpers.js'

afterEach(closeBrokers)

const noHandler = (ch: string): string => `Error invoking remote method '${ch}': Error: No handler registered for '${ch}'`

describe('listener actors', () => {
  it('never calls a removed listener again, after many add/remove cycles', async () => {
    const broker = newBroker()
    const win = broker.createRenderer()
    const removed = vi.fn()
    for (let i = 0; i < 1000; i++) {
      broker.ipcMain.on('ch', removed)
      broker.ipcMain.removeListener('ch', removed)
    }
    const current = vi.fn()
    broker.ipcMain.on('ch', current)
    win.ipcRenderer.send('ch', 'x')
    await flushToMain(broker, win)
    expect(removed).not.toHaveBeenCalled()
    expect(current).toHaveBeenCalledTimes(1)
    expect(broker.ipcMain.listenerCount('ch')).toBe(1)
  })

  it('stops calling a listener removed while messages to it are queued', async () => {
    const broker = newBroker()
    const win = broker.createRenderer()
    const listener = vi.fn()
    broker.ipcMain.on('ch', listener)
    win.ipcRenderer.send('ch', 1)
    await flushToMain(broker, win)
    expect(listener).toHaveBeenCalledTimes(1)
    broker.ipcMain.removeListener('ch', listener)
    for (let i = 0; i < 100; i++) win.ipcRenderer.send('ch', i)
    await flushToMain(broker, win)
    expect(listener).toHaveBeenCalledTimes(1)
  })

  it('stops calling listeners removed with removeAllListeners, and serves new ones', async () => {
    const broker = newBroker()
    const win = broker.createRenderer()
    const old = Array.from({ length: 50 }, () => vi.fn())
    for (const fn of old) broker.ipcMain.on(`ch${old.indexOf(fn) % 5}`, fn)
    broker.ipcMain.removeAllListeners()
    const fresh = vi.fn()
    broker.ipcMain.on('ch0', fresh)
    for (let i = 0; i < 5; i++) win.ipcRenderer.send(`ch${i}`)
    await flushToMain(broker, win)
    for (const fn of old) expect(fn).not.toHaveBeenCalled()
    expect(fresh).toHaveBeenCalledTimes(1)
  })

  it('stops a once listener after its message, even with many messages queued', async () => {
    const broker = newBroker()
    const win = broker.createRenderer()
    const listener = vi.fn()
    broker.ipcMain.once('ch', listener)
    for (let i = 0; i < 100; i++) win.ipcRenderer.send('ch', i)
    await flushToMain(broker, win)
    expect(listener).toHaveBeenCalledTimes(1)
    expect(listener.mock.calls[0]?.slice(1)).toEqual([0])
    expect(broker.ipcMain.listenerCount('ch')).toBe(0)
  })

  it('keeps one function registered on two channels independent', async () => {
    const broker = newBroker()
    const win = broker.createRenderer()
    const fn = vi.fn()
    broker.ipcMain.on('a', fn)
    broker.ipcMain.on('b', fn)
    broker.ipcMain.off('a', fn)
    win.ipcRenderer.send('a', 'on a')
    win.ipcRenderer.send('b', 'on b')
    await flushToMain(broker, win)
    expect(fn.mock.calls.map((c) => c.slice(1))).toEqual([['on b']])
  })
})

describe('handler actors', () => {
  it('rejects with no handler after removeHandler, after many handle/removeHandler cycles', async () => {
    const broker = newBroker()
    const win = broker.createRenderer()
    const stale = vi.fn(() => 'stale')
    for (let i = 0; i < 500; i++) {
      broker.ipcMain.handle('h', stale)
      broker.ipcMain.removeHandler('h')
    }
    expect((await rejection(win.ipcRenderer.invoke('h'))).message).toBe(noHandler('h'))
    broker.ipcMain.handle('h', () => 'current')
    await expect(win.ipcRenderer.invoke('h')).resolves.toBe('current')
    expect(stale).not.toHaveBeenCalled()
  })

  it('lets a pending invoke finish when its handler is removed meanwhile, and rejects the next', async () => {
    const broker = newBroker()
    const win = broker.createRenderer()
    const gate = deferred<string>()
    const started = deferred<void>()
    broker.ipcMain.handle('h', () => {
      started.resolve()
      return gate.promise
    })
    const pending = win.ipcRenderer.invoke('h')
    await started.promise
    broker.ipcMain.removeHandler('h')
    gate.resolve('finished')
    await expect(pending).resolves.toBe('finished')
    expect((await rejection(win.ipcRenderer.invoke('h'))).message).toBe(noHandler('h'))
  })
})

describe('renderer actors', () => {
  it('closing a renderer stops its deliveries but not the broker', async () => {
    const broker = newBroker()
    const a = broker.createRenderer({ id: 'a' })
    const b = broker.createRenderer({ id: 'b' })
    const seen: string[] = []
    broker.ipcMain.on('ch', (event) => seen.push(event.sender.id))
    a.ipcRenderer.send('ch')
    await flushToMain(broker, a)
    a.close()
    b.ipcRenderer.send('ch')
    await flushToMain(broker, b)
    expect(seen).toEqual(['a', 'b'])
  })

  it('lets a renderer with the id of a closed one open again, and only the new one receives', async () => {
    const broker = newBroker()
    const old = broker.createRenderer({ id: 'window-1' })
    const oldListener = vi.fn()
    old.ipcRenderer.on('notice', oldListener)
    old.close()
    const reopened = broker.createRenderer({ id: 'window-1' })
    expect(reopened.id).toBe('window-1')
    broker.ipcMain.handle('who', (event) => event.sender.id)
    await expect(reopened.ipcRenderer.invoke('who')).resolves.toBe('window-1')
    const got = new Promise<unknown[]>((resolve) => reopened.ipcRenderer.once('notice', (_e, ...args) => resolve(args)))
    reopened.webContents.send('notice', 'hello again')
    old.webContents.send('notice', 'to the closed one')
    expect(await got).toEqual(['hello again'])
    expect(oldListener).not.toHaveBeenCalled()
  })

  it('can create and close many renderers', async () => {
    const broker = newBroker()
    broker.ipcMain.handle('id', (event) => event.sender.id)
    for (let i = 0; i < 200; i++) {
      const win = broker.createRenderer({ id: `r${i}` })
      await expect(win.ipcRenderer.invoke('id')).resolves.toBe(`r${i}`)
      win.close()
    }
    const last = broker.createRenderer()
    await expect(last.ipcRenderer.invoke('id')).resolves.toBe(last.id)
  })

  it('broker.close() closes every renderer and resolves', async () => {
    const broker = newBroker()
    const wins = Array.from({ length: 10 }, () => broker.createRenderer())
    const listener = vi.fn()
    broker.ipcMain.on('ch', listener)
    await expect(broker.close()).resolves.toBeUndefined()
    for (const win of wins) {
      const err = thrown(() => win.ipcRenderer.send('ch'))
      expect(err).toBeInstanceOf(DurableIpcError)
      expect(['ERR_IPC_CONTEXT_RELEASED', 'ERR_BROKER_CLOSED']).toContain(err.code)
    }
    expect(listener).not.toHaveBeenCalled()
  })
})
