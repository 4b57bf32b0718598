// broker.webContents.fromId on one SQLite file: the live renderer's own webContents when it is open
// here, else a stand-in whose durable sends wait in the id's inbox for the next renderer with it
// (also one opened in another process on the file), and whose transient sends reach only a
// renderer open here. Across nodes: postgresInboxes.test.ts.

import { describe, expect, it } from 'vitest'
import { createBroker } from '../../src/index.js'
import { Counter, dbPath, openBroker, storedMessages, turns, useDurableFixtures } from './durableHelpers.js'

useDurableFixtures()

describe('webContents.fromId', () => {
  it('answers the open renderer with its own webContents', () => {
    const broker = openBroker()
    const win = broker.createRenderer({ id: 'window-1' })
    const { webContents } = broker
    expect(webContents.fromId('window-1')).toBe(win.webContents)
    expect(webContents.fromId('window-1').isDestroyed()).toBe(false)
  })

  it('stores durable sends to a renderer open nowhere for the next renderer with the id', async () => {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('notice', { durable: true })
    const to = broker.webContents.fromId('later')
    expect(to).toMatchObject({ id: 'later' })
    expect(to.isDestroyed()).toBe(true)
    to.send('notice', 1)
    to.send('notice', 2)
    expect(storedMessages(path, 'notice').map((m) => m.subscription)).toEqual(['renderer:later', 'renderer:later'])
    const win = broker.createRenderer({ id: 'later' })
    expect(to.isDestroyed()).toBe(false)
    const got = new Counter<number>()
    win.ipcRenderer.on('notice', (_event, n: number) => got.push(n))
    await got.reach(2)
    expect(got.items).toEqual([1, 2])
  })

  it('sends transient messages only to a renderer open here, also one opened after the stand-in was made', async () => {
    const broker = openBroker()
    const to = broker.webContents.fromId('w')
    to.send('chat', 'dropped: nobody is open')
    const win = broker.createRenderer({ id: 'w' })
    const got = new Counter<string>()
    win.ipcRenderer.on('chat', (_event, text: string) => got.push(text))
    to.send('chat', 'reached')
    await got.reach(1)
    await turns()
    expect(got.items).toEqual(['reached'])
  })

  it('stores a send on a channel another process on the file declared, before this one learnt it', async () => {
    const path = dbPath()
    const here = openBroker({ path })
    // Opened first, so that `here` knows nothing of the declaration (it learns within a second).
    const other = createBroker({ path })
    try {
      other.channel('notice', { durable: true })
      here.webContents.fromId('r9').send('notice', 'kept')
      expect(storedMessages(path, 'notice').map((m) => m.subscription)).toEqual(['renderer:r9'])
    } finally {
      await other.close()
    }
  })
})
