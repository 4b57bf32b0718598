// send, invoke, replies, cloning, the allow list and workerData for worker-thread renderers (issue
// 5): one behaviour, two transports, so most expectations are what an in-process renderer gives.
import { afterEach, describe, expect, it } from 'vitest'
import { CloneError, InvalidArgumentError } from '../../src/index.js'
import { closeBrokers, newBroker, nextMessage, rejection, thrown } from '../api/helpers.js'
import type { TestBroker } from '../api/helpers.js'
import { fixture, nextFrom, spawnRemote } from './workerHelpers.js'

afterEach(closeBrokers)

/** What the fixture reports of an error, computed for an error thrown in this thread. */
function described(err: Error & { code?: unknown; path?: unknown }) {
  return { name: err.name, message: err.message, code: err.code, fields: { ...err } }
}

async function inProcessRejection(broker: TestBroker, channel: string, ...args: unknown[]) {
  return described(await rejection(broker.createRenderer().ipcRenderer.invoke(channel, ...args)))
}

describe('invoke from a worker renderer', () => {
  it('resolves with the handler result', async () => {
    const broker = newBroker()
    broker.ipcMain.handle('add', async (_event, a: number, b: number) => a + b)
    const remote = spawnRemote(broker)
    await expect(remote.ok('invoke', { channel: 'add', args: [1, 2] })).resolves.toEqual({ value: 3 })
  })

  it('resolves the same through typedIpcRenderer(), which is the same ipcRenderer', async () => {
    const broker = newBroker()
    broker.ipcMain.handle('add', async (_event, a: number, b: number) => a + b)
    const remote = spawnRemote(broker)
    await expect(remote.ok('typedInvoke', { channel: 'add', args: [1, 2] })).resolves.toEqual({ same: true, value: 3 })
  })

  it("rejects exactly as in-process: Electron's text plus the original's name, code and fields", async () => {
    const broker = newBroker()
    broker.ipcMain.handle('fails', () => {
      throw Object.assign(new TypeError('bad input'), { code: 'E_BAD', detail: { field: 'x' } })
    })
    broker.ipcMain.handle('throws-string', () => {
      throw 'oops'
    })
    broker.ipcMain.handle('uncloneable', () => ({ fn: () => 1 }))
    const remote = spawnRemote(broker)
    for (const channel of ['fails', 'throws-string', 'missing', 'uncloneable']) {
      const expected = await inProcessRejection(broker, channel)
      const error = await remote.fail('invoke', { channel, args: [] })
      expect(error).toMatchObject(expected)
    }
    const error = await remote.fail('invoke', { channel: 'fails', args: [] })
    expect(error).toMatchObject({ name: 'TypeError', code: 'E_BAD', message: "Error invoking remote method 'fails': TypeError: bad input", fields: { detail: { field: 'x' } } })
  })

  it("rejects a missing handler with NoHandlerError (ERR_IPC_NO_HANDLER, Electron's text and name), as in-process", async () => {
    const broker = newBroker()
    const expected = await inProcessRejection(broker, 'missing')
    const remote = spawnRemote(broker)
    const error = await remote.fail('invoke', { channel: 'missing', args: [] })
    expect(error).toMatchObject({ ...expected, name: 'Error', code: 'ERR_IPC_NO_HANDLER', isDurableIpcError: true, className: 'NoHandlerError' })
  })

  it('rejects with InvokeTimeoutError after invokeTimeoutMs, as in-process', async () => {
    const broker = newBroker({ invokeTimeoutMs: 50 })
    broker.ipcMain.handle('never', () => new Promise(() => {}))
    const expected = await inProcessRejection(broker, 'never')
    const remote = spawnRemote(broker)
    const error = await remote.fail('invoke', { channel: 'never', args: [] })
    expect(error).toMatchObject({ ...expected, name: 'InvokeTimeoutError', code: 'ERR_IPC_INVOKE_TIMEOUT', isDurableIpcError: true })
  })

  it('never calls on-listeners for invoke, nor handlers for send', async () => {
    const broker = newBroker()
    const calls: string[] = []
    broker.ipcMain.on('both', () => calls.push('listener'))
    broker.ipcMain.handle('both', () => {
      calls.push('handler')
      return 'h'
    })
    const remote = spawnRemote(broker)
    await expect(remote.ok('invoke', { channel: 'both', args: [] })).resolves.toEqual({ value: 'h' })
    await remote.ok('send', { channel: 'both', args: [] })
    expect(calls).toEqual(['handler', 'listener'])
  })
})

describe('send from a worker renderer', () => {
  it('delivers (event, ...args) with event.sender === the renderer webContents', async () => {
    const broker = newBroker()
    const remote = spawnRemote(broker, { id: 'worker-7' })
    const next = nextMessage(broker.ipcMain, 'hello')
    await remote.ok('send', { channel: 'hello', args: ['a', 2] })
    const { event, args } = await next
    expect(args).toEqual(['a', 2])
    expect(event.sender).toBe(remote.renderer.webContents)
    expect(event.sender.id).toBe('worker-7')
  })

  it('lets event.reply and event.sender.send reach the worker listeners, with event.sender === ipcRenderer', async () => {
    const broker = newBroker()
    broker.ipcMain.on('ping', (event, n: number) => {
      event.reply('pong', 'reply', n)
      event.sender.send('pong', 'sender.send', n + 1)
    })
    const remote = spawnRemote(broker)
    await remote.ok('listen', { channel: 'pong' })
    const first = nextFrom(broker, remote.renderer, 'pong-heard')
    await remote.ok('send', { channel: 'ping', args: [1] })
    expect(await first).toEqual(['reply', 1])
    const second = nextFrom(broker, remote.renderer, 'pong-heard')
    expect(await second).toEqual(['sender.send', 2])
    // The fixture's 'seq' listener throws if event.sender is not its ipcRenderer; none was reported.
    remote.renderer.webContents.send('seq', 1)
    await expect(remote.ok('received')).resolves.toEqual([1])
  })

  it('round-trips structured-clone values both ways, and a Buffer arrives as a Uint8Array', async () => {
    const broker = newBroker()
    const shared = { label: 'shared' }
    const cyclic: Record<string, unknown> = { name: 'cycle' }
    cyclic.self = cyclic
    const args = [new Date(5), new Map([[1, { a: 1 }]]), new Set(['x']), /re/gi, 10n ** 20n, new Int16Array([1, -2]), new Error('err'), cyclic, shared, shared]
    const remote = spawnRemote(broker)
    const next = nextMessage(broker.ipcMain, 'rich')
    await remote.ok('send', { channel: 'rich', args })
    const got = (await next).args
    expect(got).toEqual(args)
    expect((got[7] as Record<string, unknown>).self).toBe(got[7])
    expect(got[8]).toBe(got[9])
    const buffer = nextMessage(broker.ipcMain, 'buf')
    await remote.ok('sendBuffer', { channel: 'buf' })
    const [bytes] = (await buffer).args
    expect(Object.prototype.toString.call(bytes)).toBe('[object Uint8Array]')
    expect(Buffer.isBuffer(bytes)).toBe(false)
    expect([...(bytes as Uint8Array)]).toEqual([104, 105])
  })

  it('throws the in-process CloneError, with its path, for uncloneable arguments, and sends nothing', async () => {
    const broker = newBroker()
    let delivered = 0
    broker.ipcMain.on('target', () => delivered++)
    broker.ipcMain.handle('target', () => delivered++)
    const inProcess = broker.createRenderer()
    const expected = thrown(() => inProcess.ipcRenderer.send('target', 1, { user: { name: 'x', save() {} } }))
    expect(expected.path).toBe('args[1].user.save')
    const remote = spawnRemote(broker)
    for (const method of ['send', 'sendSync', 'invoke']) {
      const error = await remote.fail('sendUncloneable', { method })
      expect(error).toMatchObject({ name: expected.name, message: expected.message, code: 'ERR_IPC_CLONE', path: 'args[1].user.save' })
    }
    const shared = await remote.fail('sendShared', { method: 'send' })
    expect(shared).toMatchObject({ code: 'ERR_IPC_CLONE', path: 'args[0].buffer' })
    expect(shared.message).toMatch(/^An object could not be cloned\./)
    // cmd-result was sent after each failed call: anything sent would have arrived before it.
    expect(delivered).toBe(0)
  })

  it('throws TypeError for a bad channel, as in-process', async () => {
    const broker = newBroker()
    const expected = thrown(() => broker.createRenderer().ipcRenderer.send(''))
    const remote = spawnRemote(broker)
    await expect(remote.fail('send', { channel: '', args: [] })).resolves.toMatchObject({ name: 'TypeError', message: expected.message, code: 'ERR_IPC_INVALID_CHANNEL' })
    await expect(remote.fail('invoke', { channel: '', args: [] })).resolves.toMatchObject({ name: 'TypeError', message: expected.message })
  })
})

describe('webContents.send to a worker renderer', () => {
  it('throws CloneError at the call for uncloneable arguments, before and after the worker connected', async () => {
    const broker = newBroker()
    const remote = spawnRemote(broker)
    const before = thrown(() => remote.renderer.webContents.send('seq', { fn() {} }))
    await remote.ready
    const after = thrown(() => remote.renderer.webContents.send('seq', new SharedArrayBuffer(4)))
    expect(before).toMatchObject({ code: 'ERR_IPC_CLONE', path: 'args[0].fn' })
    expect(after).toMatchObject({ code: 'ERR_IPC_CLONE', path: 'args[0]' })
    await expect(remote.ok('received')).resolves.toEqual([])
  })
})

describe('allow list of a worker renderer', () => {
  it('throws ChannelNotAllowedError in the worker for other channels; nothing reaches the main side', async () => {
    const broker = newBroker()
    let reached = 0
    broker.ipcMain.on('secret', () => reached++)
    broker.ipcMain.handle('secret', () => reached++)
    const remote = spawnRemote(broker, { id: 'restricted', allow: ['ready', 'cmd-result', 'open'] })
    for (const op of ['send', 'sendSync', 'invoke']) {
      const error = await remote.fail(op, { channel: 'secret', args: [] })
      expect(error).toMatchObject({
        name: 'ChannelNotAllowedError',
        code: 'ERR_IPC_CHANNEL_NOT_ALLOWED',
        message: "Renderer 'restricted' is not allowed to use channel 'secret'",
        isDurableIpcError: true,
      })
    }
    const open = nextMessage(broker.ipcMain, 'open')
    await remote.ok('send', { channel: 'open', args: [1] })
    expect((await open).args).toEqual([1])
    expect(reached).toBe(0)
  })
})

describe('workerData of a worker renderer', () => {
  it('reaches the worker unchanged', async () => {
    const broker = newBroker()
    const workerData = { nested: { list: [1, 'two', null] }, when: new Date(7), map: new Map([['k', 1]]) }
    for (const [value, expected] of [[workerData, workerData], [42, 42], [undefined, undefined]] as const) {
      const remote = spawnRemote(broker, value === undefined ? {} : { workerData: value })
      expect(await remote.ready).toEqual(expected)
    }
  })

  it('that cannot be cloned throws CloneError (ERR_IPC_CLONE) at spawnRenderer, Node\'s error as the cause', () => {
    const broker = newBroker()
    const err = thrown(() => broker.spawnRenderer(fixture('remote.mjs'), { workerData: { save() {} } }))
    expect(err).toBeInstanceOf(CloneError)
    expect(err.code).toBe('ERR_IPC_CLONE')
    expect(err.path).toBe('workerData')
    expect((err.cause as Error).name).toBe('DataCloneError')
    expect(broker.stats().renderers).toEqual({})
  })
})

describe('a script a worker cannot start', () => {
  it.each([
    ['a bare relative path', 'renderer.mjs', 'ERR_WORKER_PATH'],
    ['a URL that is not a file', new URL('https://example.com/renderer.mjs'), 'ERR_INVALID_URL_SCHEME'],
  ])('(%s) throws InvalidArgumentError at spawnRenderer, Node\'s error as the cause', (_label, script, nodeCode) => {
    const broker = newBroker()
    const err = thrown(() => broker.spawnRenderer(script))
    expect(err).toBeInstanceOf(InvalidArgumentError)
    expect(err.code).toBe('ERR_INVALID_ARGUMENT')
    expect(err.message).toMatch(/^Cannot start the renderer's worker: /)
    expect((err.cause as { code?: unknown }).code).toBe(nodeCode)
  })
})
