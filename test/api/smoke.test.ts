import { describe, expect, it } from 'vitest'
import { createBroker } from '../../src/index.js'

describe('ping-pong', () => {
  it('sends, replies, sendSyncs and invokes', async () => {
    const broker = createBroker()
    broker.ipcMain.on('asynchronous-message', (event, arg) => event.reply('asynchronous-reply', `${arg}-pong`))
    broker.ipcMain.on('synchronous-message', (event, arg) => { event.returnValue = `${arg}-pong` })
    broker.ipcMain.handle('add', (_event, a: number, b: number) => a + b)
    const win = broker.createRenderer({ id: 'w1' })
    const reply = new Promise((resolve) => win.ipcRenderer.once('asynchronous-reply', (_e, arg) => resolve(arg)))
    win.ipcRenderer.send('asynchronous-message', 'ping')
    expect(await reply).toBe('ping-pong')
    expect(win.ipcRenderer.sendSync('synchronous-message', 'ping')).toBe('ping-pong')
    expect(await win.ipcRenderer.invoke('add', 1, 2)).toBe(3)
    await broker.close()
  })
})
