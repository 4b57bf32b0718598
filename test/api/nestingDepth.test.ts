// How deeply a value may nest (issue "trust:" point 7): 1,000 levels below the argument list, a
// CloneError past that at the call, on every path; a durable value that is accepted is deliverable.

import { afterEach, describe, expect, it } from 'vitest'
import { CloneError } from '../../src/index.js'
import { closeBrokers, newBroker, nextMessage, rejection, thrown } from './helpers.js'
import { dbPath, openBroker, storedMessages, useDurableFixtures } from './durableHelpers.js'

useDurableFixtures()
afterEach(closeBrokers)

const LIMIT = 1000

/** `levels` objects inside one another around `leaf`: `{ a: { a: ... leaf } }`. */
function nest(levels: number, leaf: unknown = 1): unknown {
  let value = leaf
  for (let i = 0; i < levels; i++) value = { a: value }
  return value
}

/** How deep `value` nests through `.a`, and what sits at the bottom. */
function measure(value: unknown): { levels: number; leaf: unknown } {
  let levels = 0
  while (typeof value === 'object' && value !== null && 'a' in value) {
    value = (value as { a: unknown }).a
    levels++
  }
  return { levels, leaf: value }
}

function expectTooDeep(err: Error & { code?: unknown; path?: unknown }, root = 'args[0]'): void {
  expect(err).toBeInstanceOf(CloneError)
  expect(err.code).toBe('ERR_IPC_CLONE')
  expect(err.message).toContain(`nested more than ${LIMIT} levels deep`)
  // The path to where it passes the limit, its middle left out: 1,000 `.a` steps.
  expect(err.path).toMatch(new RegExp(`^${root.replace(/[[\]]/g, '\\$&')}(\\.a){1,8}…\\(\\d+ levels\\)…(\\.a){8}$`))
  expect(err.message).toContain(`at ${String(err.path)}`)
}

describe('transient messages', () => {
  const deep = nest(100_000)

  it('refuse 100,000 levels with a CloneError, not a RangeError, on every path', async () => {
    const broker = newBroker()
    const win = broker.createRenderer()
    broker.ipcMain.handle('result', () => deep)
    broker.ipcMain.on('reply', (event) => {
      event.returnValue = deep
    })
    expectTooDeep(thrown(() => win.ipcRenderer.send('ch', deep)))
    expectTooDeep(thrown(() => win.ipcRenderer.send('ch', 1, { list: [deep] })), 'args[1].list[0]')
    expectTooDeep(thrown(() => win.webContents.send('ch', deep)))
    expectTooDeep(thrown(() => win.ipcRenderer.sendSync('ch', deep)))
    expectTooDeep(await rejection(win.ipcRenderer.invoke('ch', deep)))
    // A result the handler returns rejects the invoke as Electron's message, with the clone error's code.
    const result = await rejection(win.ipcRenderer.invoke('result'))
    expect(result.code).toBe('ERR_IPC_CLONE')
    expect(result.message).toContain(`nested more than ${LIMIT} levels deep cannot be cloned at result.a.a`)
    expectTooDeep(thrown(() => win.ipcRenderer.sendSync('reply')), 'returnValue')
  })

  it('refuse a Map, a Set, an array or an error cause chain nested too deep as well', () => {
    const win = newBroker().createRenderer()
    let viaMap: unknown = 1
    let viaSet: unknown = 1
    let viaArray: unknown = 1
    let viaCause: unknown = new Error('root')
    for (let i = 0; i < 5000; i++) {
      viaMap = new Map([['k', viaMap]])
      viaSet = new Set([viaSet])
      viaArray = [viaArray]
      viaCause = new Error(`level ${i}`, { cause: viaCause })
    }
    for (const value of [viaMap, viaSet, viaArray, viaCause]) {
      const err = thrown(() => win.ipcRenderer.send('ch', value))
      expect(err).toBeInstanceOf(CloneError)
      expect(err.message).toContain(`nested more than ${LIMIT} levels deep`)
    }
  })

  it('deliver a value exactly at the limit', async () => {
    const broker = newBroker()
    const win = broker.createRenderer()
    const got = nextMessage(broker.ipcMain, 'ch')
    win.ipcRenderer.send('ch', nest(LIMIT, new Date(5)))
    expect(measure((await got).args[0])).toEqual({ levels: LIMIT, leaf: new Date(5) })
    expectTooDeep(thrown(() => win.ipcRenderer.send('ch', nest(LIMIT + 1, new Date(5)))))
  })
})

describe('durable messages', () => {
  it('refuse a value nested past the limit at send and enqueue, storing nothing', () => {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('jobs', { durable: true })
    const win = broker.createRenderer()
    // 2,000-3,000 levels with a Date: V8's serializer takes it, its deserializer would not.
    for (const value of [nest(LIMIT + 1), nest(2500, new Date(0)), nest(100_000), nest(100_000, new Date(0))]) {
      expectTooDeep(thrown(() => win.ipcRenderer.send('jobs', value)))
      expectTooDeep(thrown(() => broker.enqueue('jobs', [value])))
    }
    expect(storedMessages(path, 'jobs')).toEqual([])
  })

  it('deliver what they accept: a value at the limit, JSON or V8 format, comes back whole', async () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true })
    const win = broker.createRenderer()
    const got: unknown[] = []
    const done = new Promise<void>((resolve) => {
      broker.ipcMain.on('jobs', (_event, value) => {
        got.push(measure(value))
        if (got.length === 2) resolve()
      })
    })
    win.ipcRenderer.send('jobs', nest(LIMIT))
    broker.enqueue('jobs', [nest(LIMIT, new Date(7))])
    await done
    expect(got).toEqual([{ levels: LIMIT, leaf: 1 }, { levels: LIMIT, leaf: new Date(7) }])
  })

  it('list a dead letter at the limit', async () => {
    const broker = openBroker({ path: dbPath() })
    const jobs = broker.channel('jobs', { durable: true, maxAttempts: 1 })
    broker.enqueue('jobs', [nest(LIMIT, new Date(7))])
    await new Promise<void>((resolve) => {
      broker.ipcMain.on('jobs', () => {
        setImmediate(resolve)
        throw new Error('no')
      })
    })
    await expect.poll(() => jobs.stats().dead).toBe(1)
    const [dead] = jobs.deadLetters()
    expect(dead!.undecodable).toBeUndefined()
    expect(measure(dead!.args[0])).toEqual({ levels: LIMIT, leaf: new Date(7) })
  })
})
