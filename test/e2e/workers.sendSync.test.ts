// sendSync from a worker-thread renderer (issue 5): it really blocks the thread until a main-side
// listener assigns event.returnValue, however late, and fails with a typed error instead of hanging.
import { afterEach, describe, expect, it } from 'vitest'
import { closeBrokers, deferred, newBroker } from '../api/helpers.js'
import { exitOf, fixture, nextFrom, spawnRemote } from './workerHelpers.js'

afterEach(closeBrokers)

describe('sendSync in a worker renderer', () => {
  it('blocks until main assigns returnValue after a 50 ms timer, and returns it', async () => {
    const broker = newBroker()
    let mainTimerFired = 0
    broker.ipcMain.on('block', (event, arg) => {
      setTimeout(() => {
        mainTimerFired = performance.now()
        event.returnValue = { echoed: arg, at: 'timer' }
      }, 50)
    })
    const win = broker.spawnRenderer(fixture('blocking.mjs'))
    const [report] = (await nextFrom(broker, win, 'unblocked')) as [{ value: unknown; elapsed: number }]
    expect(report.value).toEqual({ echoed: 'from-top-level', at: 'timer' })
    expect(report.elapsed).toBeGreaterThanOrEqual(45)
    expect(mainTimerFired).toBeGreaterThan(0)
  })

  it('returns a value assigned after awaits in an async listener', async () => {
    const broker = newBroker()
    broker.ipcMain.on('late', async (event, n: number) => {
      await new Promise((resolve) => setImmediate(resolve))
      await Promise.resolve()
      event.returnValue = n * 2
    })
    const remote = spawnRemote(broker)
    await expect(remote.ok('sendSync', { channel: 'late', args: [21] })).resolves.toMatchObject({ value: 42 })
  })

  it('waits without spinning: the process uses little CPU while the worker is blocked', async () => {
    const broker = newBroker()
    let usage: { cpuMs: number; wallMs: number } | undefined
    broker.ipcMain.on('block', (event) => {
      const cpu = process.cpuUsage()
      const wall = performance.now()
      setTimeout(() => {
        const spent = process.cpuUsage(cpu)
        usage = { cpuMs: (spent.user + spent.system) / 1000, wallMs: performance.now() - wall }
        event.returnValue = 'done'
      }, 300)
    })
    const win = broker.spawnRenderer(fixture('blocking.mjs'))
    const [report] = (await nextFrom(broker, win, 'unblocked')) as [{ value: unknown }]
    expect(report.value).toBe('done')
    // A busy loop would burn a whole core for the 300 ms.
    expect(usage!.wallMs).toBeGreaterThanOrEqual(295)
    expect(usage!.cpuMs).toBeLessThan(usage!.wallMs / 2)
  })

  it('keeps the first assignment and ignores later ones, from several listeners', async () => {
    const broker = newBroker()
    broker.ipcMain.on('s', (event) => {
      setTimeout(() => {
        event.returnValue = 'first'
        event.returnValue = 'second'
      }, 5)
    })
    const third = deferred()
    broker.ipcMain.on('s', (event) => {
      setTimeout(() => {
        event.returnValue = 'third'
        third.resolve()
      }, 30)
    })
    const remote = spawnRemote(broker)
    await expect(remote.ok('sendSync', { channel: 's', args: [] })).resolves.toMatchObject({ value: 'first' })
    // The late third assignment reaches a worker that no longer waits; the next call is unaffected.
    await third.promise
    broker.ipcMain.removeAllListeners('s')
    broker.ipcMain.on('s', (event) => (event.returnValue = 'next'))
    await expect(remote.ok('sendSync', { channel: 's', args: [] })).resolves.toMatchObject({ value: 'next' })
  })

  it('throws SyncReplyError ERR_IPC_SYNC_TIMEOUT after syncTimeoutMs, and a late reply does not answer the next call', async () => {
    const broker = newBroker({ syncTimeoutMs: 100 })
    let call = 0
    const stale = deferred()
    broker.ipcMain.on('slow', (event) => {
      const n = ++call
      // The first call is answered only after the worker gave up; the second at once.
      if (n === 1) {
        setTimeout(() => {
          event.returnValue = 'stale'
          stale.resolve()
        }, 150)
      } else event.returnValue = `fresh-${n}`
    })
    const remote = spawnRemote(broker)
    const error = await remote.fail('sendSync', { channel: 'slow', args: [] })
    expect(error).toMatchObject({ name: 'SyncReplyError', code: 'ERR_IPC_SYNC_TIMEOUT', isDurableIpcError: true })
    expect(error.message).toContain("'slow'")
    await stale.promise // the stale reply is in the worker's queue before the next call
    await expect(remote.ok('sendSync', { channel: 'slow', args: [] })).resolves.toMatchObject({ value: 'fresh-2' })
  })

  it('throws SyncReplyError ERR_IPC_NO_SYNC_LISTENER at once when no listener exists', async () => {
    const broker = newBroker()
    broker.ipcMain.handle('handled', () => 'a handler is not a listener')
    const remote = spawnRemote(broker)
    for (const channel of ['nobody', 'handled', 'error']) {
      const error = await remote.fail('sendSync', { channel, args: [1] })
      expect(error).toMatchObject({
        name: 'SyncReplyError',
        code: 'ERR_IPC_NO_SYNC_LISTENER',
        message: `No listener for synchronous message on channel '${channel}'`,
        isDurableIpcError: true,
      })
    }
  })

  it('returns values larger than any shared buffer (3 MiB) byte for byte', async () => {
    const broker = newBroker()
    const big = new Uint8Array(3 * 1024 * 1024 + 1)
    let sum = 0
    for (let i = 0; i < big.length; i++) {
      big[i] = (i * 7 + 3) & 0xff
      sum = (sum + big[i]!) % 1_000_003
    }
    broker.ipcMain.on('big', (event) => setImmediate(() => (event.returnValue = big)))
    const remote = spawnRemote(broker)
    await expect(remote.ok('largeSendSync', { channel: 'big' })).resolves.toEqual({ type: '[object Uint8Array]', length: big.length, sum })
  })

  it('throws the CloneError an in-process sendSync throws when returnValue cannot be cloned', async () => {
    const broker = newBroker()
    const value = { nested: { fn: () => 1 } }
    const inProcess = broker.createRenderer()
    broker.ipcMain.on('bad', (event) => (event.returnValue = value))
    let expected: Error | undefined
    try {
      inProcess.ipcRenderer.sendSync('bad')
    } catch (err) {
      expected = err as Error
    }
    broker.ipcMain.removeAllListeners('bad')
    let assignError: unknown = 'not assigned'
    broker.ipcMain.on('bad', (event) => {
      setImmediate(() => {
        try {
          event.returnValue = value
          assignError = undefined
        } catch (err) {
          assignError = err
        }
      })
    })
    const remote = spawnRemote(broker)
    const error = await remote.fail('sendSync', { channel: 'bad', args: [] })
    expect(expected).toBeDefined()
    expect(error).toMatchObject({ name: expected!.name, message: expected!.message, code: 'ERR_IPC_CLONE', path: 'returnValue.nested.fn' })
    expect(assignError).toBeUndefined()
  })

  it('answers a sendSync made at the top level of the script, before main saw the worker connect', async () => {
    const broker = newBroker()
    broker.ipcMain.on('block', (event, arg) => (event.returnValue = `got ${String(arg)}`))
    const win = broker.spawnRenderer(fixture('blocking.mjs'))
    const [report] = (await nextFrom(broker, win, 'unblocked')) as [{ value: unknown }]
    expect(report.value).toBe('got from-top-level')
    // With nothing left to listen for, the script ends and the worker exits by itself.
    expect(await exitOf(win)).toBe(0)
  })
})
