// Typed channels (issue 3, point 9): createBroker<Channels>() checks send, invoke, handle, on and
// webContents.send at compile time; an untyped broker still takes anything.

import { describe, expectTypeOf, it } from 'vitest'
import { createBroker } from '../../src/index.js'
import type { Broker, IpcMainEvent, IpcMainInvokeEvent, IpcRenderer, JobResult, Renderer, WebContents, WorkerRenderer } from '../../src/index.js'
import { ipcRenderer, typedIpcRenderer } from '../../src/renderer.js'

type Channels = {
  add: { args: [a: number, b: number]; result: number }
  log: { args: [msg: string] }
  notice: { args: [notice: { text: string }] }
}

describe('a typed broker', () => {
  const broker = createBroker<Channels>()
  const win = broker.createRenderer({ id: 'w1' })
  const { ipcMain } = broker

  it('is a Broker<Channels> whose renderers, in-process and worker, are typed by the same map', () => {
    expectTypeOf(broker).toEqualTypeOf<Broker<Channels>>()
    expectTypeOf(win).toEqualTypeOf<Renderer<Channels>>()
    const worker = broker.spawnRenderer('./renderer.js')
    expectTypeOf(worker).toEqualTypeOf<WorkerRenderer<Channels>>()
    worker.webContents.send('notice', { text: 'hi' })
    // @ts-expect-error a number where a string goes
    worker.webContents.send('log', 1)
    broker.enqueue('log', ['hello'])
    // @ts-expect-error a number where a string goes
    broker.enqueue('log', [1])
    // @ts-expect-error a channel the map does not have
    broker.channel('nope')
  })

  it('types the result of invoke and checks its arguments', () => {
    expectTypeOf(win.ipcRenderer.invoke('add', 1, 2)).toEqualTypeOf<Promise<number>>()
    // @ts-expect-error a string where a number goes
    void win.ipcRenderer.invoke('add', 'x', 2)
    // @ts-expect-error too few arguments
    void win.ipcRenderer.invoke('add', 1)
    // @ts-expect-error too many arguments
    void win.ipcRenderer.invoke('add', 1, 2, 3)
  })

  it('checks the arguments of ipcRenderer.send', () => {
    win.ipcRenderer.send('log', 'hello')
    // @ts-expect-error a number where a string goes
    win.ipcRenderer.send('log', 1)
    // @ts-expect-error missing argument
    win.ipcRenderer.send('log')
  })

  it('types handler arguments and checks the handler result', () => {
    ipcMain.handle('add', (event, a, b) => {
      expectTypeOf(a).toEqualTypeOf<number>()
      expectTypeOf(b).toEqualTypeOf<number>()
      expectTypeOf(event.sender.id).toEqualTypeOf<string>()
      return a + b
    })
    ipcMain.handle('add', async (_event, a, b) => a * b)
    // @ts-expect-error a string result where a number goes
    ipcMain.handle('add', () => 'not a number')
    ipcMain.handleOnce('add', (_event, a) => {
      expectTypeOf(a).toEqualTypeOf<number>()
      return a
    })
  })

  it('types ipcMain listener arguments', () => {
    ipcMain.on('log', (event, msg) => {
      expectTypeOf(msg).toEqualTypeOf<string>()
      expectTypeOf(event.sender.id).toEqualTypeOf<string>()
      event.returnValue = msg
    })
    ipcMain.once('add', (_event, a, b) => {
      expectTypeOf(a).toEqualTypeOf<number>()
      expectTypeOf(b).toEqualTypeOf<number>()
    })
    // @ts-expect-error msg is a string, not a number
    ipcMain.on('log', (_event, msg: number) => msg)
  })

  it('checks event.reply and event.sender.send in ipcMain listeners by the same map', () => {
    ipcMain.on('log', (event, msg) => {
      expectTypeOf(event).toEqualTypeOf<IpcMainEvent<Channels>>()
      expectTypeOf(event.sender).toEqualTypeOf<WebContents<Channels>>()
      event.reply('log', msg)
      event.reply('add', 1, 2)
      event.sender.send('notice', { text: msg })
      // @ts-expect-error a number where a string goes
      event.reply('log', 1)
      // @ts-expect-error missing argument
      event.reply('log')
      // @ts-expect-error a channel the map does not have
      event.reply('nope', msg)
      // @ts-expect-error wrong payload shape
      event.sender.send('notice', { txt: msg })
      // @ts-expect-error a channel the map does not have
      event.sender.send('nope')
    })
  })

  it('checks event.sender.send in handlers by the same map', () => {
    ipcMain.handle('add', (event, a, b) => {
      expectTypeOf(event).toEqualTypeOf<IpcMainInvokeEvent<Channels>>()
      event.sender.send('log', `adding ${a} and ${b}`)
      // @ts-expect-error a number where a string goes
      event.sender.send('log', a)
      return a + b
    })
    ipcMain.handleOnce('add', (event, a) => {
      // @ts-expect-error wrong payload shape
      event.sender.send('notice', { text: a })
      return a
    })
  })

  it('checks webContents.send and event.sender.send, and types renderer listeners', () => {
    win.webContents.send('notice', { text: 'hi' })
    // @ts-expect-error wrong payload shape
    win.webContents.send('notice', { txt: 'hi' })
    // @ts-expect-error wrong payload type
    win.webContents.send('log', 2)
    // A renderer addressed by id (open here, in another process or on another node) is checked alike.
    broker.webContents.fromId('window-1').send('notice', { text: 'hi' })
    // @ts-expect-error wrong payload shape
    broker.webContents.fromId('window-1').send('notice', { txt: 'hi' })
    win.ipcRenderer.on('notice', (event, notice) => {
      expectTypeOf(notice).toEqualTypeOf<{ text: string }>()
      expectTypeOf(event.sender).toEqualTypeOf(win.ipcRenderer)
      event.sender.send('log', notice.text)
      // @ts-expect-error a number where a string goes
      event.sender.send('log', 1)
      // @ts-expect-error a channel the map does not have
      event.sender.send('nope')
    })
  })
})

describe('an untyped broker', () => {
  const broker = createBroker()
  const win = broker.createRenderer()

  it('is a Broker with untyped renderers', () => {
    expectTypeOf(broker).toEqualTypeOf<Broker>()
    expectTypeOf(win).toEqualTypeOf<Renderer>()
  })

  it('accepts any channel and any arguments', () => {
    win.ipcRenderer.send('anything', 1, 'two', { three: 3 })
    win.ipcRenderer.send('nothing')
    void win.ipcRenderer.invoke('whatever', new Date(), [1])
    win.ipcRenderer.sendSync('sync', 1)
    win.webContents.send('to-renderer', 1, 2, 3)
    broker.ipcMain.on('x', (event, a: number, b: string) => {
      event.returnValue = `${a}${b}`
    })
    broker.ipcMain.handle('y', async (_event, ...args) => args.length)
  })

  it('still types the event objects', () => {
    broker.ipcMain.on('x', (event) => {
      expectTypeOf(event.sender.id).toEqualTypeOf<string>()
      expectTypeOf(event.processId).toEqualTypeOf<number>()
      expectTypeOf(event.reply).toBeFunction()
      event.reply('anything', 1, 'two')
      event.reply('nothing')
      event.sender.send('anywhere', { any: 'thing' }, 2)
    })
    broker.ipcMain.handle('y', (event) => {
      event.sender.send('anywhere', 1, 2, 3)
    })
    win.ipcRenderer.on('z', (event) => {
      expectTypeOf(event.sender).toEqualTypeOf(win.ipcRenderer)
    })
  })

  it('returns a promise from invoke', () => {
    expectTypeOf(win.ipcRenderer.invoke('x')).toMatchTypeOf<Promise<unknown>>()
  })
})

describe('broker.jobResult', () => {
  const broker = createBroker<Channels>()

  it('gives an unknown value by default', () => {
    expectTypeOf(broker.jobResult(1)).toEqualTypeOf<JobResult | undefined>()
    expectTypeOf(broker.jobResult(1)).toEqualTypeOf<JobResult<unknown> | undefined>()
    const outcome = broker.jobResult(1)
    if (outcome?.ok) expectTypeOf(outcome.value).toBeUnknown()
  })

  it('types the value by its type parameter, and narrows on ok', () => {
    const outcome = broker.jobResult<number>(1)
    expectTypeOf(outcome).toEqualTypeOf<JobResult<number> | undefined>()
    if (outcome?.ok) {
      expectTypeOf(outcome.value).toEqualTypeOf<number>()
    } else if (outcome) {
      expectTypeOf(outcome.error).toEqualTypeOf<Error>()
      // @ts-expect-error a failed outcome has no value
      void outcome.value
    }
    // @ts-expect-error the value is a number, not a string
    const text: string = outcome?.ok ? outcome.value : ''
    void text
  })

  it('is the same on an untyped broker', () => {
    expectTypeOf(createBroker().jobResult<{ url: string }>(1)).toEqualTypeOf<JobResult<{ url: string }> | undefined>()
  })
})

describe('a worker renderer (durable-ipc/renderer)', () => {
  it('is untyped as ipcRenderer: any channel, any arguments', () => {
    expectTypeOf(ipcRenderer).toEqualTypeOf<IpcRenderer>()
    ipcRenderer.send('anything', 1, 'two')
    void ipcRenderer.invoke('whatever', new Date())
  })

  it('is typed by typedIpcRenderer<Channels>(), without a cast', () => {
    const typed = typedIpcRenderer<Channels>()
    expectTypeOf(typed).toEqualTypeOf<IpcRenderer<Channels>>()
    expectTypeOf(typed.invoke('add', 1, 2)).toEqualTypeOf<Promise<number>>()
    expectTypeOf(typed.sendSync('add', 1, 2)).toEqualTypeOf<number>()
    typed.send('log', 'hello')
    // @ts-expect-error a number where a string goes
    typed.send('log', 1)
    // @ts-expect-error a channel the map does not have
    typed.send('nope')
    // @ts-expect-error a string where a number goes
    void typed.invoke('add', 'x', 2)
    typed.on('notice', (event, notice) => {
      expectTypeOf(notice).toEqualTypeOf<{ text: string }>()
      expectTypeOf(event.sender).toEqualTypeOf<IpcRenderer<Channels>>()
      // @ts-expect-error a number where a string goes
      event.sender.send('log', 1)
    })
    // @ts-expect-error the listener's argument is a { text: string }, not a number
    typed.on('notice', (_event, notice: number) => notice)
  })
})
