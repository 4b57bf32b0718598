// ipcMain is a Node EventEmitter (issue 3, point 1): listener methods, order, once, delivery
// snapshots, one shared event and argument copy per message, and dropping unheard messages.

import { EventEmitter } from 'node:events'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { closeBrokers, flushToMain, newBroker, nextMessage } from './helpers.js'

afterEach(closeBrokers)

function setup() {
  const broker = newBroker()
  const win = broker.createRenderer({ id: 'w1' })
  return { broker, ipcMain: broker.ipcMain, win }
}

describe('ipcMain as an EventEmitter', () => {
  it('is an EventEmitter instance, and so is the broker', () => {
    const { broker, ipcMain } = setup()
    expect(ipcMain).toBeInstanceOf(EventEmitter)
    expect(broker).toBeInstanceOf(EventEmitter)
  })

  it('returns ipcMain from on, addListener, once, prepend*, off and removeListener, for chaining', () => {
    const { ipcMain } = setup()
    const fn = (): void => {}
    expect(ipcMain.on('a', fn)).toBe(ipcMain)
    expect(ipcMain.addListener('a', fn)).toBe(ipcMain)
    expect(ipcMain.once('a', fn)).toBe(ipcMain)
    expect(ipcMain.prependListener('a', fn)).toBe(ipcMain)
    expect(ipcMain.prependOnceListener('a', fn)).toBe(ipcMain)
    expect(ipcMain.off('a', fn)).toBe(ipcMain)
    expect(ipcMain.removeListener('a', fn)).toBe(ipcMain)
    expect(ipcMain.removeAllListeners('a')).toBe(ipcMain)
  })

  it('calls listeners in registration order, prepended ones first', async () => {
    const { ipcMain, win } = setup()
    const order: string[] = []
    ipcMain.on('ch', () => order.push('on'))
    ipcMain.addListener('ch', () => order.push('addListener'))
    ipcMain.prependListener('ch', () => order.push('prependListener'))
    ipcMain.prependOnceListener('ch', () => order.push('prependOnceListener'))
    const done = nextMessage(ipcMain, 'ch') // registered last, so called last
    win.ipcRenderer.send('ch')
    await done
    expect(order).toEqual(['prependOnceListener', 'prependListener', 'on', 'addListener'])
  })

  it('calls a once listener for one message only, and removes it before calling it', async () => {
    const { broker, ipcMain, win } = setup()
    const seen: unknown[] = []
    let countInside = -1
    ipcMain.once('ch', (_event, ...args) => {
      countInside = ipcMain.listenerCount('ch')
      seen.push(args)
    })
    expect(ipcMain.listenerCount('ch')).toBe(1)
    win.ipcRenderer.send('ch', 'first')
    win.ipcRenderer.send('ch', 'second')
    await flushToMain(broker, win)
    expect(seen).toEqual([['first']])
    expect(countInside).toBe(0)
    expect(ipcMain.listenerCount('ch')).toBe(0)
  })

  it('removes a once listener given the original function', async () => {
    const { broker, ipcMain, win } = setup()
    const fn = vi.fn()
    ipcMain.once('ch', fn)
    ipcMain.removeListener('ch', fn)
    expect(ipcMain.listenerCount('ch')).toBe(0)
    win.ipcRenderer.send('ch')
    await flushToMain(broker, win)
    expect(fn).not.toHaveBeenCalled()
  })

  it('calls a prependOnceListener listener first and once', async () => {
    const { broker, ipcMain, win } = setup()
    const order: string[] = []
    ipcMain.on('ch', (_e, arg) => order.push(`on:${String(arg)}`))
    ipcMain.prependOnceListener('ch', (_e, arg) => order.push(`once:${String(arg)}`))
    win.ipcRenderer.send('ch', 1)
    win.ipcRenderer.send('ch', 2)
    await flushToMain(broker, win)
    expect(order).toEqual(['once:1', 'on:1', 'on:2'])
  })

  it('no longer calls a listener removed with off or removeListener', async () => {
    const { broker, ipcMain, win } = setup()
    const removedWithOff = vi.fn()
    const removedWithRemoveListener = vi.fn()
    const kept = vi.fn()
    ipcMain.on('ch', removedWithOff)
    ipcMain.on('ch', removedWithRemoveListener)
    ipcMain.on('ch', kept)
    ipcMain.off('ch', removedWithOff)
    ipcMain.removeListener('ch', removedWithRemoveListener)
    win.ipcRenderer.send('ch', 'x')
    await flushToMain(broker, win)
    expect(removedWithOff).not.toHaveBeenCalled()
    expect(removedWithRemoveListener).not.toHaveBeenCalled()
    expect(kept).toHaveBeenCalledTimes(1)
    expect(kept.mock.calls[0]?.slice(1)).toEqual(['x'])
  })

  it('calls a function registered twice twice per message, and removeListener removes one registration', async () => {
    const { broker, ipcMain, win } = setup()
    const fn = vi.fn()
    ipcMain.on('ch', fn)
    ipcMain.on('ch', fn)
    expect(ipcMain.listenerCount('ch')).toBe(2)
    win.ipcRenderer.send('ch')
    await flushToMain(broker, win)
    expect(fn).toHaveBeenCalledTimes(2)
    ipcMain.removeListener('ch', fn)
    expect(ipcMain.listenerCount('ch')).toBe(1)
    win.ipcRenderer.send('ch')
    await flushToMain(broker, win)
    expect(fn).toHaveBeenCalledTimes(3)
  })

  it('removeAllListeners(channel) removes that channel only', async () => {
    const { broker, ipcMain, win } = setup()
    const a1 = vi.fn()
    const a2 = vi.fn()
    const b = vi.fn()
    ipcMain.on('a', a1)
    ipcMain.once('a', a2)
    ipcMain.on('b', b)
    ipcMain.removeAllListeners('a')
    expect(ipcMain.listenerCount('a')).toBe(0)
    expect(ipcMain.listenerCount('b')).toBe(1)
    expect(ipcMain.eventNames()).toEqual(['b'])
    win.ipcRenderer.send('a', 1)
    win.ipcRenderer.send('b', 2)
    await flushToMain(broker, win)
    expect(a1).not.toHaveBeenCalled()
    expect(a2).not.toHaveBeenCalled()
    expect(b).toHaveBeenCalledTimes(1)
    expect(b.mock.calls[0]?.slice(1)).toEqual([2])
  })

  it('removeAllListeners() with no channel removes every listener', async () => {
    const { broker, ipcMain, win } = setup()
    const a = vi.fn()
    const b = vi.fn()
    ipcMain.on('a', a)
    ipcMain.on('b', b)
    ipcMain.removeAllListeners()
    expect(ipcMain.eventNames()).toEqual([])
    expect(ipcMain.listenerCount('a')).toBe(0)
    win.ipcRenderer.send('a')
    win.ipcRenderer.send('b')
    await flushToMain(broker, win)
    expect(a).not.toHaveBeenCalled()
    expect(b).not.toHaveBeenCalled()
  })

  it('removeAllListeners() leaves invoke handlers registered (a separate namespace)', async () => {
    const { ipcMain, win } = setup()
    ipcMain.handle('add', (_e, a, b) => (a as number) + (b as number))
    ipcMain.on('other', () => {})
    ipcMain.removeAllListeners()
    await expect(win.ipcRenderer.invoke('add', 1, 2)).resolves.toBe(3)
  })

  it('listeners returns the functions, rawListeners the once wrappers', () => {
    const { ipcMain } = setup()
    const onFn = (): void => {}
    const onceFn = (): void => {}
    ipcMain.on('ch', onFn)
    ipcMain.once('ch', onceFn)
    expect(ipcMain.listeners('ch')).toEqual([onFn, onceFn])
    const raw = ipcMain.rawListeners('ch')
    expect(raw).toHaveLength(2)
    expect(raw[0]).toBe(onFn)
    expect(raw[1]).not.toBe(onceFn)
    expect((raw[1] as { listener?: unknown }).listener).toBe(onceFn)
    expect(ipcMain.listeners('none')).toEqual([])
  })

  it('listenerCount and eventNames track registrations', () => {
    const { ipcMain } = setup()
    const fn = (): void => {}
    expect(ipcMain.eventNames()).toEqual([])
    ipcMain.on('a', fn)
    ipcMain.on('b', fn)
    ipcMain.on('b', () => {})
    expect(ipcMain.eventNames()).toEqual(['a', 'b'])
    expect(ipcMain.listenerCount('a')).toBe(1)
    expect(ipcMain.listenerCount('b')).toBe(2)
    ipcMain.off('a', fn)
    expect(ipcMain.eventNames()).toEqual(['b'])
  })

  it('handlers do not count as listeners', () => {
    const { ipcMain } = setup()
    ipcMain.handle('h', () => 1)
    expect(ipcMain.listenerCount('h')).toBe(0)
    expect(ipcMain.eventNames()).toEqual([])
  })
})

describe('delivery of one message to several listeners', () => {
  it('does not call a listener added during the delivery, but calls it for the next message', async () => {
    const { broker, ipcMain, win } = setup()
    const late = vi.fn()
    let added = false
    ipcMain.on('ch', () => {
      if (!added) {
        added = true
        ipcMain.on('ch', late)
      }
    })
    win.ipcRenderer.send('ch', 1)
    await flushToMain(broker, win)
    expect(late).not.toHaveBeenCalled()
    win.ipcRenderer.send('ch', 2)
    await flushToMain(broker, win)
    expect(late).toHaveBeenCalledTimes(1)
    expect(late.mock.calls[0]?.slice(1)).toEqual([2])
  })

  it('still calls, for the message in progress, a listener removed by an earlier one (Node emit semantics)', async () => {
    // Node: "any removeListener() ... after emitting and before the last listener finishes
    // execution will not remove them from emit() in progress."
    const { broker, ipcMain, win } = setup()
    const second = vi.fn()
    ipcMain.on('ch', () => ipcMain.removeListener('ch', second))
    ipcMain.on('ch', second)
    win.ipcRenderer.send('ch', 1)
    win.ipcRenderer.send('ch', 2)
    await flushToMain(broker, win)
    expect(second).toHaveBeenCalledTimes(1)
    expect(second.mock.calls[0]?.slice(1)).toEqual([1])
  })

  it('gives every listener the same event object and the same copy of the arguments', async () => {
    const { ipcMain, win } = setup()
    const calls: Array<{ event: unknown; args: unknown[] }> = []
    ipcMain.on('ch', (event, ...args) => calls.push({ event, args }))
    ipcMain.on('ch', (event, ...args) => calls.push({ event, args }))
    const done = nextMessage(ipcMain, 'ch')
    const payload = { deep: { n: 1 } }
    const list = [1, 2]
    win.ipcRenderer.send('ch', payload, list)
    const third = await done
    expect(calls).toHaveLength(2)
    const [first, second] = calls as [{ event: unknown; args: unknown[] }, { event: unknown; args: unknown[] }]
    expect(second.event).toBe(first.event)
    expect(third.event).toBe(first.event)
    expect(second.args[0]).toBe(first.args[0])
    expect(second.args[1]).toBe(first.args[1])
    expect(third.args[0]).toBe(first.args[0])
    // one copy, but a copy: not the sender's objects
    expect(first.args[0]).not.toBe(payload)
    expect(first.args[0]).toEqual(payload)
    expect(first.args[1]).toEqual([1, 2])
  })

  it('drops a message sent while nobody listens: a listener added later never sees it', async () => {
    const { broker, ipcMain, win } = setup()
    win.ipcRenderer.send('nobody', 'lost')
    await flushToMain(broker, win)
    const late = vi.fn()
    ipcMain.on('nobody', late)
    await flushToMain(broker, win)
    expect(late).not.toHaveBeenCalled()
    win.ipcRenderer.send('nobody', 'heard')
    await flushToMain(broker, win)
    expect(late).toHaveBeenCalledTimes(1)
    expect(late.mock.calls[0]?.slice(1)).toEqual(['heard'])
  })

  it("drops a message on channel 'error' with no listener without throwing or reporting an error", async () => {
    const { broker, win } = setup()
    const brokerErrors = vi.fn()
    broker.on('error', brokerErrors)
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      expect(() => win.ipcRenderer.send('error', new Error('not an emitter error'))).not.toThrow()
      await flushToMain(broker, win)
      expect(brokerErrors).not.toHaveBeenCalled()
      expect(consoleError).not.toHaveBeenCalled()
    } finally {
      consoleError.mockRestore()
    }
  })

  it("delivers a message on channel 'error' to its listeners like any other channel", async () => {
    const { ipcMain, win } = setup()
    const got = nextMessage(ipcMain, 'error')
    win.ipcRenderer.send('error', 'payload')
    const { event, args } = await got
    expect(args).toEqual(['payload'])
    expect((event as { sender: unknown }).sender).toBe(win.webContents)
  })
})
