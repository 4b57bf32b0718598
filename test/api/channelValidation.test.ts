// Bad channel names and closed renderers (issue 3, point 7): a TypeError at the call, invoke
// only ever rejects, and a released context refuses every IPC method.

import { afterEach, describe, expect, it, vi } from 'vitest'
import { ContextReleasedError, DurableIpcError, InvalidChannelError } from '../../src/index.js'
import { closeBrokers, flushToMain, flushToRenderer, newBroker, nextMessage, rejection, thrown } from './helpers.js'

afterEach(closeBrokers)

function setup() {
  const broker = newBroker()
  const win = broker.createRenderer({ id: 'w1' })
  return { broker, ipcMain: broker.ipcMain, win }
}

const badChannels: Array<[string, unknown]> = [
  ['an empty string', ''],
  ['a number', 42],
  ['undefined', undefined],
  ['null', null],
  ['an object', { toString: () => 'ch' }],
  ['a symbol', Symbol('ch')],
  ['an array', ['ch']],
]

function expectInvalidChannel(err: Error & { code?: unknown }): void {
  expect(err).toBeInstanceOf(TypeError)
  expect(err).toBeInstanceOf(InvalidChannelError)
  expect(err).toBeInstanceOf(DurableIpcError)
  expect(err.code).toBe('ERR_IPC_INVALID_CHANNEL')
}

describe.each(badChannels)('channel that is %s', (_label, channel) => {
  const bad = channel as string

  it('makes ipcRenderer.send throw a TypeError and delivers nothing', async () => {
    const { broker, ipcMain, win } = setup()
    const listener = vi.fn()
    ipcMain.on(String(channel), listener)
    expectInvalidChannel(thrown(() => win.ipcRenderer.send(bad, 1)))
    await flushToMain(broker, win)
    expect(listener).not.toHaveBeenCalled()
  })

  it('makes ipcRenderer.sendSync throw a TypeError and calls no listener', () => {
    const { ipcMain, win } = setup()
    const listener = vi.fn((event: { returnValue: unknown }) => {
      event.returnValue = 'called'
    })
    ipcMain.on(String(channel), listener)
    expectInvalidChannel(thrown(() => win.ipcRenderer.sendSync(bad, 1)))
    expect(listener).not.toHaveBeenCalled()
  })

  it('makes ipcRenderer.invoke reject, never throw', async () => {
    const { ipcMain, win } = setup()
    const handler = vi.fn()
    // a handler under the coerced name catches a channel converted instead of refused
    if (String(channel) !== '') ipcMain.handle(String(channel), handler)
    let p: Promise<unknown> | undefined
    expect(() => {
      p = win.ipcRenderer.invoke(bad, 1)
    }).not.toThrow()
    expect(p).toBeInstanceOf(Promise)
    expectInvalidChannel(await rejection(p as Promise<unknown>))
    expect(handler).not.toHaveBeenCalled()
  })

  it('makes webContents.send throw a TypeError and delivers nothing', async () => {
    const { win } = setup()
    const listener = vi.fn()
    win.ipcRenderer.on(String(channel), listener)
    expectInvalidChannel(thrown(() => win.webContents.send(bad, 1)))
    await flushToRenderer(win)
    expect(listener).not.toHaveBeenCalled()
  })

  it('makes event.reply throw a TypeError', async () => {
    const { ipcMain, win } = setup()
    const replyError = new Promise<Error & { code?: unknown }>((resolve) => {
      ipcMain.once('ask', (event) => resolve(thrown(() => event.reply(bad, 1))))
    })
    win.ipcRenderer.send('ask')
    expectInvalidChannel(await replyError)
  })
})

describe('after renderer.close()', () => {
  function expectReleased(err: Error & { code?: unknown }): void {
    expect(err).toBeInstanceOf(ContextReleasedError)
    expect(err).toBeInstanceOf(DurableIpcError)
    expect(err.message).toBe('IPC method called after context was released')
    expect(err.code).toBe('ERR_IPC_CONTEXT_RELEASED')
  }

  it('ipcRenderer.send throws ContextReleasedError and delivers nothing', async () => {
    const { broker, ipcMain, win } = setup()
    const listener = vi.fn()
    ipcMain.on('ch', listener)
    win.close()
    expectReleased(thrown(() => win.ipcRenderer.send('ch', 1)))
    const other = broker.createRenderer()
    await flushToMain(broker, other)
    expect(listener).not.toHaveBeenCalled()
  })

  it('ipcRenderer.sendSync throws ContextReleasedError and calls no listener', () => {
    const { ipcMain, win } = setup()
    const listener = vi.fn((event: { returnValue: unknown }) => {
      event.returnValue = 'called'
    })
    ipcMain.on('ch', listener)
    win.close()
    expectReleased(thrown(() => win.ipcRenderer.sendSync('ch', 1)))
    expect(listener).not.toHaveBeenCalled()
  })

  it('ipcRenderer.invoke rejects with ContextReleasedError without throwing', async () => {
    const { ipcMain, win } = setup()
    const handler = vi.fn()
    ipcMain.handle('ch', handler)
    win.close()
    let p: Promise<unknown> | undefined
    expect(() => {
      p = win.ipcRenderer.invoke('ch')
    }).not.toThrow()
    expectReleased(await rejection(p as Promise<unknown>))
    expect(handler).not.toHaveBeenCalled()
  })

  it('refuses a bad channel on a closed renderer with a typed error', () => {
    const { win } = setup()
    win.close()
    const err = thrown(() => win.ipcRenderer.send('', 1))
    // either error is a fair answer, but it must be one of ours and typed
    expect(err).toBeInstanceOf(DurableIpcError)
    expect(['ERR_IPC_CONTEXT_RELEASED', 'ERR_IPC_INVALID_CHANNEL']).toContain(err.code)
  })

  it('webContents.send to it is a no-op', async () => {
    const { broker, win } = setup()
    const listener = vi.fn()
    win.ipcRenderer.on('notice', listener)
    win.close()
    expect(() => win.webContents.send('notice', 'hello')).not.toThrow()
    expect(win.webContents.send('notice', 'hello')).toBeUndefined()
    const other = broker.createRenderer()
    await flushToRenderer(other)
    expect(listener).not.toHaveBeenCalled()
  })

  it('event.reply to it, from a listener that kept the event, is a no-op', async () => {
    const { broker, ipcMain, win } = setup()
    const listener = vi.fn()
    win.ipcRenderer.on('answer', listener)
    const asked = nextMessage(ipcMain, 'ask')
    win.ipcRenderer.send('ask')
    const { event } = await asked
    win.close()
    expect(() => event.reply('answer', 1)).not.toThrow()
    expect(() => event.sender.send('answer', 2)).not.toThrow()
    const other = broker.createRenderer()
    await flushToRenderer(other)
    expect(listener).not.toHaveBeenCalled()
  })

  it('leaves other renderers working', async () => {
    const { broker, ipcMain, win } = setup()
    const other = broker.createRenderer({ id: 'w2' })
    ipcMain.handle('ping', (event) => `pong ${event.sender.id}`)
    win.close()
    await expect(other.ipcRenderer.invoke('ping')).resolves.toBe('pong w2')
    const got = nextMessage(other.ipcRenderer, 'notice')
    other.webContents.send('notice', 'still here')
    expect((await got).args).toEqual(['still here'])
  })

  it('keeps the renderer id readable', () => {
    const { win } = setup()
    win.close()
    expect(win.id).toBe('w1')
    expect(win.webContents.id).toBe('w1')
  })
})

describe('after broker.close()', () => {
  it('every renderer is closed: send and sendSync throw, invoke rejects, all typed', async () => {
    const broker = newBroker()
    const w1 = broker.createRenderer()
    const w2 = broker.createRenderer()
    broker.ipcMain.on('ch', () => {})
    broker.ipcMain.handle('h', () => 1)
    await broker.close()
    for (const win of [w1, w2]) {
      for (const err of [thrown(() => win.ipcRenderer.send('ch')), thrown(() => win.ipcRenderer.sendSync('ch')), await rejection(win.ipcRenderer.invoke('h'))]) {
        expect(err).toBeInstanceOf(DurableIpcError)
        expect(['ERR_IPC_CONTEXT_RELEASED', 'ERR_BROKER_CLOSED']).toContain(err.code)
      }
      expect(() => win.webContents.send('ch', 1)).not.toThrow()
    }
  })
})
