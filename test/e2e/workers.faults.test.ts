// Faults of worker-thread renderers (issue 5): a worker that is terminated, exits or throws never
// leaves the main side waiting; its handle emits `exit` (and `error`), and late replies are dropped.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { BrokerClosedError, InvalidArgumentError } from '../../src/index.js'
import type { IpcMainEvent } from '../../src/index.js'
import { closeBrokers, deferred, newBroker, thrown } from '../api/helpers.js'
import { exitOf, fixture, spawnRemote } from './workerHelpers.js'

afterEach(() => {
  vi.restoreAllMocks()
  return closeBrokers()
})

describe('a worker renderer that goes away', () => {
  it('can be terminated while blocked in sendSync; a later returnValue assignment does not throw', async () => {
    const broker = newBroker()
    const called = deferred<IpcMainEvent>()
    broker.ipcMain.on('block', (event) => called.resolve(event))
    const win = broker.spawnRenderer(fixture('blocking.mjs'))
    const exitEvent = exitOf(win)
    const event = await called.promise
    expect(win.webContents.isDestroyed()).toBe(false)
    const code = await win.terminate()
    expect(code).toBe(1)
    expect(await exitEvent).toBe(1)
    expect(win.exited).toBe(true)
    expect(() => {
      event.returnValue = 'too late'
    }).not.toThrow()
  })

  it('can be terminated mid-invoke; the handler settling later is dropped cleanly', async () => {
    const broker = newBroker()
    const errors = vi.fn()
    broker.on('error', errors)
    const started = deferred()
    const finish = deferred<string>()
    broker.ipcMain.handle('slow', () => {
      started.resolve()
      return finish.promise
    })
    const remote = spawnRemote(broker, { id: 'w' })
    void remote.run('invoke', { channel: 'slow', args: [] })
    await started.promise
    expect(await remote.renderer.terminate()).toBe(1)
    finish.resolve('late result')
    await finish.promise
    // The id is free again, and the broker still serves a new renderer.
    const again = spawnRemote(broker, { id: 'w' })
    broker.ipcMain.handle('quick', () => 'ok')
    await expect(again.ok('invoke', { channel: 'quick', args: [] })).resolves.toEqual({ value: 'ok' })
    expect(errors).not.toHaveBeenCalled()
  })

  it('emits exit with the code of process.exit() in the worker', async () => {
    const broker = newBroker()
    const remote = spawnRemote(broker)
    const exits = vi.fn()
    remote.renderer.on('exit', exits)
    await remote.ready
    void remote.run('exit', { code: 3 })
    expect(await exitOf(remote.renderer)).toBe(3)
    expect(remote.renderer.exitCode).toBe(3)
    expect(exits).toHaveBeenCalledTimes(1)
    expect(await remote.renderer.terminate()).toBe(3)
  })

  it('emits error for an uncaught exception in the worker, then exit', async () => {
    const broker = newBroker()
    const remote = spawnRemote(broker)
    const seen: string[] = []
    remote.renderer.on('error', (error: Error) => seen.push(`error: ${error.message}`))
    remote.renderer.on('exit', (code: number) => seen.push(`exit: ${code}`))
    await remote.ready
    void remote.run('throwUncaught', { message: 'kaboom' })
    await exitOf(remote.renderer)
    expect(seen).toEqual(['error: kaboom', 'exit: 1'])
  })

  it('logs an uncaught worker exception when nobody listens for error, without taking main down', async () => {
    const broker = newBroker()
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    const remote = spawnRemote(broker, { id: 'crashy' })
    await remote.ready
    void remote.run('throwUncaught', { message: 'unheard' })
    expect(await exitOf(remote.renderer)).toBe(1)
    expect(logged).toHaveBeenCalledWith("durable-ipc: renderer 'crashy' threw:", expect.objectContaining({ message: 'unheard' }))
  })

  it('makes webContents.send to an exited worker a no-op, and isDestroyed() true', async () => {
    const broker = newBroker()
    const remote = spawnRemote(broker)
    await remote.ready
    await remote.renderer.terminate()
    expect(remote.renderer.webContents.isDestroyed()).toBe(true)
    expect(() => remote.renderer.webContents.send('seq', 1)).not.toThrow()
    expect(() => remote.renderer.webContents.send('seq', { uncloneable() {} })).not.toThrow()
  })

  it('emits error and exit when the script cannot be loaded; messages held for it are dropped', async () => {
    const broker = newBroker()
    const win = broker.spawnRenderer(fixture('does-not-exist.mjs'))
    win.webContents.send('held', 1)
    const errored = deferred<Error & { code?: unknown }>()
    win.on('error', (error: Error) => errored.resolve(error))
    expect(await exitOf(win)).toBe(1)
    expect(String((await errored.promise).code)).toMatch(/MODULE_NOT_FOUND/)
    expect(win.webContents.isDestroyed()).toBe(true)
  })

  it('can be terminated before its ipcRenderer connected', async () => {
    const broker = newBroker()
    const win = broker.spawnRenderer(fixture('remote.mjs'))
    win.webContents.send('seq', 1)
    const code = await win.terminate()
    // Node reports 0 for a thread stopped before it ran any JavaScript, 1 after.
    expect(code).toBe(win.exitCode)
    expect(win.exited).toBe(true)
    expect(win.webContents.isDestroyed()).toBe(true)
  })

  it('is terminated by broker.close()', async () => {
    const broker = newBroker()
    const remote = spawnRemote(broker)
    await remote.ready
    const exit = exitOf(remote.renderer)
    await broker.close()
    expect(remote.renderer.exited).toBe(true)
    expect(await exit).toBe(1)
    expect(() => broker.spawnRenderer(fixture('remote.mjs'))).toThrow(BrokerClosedError)
  })
})

describe('a worker renderer listener that throws', () => {
  it("is reported on the broker's error event with the channel, and the worker keeps running", async () => {
    const broker = newBroker()
    const reported = deferred<[Error & { code?: unknown }, string]>()
    broker.on('error', (error: Error, channel: string) => reported.resolve([error, channel]))
    const remote = spawnRemote(broker)
    await remote.ok('listenThrowing', { channel: 'notice' })
    remote.renderer.webContents.send('notice')
    const [error, channel] = await reported.promise
    expect(channel).toBe('notice')
    expect(error).toMatchObject({ message: 'renderer listener failed', code: 'E_RENDERER' })
    await expect(remote.ok('received')).resolves.toEqual([])
  })
})

describe('spawnRenderer arguments', () => {
  it('rejects a bad script, id or allow list, and an id that is already open', async () => {
    const broker = newBroker()
    expect(thrown(() => broker.spawnRenderer(42 as unknown as string))).toBeInstanceOf(InvalidArgumentError)
    expect(thrown(() => broker.spawnRenderer(fixture('remote.mjs'), { id: '' }))).toBeInstanceOf(InvalidArgumentError)
    expect(thrown(() => broker.spawnRenderer(fixture('remote.mjs'), { allow: 'x' as unknown as string[] }))).toBeInstanceOf(InvalidArgumentError)
    broker.createRenderer({ id: 'taken' })
    expect(thrown(() => broker.spawnRenderer(fixture('remote.mjs'), { id: 'taken' })).message).toBe("A renderer with id 'taken' is already open")
    const remote = spawnRemote(broker, { id: 'worker' })
    expect(thrown(() => broker.spawnRenderer(fixture('remote.mjs'), { id: 'worker' })).message).toBe("A renderer with id 'worker' is already open")
    await remote.ready
  })

  it("emits online once the worker's ipcRenderer connected", async () => {
    const broker = newBroker()
    const remote = spawnRemote(broker)
    const online = vi.fn()
    remote.renderer.on('online', online)
    await remote.ready
    expect(online).toHaveBeenCalledTimes(1)
  })
})
