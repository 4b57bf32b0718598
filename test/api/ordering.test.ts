// Message order (issue 3, point 6): one renderer's send, sendSync and invoke reach the main side
// in the order they were made, and main-to-renderer messages arrive in order.

import { afterEach, describe, expect, it } from 'vitest'
import { closeBrokers, deferred, newBroker, seededRandom } from './helpers.js'
import type { TestBroker, TestRenderer } from './helpers.js'

afterEach(closeBrokers)

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)

/** Main-side listeners for the three kinds of call, all recording into `arrivals[rendererId]`. */
function recordArrivals(broker: TestBroker, expected: number): { arrivals: Map<string, number[]>; all: Promise<void> } {
  const arrivals = new Map<string, number[]>()
  const all = deferred<void>()
  let count = 0
  const record = (id: string, seq: unknown): void => {
    const list = arrivals.get(id) ?? []
    list.push(seq as number)
    arrivals.set(id, list)
    if (++count === expected) all.resolve()
  }
  broker.ipcMain.on('seq-send', (event, seq) => record(event.sender.id, seq))
  broker.ipcMain.on('seq-sync', (event, seq) => {
    record(event.sender.id, seq)
    event.returnValue = seq
  })
  broker.ipcMain.handle('seq-invoke', (event, seq) => {
    record(event.sender.id, seq)
    return seq
  })
  return { arrivals, all: all.promise }
}

/** Makes `count` random calls from `win`, numbered from 0; returns the invoke promises. */
function randomCalls(win: TestRenderer, count: number, random: () => number): Array<Promise<unknown>> {
  const invokes: Array<Promise<unknown>> = []
  for (let seq = 0; seq < count; seq++) {
    const pick = random()
    if (pick < 1 / 3) win.ipcRenderer.send('seq-send', seq)
    else if (pick < 2 / 3) expect(win.ipcRenderer.sendSync('seq-sync', seq)).toBe(seq)
    else invokes.push(win.ipcRenderer.invoke('seq-invoke', seq).then((r) => expect(r).toBe(seq)))
  }
  return invokes
}

describe('renderer to main', () => {
  it('keeps the order of 1000 random interleaved send, sendSync and invoke calls', async () => {
    const broker = newBroker()
    const win = broker.createRenderer({ id: 'w1' })
    const { arrivals, all } = recordArrivals(broker, 1000)
    const invokes = randomCalls(win, 1000, seededRandom(0xc0ffee))
    await Promise.all([...invokes, all])
    expect(arrivals.get('w1')).toEqual(range(1000))
  })

  it('keeps each renderer in order when two renderers interleave 500 calls each', async () => {
    const broker = newBroker()
    const w1 = broker.createRenderer({ id: 'w1' })
    const w2 = broker.createRenderer({ id: 'w2' })
    const { arrivals, all } = recordArrivals(broker, 1000)
    const random = seededRandom(42)
    const invokes: Array<Promise<unknown>> = []
    // alternate in small random bursts so that the two renderers' calls really interleave
    let next1 = 0
    let next2 = 0
    const call = (win: TestRenderer, seq: number): void => {
      const pick = random()
      if (pick < 1 / 3) win.ipcRenderer.send('seq-send', seq)
      else if (pick < 2 / 3) expect(win.ipcRenderer.sendSync('seq-sync', seq)).toBe(seq)
      else invokes.push(win.ipcRenderer.invoke('seq-invoke', seq))
    }
    while (next1 < 500 || next2 < 500) {
      const burst = 1 + Math.floor(random() * 4)
      for (let i = 0; i < burst && next1 < 500; i++) call(w1, next1++)
      for (let i = 0; i < burst && next2 < 500; i++) call(w2, next2++)
    }
    await Promise.all([...invokes, all])
    expect(arrivals.get('w1')).toEqual(range(500))
    expect(arrivals.get('w2')).toEqual(range(500))
  })

  it('keeps the order of sends across different channels', async () => {
    const broker = newBroker()
    const win = broker.createRenderer()
    const got: string[] = []
    const done = deferred<void>()
    for (const ch of ['a', 'b', 'c']) {
      broker.ipcMain.on(ch, (_event, seq) => {
        got.push(`${ch}${String(seq)}`)
        if (got.length === 300) done.resolve()
      })
    }
    const expected: string[] = []
    const random = seededRandom(7)
    for (let seq = 0; seq < 300; seq++) {
      const ch = ['a', 'b', 'c'][Math.floor(random() * 3)] as string
      expected.push(`${ch}${seq}`)
      win.ipcRenderer.send(ch, seq)
    }
    await done.promise
    expect(got).toEqual(expected)
  })
})

describe('main to renderer', () => {
  it('delivers 1000 webContents.send messages in order', async () => {
    const broker = newBroker()
    const win = broker.createRenderer()
    const got: number[] = []
    const done = deferred<void>()
    win.ipcRenderer.on('seq', (_event, seq) => {
      got.push(seq as number)
      if (got.length === 1000) done.resolve()
    })
    for (let seq = 0; seq < 1000; seq++) win.webContents.send('seq', seq)
    await done.promise
    expect(got).toEqual(range(1000))
  })

  it("delivers what a handler sends before returning ahead of the invoke's result", async () => {
    const broker = newBroker()
    const win = broker.createRenderer()
    const order: string[] = []
    win.ipcRenderer.on('progress', (_event, n) => order.push(`progress ${String(n)}`))
    broker.ipcMain.handle('work', (event) => {
      for (let n = 1; n <= 3; n++) event.sender.send('progress', n)
      return 'result'
    })
    order.push(`resolved ${String(await win.ipcRenderer.invoke('work'))}`)
    expect(order).toEqual(['progress 1', 'progress 2', 'progress 3', 'resolved result'])
  })

  it('keeps the order of event.reply and webContents.send interleaved on two channels', async () => {
    const broker = newBroker()
    const win = broker.createRenderer()
    const got: number[] = []
    const done = deferred<void>()
    const record = (_event: unknown, seq: unknown): void => {
      got.push(seq as number)
      if (got.length === 1000) done.resolve()
    }
    win.ipcRenderer.on('via-reply', record)
    win.ipcRenderer.on('via-send', record)
    const random = seededRandom(99)
    broker.ipcMain.once('start', (event) => {
      for (let seq = 0; seq < 1000; seq++) {
        if (random() < 0.5) event.reply('via-reply', seq)
        else win.webContents.send('via-send', seq)
      }
    })
    win.ipcRenderer.send('start')
    await done.promise
    expect(got).toEqual(range(1000))
  })
})
