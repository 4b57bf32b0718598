// Durable renderer inboxes (issue 4, point 9): webContents.send on a durable channel is kept for a
// renderer id while that renderer is closed or not listening, and delivered in order to the next
// renderer with the id that listens, also after a restart of the whole process.

import { describe, expect, it } from 'vitest'
import { Counter, dbPath, deferred, openBroker, storedMessages, turns, useDurableFixtures } from './durableHelpers.js'

useDurableFixtures()

describe('durable inboxes', () => {
  it('keeps messages for a renderer that does not listen yet, and delivers them in order when it does', async () => {
    const path = dbPath()
    const broker = openBroker({ path })
    const notices = broker.channel('notice', { durable: true })
    const win = broker.createRenderer({ id: 'r1' })
    win.webContents.send('notice', 1)
    win.webContents.send('notice', 2)
    expect(storedMessages(path, 'notice').map((m) => m.subscription)).toEqual(['renderer:r1', 'renderer:r1'])
    await turns()
    expect(notices.stats().subscriptions['renderer:r1']).toMatchObject({ ready: 2 })
    const got = new Counter<number>()
    win.ipcRenderer.on('notice', (_e, n: number) => got.push(n))
    await got.reach(2)
    expect(got.items).toEqual([1, 2])
    await expect.poll(() => storedMessages(path, 'notice')).toEqual([])
  })

  it('keeps messages sent to a closed renderer for the next renderer with its id', async () => {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('notice', { durable: true })
    const first = broker.createRenderer({ id: 'r1' })
    const got1 = new Counter<string>()
    first.ipcRenderer.on('notice', (_e, v: string) => got1.push(v))
    first.webContents.send('notice', 'a')
    await got1.reach(1)
    // Acknowledged before the close: a renderer closed while its answer is on the way gets the
    // message again (at least once), which is not what this test is about.
    await expect.poll(() => storedMessages(path, 'notice')).toEqual([])
    const contents = first.webContents
    first.close()
    contents.send('notice', 'b')
    contents.send('notice', 'c')
    const second = broker.createRenderer({ id: 'r1' })
    const got2 = new Counter<string>()
    second.ipcRenderer.on('notice', (_e, v: string) => got2.push(v))
    await got2.reach(2)
    expect(got1.items).toEqual(['a'])
    expect(got2.items).toEqual(['b', 'c'])
  })

  it('survives a restart of the whole process', async () => {
    const path = dbPath()
    const before = openBroker({ path })
    before.channel('notice', { durable: true })
    const win = before.createRenderer({ id: 'r1' })
    for (const v of ['x', 'y', 'z']) win.webContents.send('notice', v)
    await before.close()

    const after = openBroker({ path })
    const again = after.createRenderer({ id: 'r1' })
    const got = new Counter<string>()
    again.ipcRenderer.on('notice', (_e, v: string) => got.push(v))
    await got.reach(3)
    expect(got.items).toEqual(['x', 'y', 'z'])
  })

  it('keeps each inbox to its renderer: not to other renderers, not to main-side listeners', async () => {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('notice', { durable: true })
    const mainGot = new Counter<string>()
    broker.ipcMain.on('notice', (_e, v: string) => mainGot.push(v))
    const r1 = broker.createRenderer({ id: 'r1' })
    const r2 = broker.createRenderer({ id: 'r2' })
    const got1 = new Counter<string>()
    const got2 = new Counter<string>()
    r1.ipcRenderer.on('notice', (_e, v: string) => got1.push(v))
    r2.ipcRenderer.on('notice', (_e, v: string) => got2.push(v))
    r1.webContents.send('notice', 'for r1')
    r2.webContents.send('notice', 'for r2')
    await got1.reach(1)
    await got2.reach(1)
    await turns()
    expect(got1.items).toEqual(['for r1'])
    expect(got2.items).toEqual(['for r2'])
    expect(mainGot.items).toEqual([])
  })

  it('acknowledges when the renderer listeners returned; a failing listener gets the message again', async () => {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('notice', { durable: true, backoff: { initialMs: 1, maxMs: 2 } })
    const win = broker.createRenderer({ id: 'r1' })
    const gate = deferred()
    const calls = new Counter<string>()
    win.ipcRenderer.on('notice', async (_e, v: string) => {
      calls.push(v)
      if (calls.items.length === 1) throw new Error('renderer not ready')
      await gate.promise
    })
    win.webContents.send('notice', 'hello')
    await calls.reach(2)
    expect(storedMessages(path, 'notice')).toHaveLength(1)
    gate.resolve()
    await expect.poll(() => storedMessages(path, 'notice')).toEqual([])
    expect(calls.items).toEqual(['hello', 'hello'])
  })

  it('hands a message whose renderer closed mid-delivery to the next renderer with the id', async () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('notice', { durable: true })
    const first = broker.createRenderer({ id: 'r1' })
    const started = deferred()
    first.ipcRenderer.on('notice', () => {
      started.resolve()
      return new Promise(() => {}) // never finishes: the renderer closes under it
    })
    first.webContents.send('notice', 'important')
    first.webContents.send('notice', 'next')
    await started.promise
    first.close()
    first.webContents.send('notice', 'last')
    const second = broker.createRenderer({ id: 'r1' })
    const got = new Counter<string>()
    second.ipcRenderer.on('notice', (_e, v: string) => got.push(v))
    await got.reach(3)
    // Still first in line: the interrupted message is handed back at its place.
    expect(got.items).toEqual(['important', 'next', 'last'])
  })

  it('routes event.reply of a durable message to the inbox of its sender, even after the sender closed', async () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('ask', { durable: true })
    broker.channel('answer', { durable: true })
    const win = broker.createRenderer({ id: 'asker' })
    win.ipcRenderer.send('ask', 'q1')
    win.close()
    const answered = new Counter<void>()
    broker.ipcMain.on('ask', (event, q: string) => {
      event.reply('answer', `${q}!`)
      answered.push()
    })
    await answered.reach(1)
    const back = broker.createRenderer({ id: 'asker' })
    const got = new Counter<string>()
    back.ipcRenderer.on('answer', (_e, a: string) => got.push(a))
    await got.reach(1)
    expect(got.items).toEqual(['q1!'])
  })
})
