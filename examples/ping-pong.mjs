// The ping/pong of Electron's ipcMain documentation, without Electron, then the same renderer on a
// durable channel: a message sent while nobody listens waits in SQLite and arrives later.
// Run with `npm run demo` (it builds first).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBroker } from 'durable-ipc'

const dir = mkdtempSync(join(tmpdir(), 'durable-ipc-demo-'))
const path = join(dir, 'demo.db')

// --- Electron's example, as written in its docs -------------------------------------------
const broker = createBroker({ path })
const { ipcMain } = broker

ipcMain.on('asynchronous-message', (event, arg) => {
  console.log(`main      <- asynchronous-message ${JSON.stringify(arg)}`)
  event.reply('asynchronous-reply', 'pong')
})

ipcMain.on('synchronous-message', (event, arg) => {
  console.log(`main      <- synchronous-message ${JSON.stringify(arg)}`)
  event.returnValue = 'pong'
})

ipcMain.handle('add', async (_event, a, b) => a + b)

const win = broker.createRenderer({ id: 'window-1' })
const { ipcRenderer } = win

console.log(`renderer  <- sendSync returned ${JSON.stringify(ipcRenderer.sendSync('synchronous-message', 'ping'))}`)

const reply = new Promise((resolve) => ipcRenderer.once('asynchronous-reply', (_event, arg) => resolve(arg)))
ipcRenderer.send('asynchronous-message', 'ping')
console.log(`renderer  <- asynchronous-reply ${JSON.stringify(await reply)}`)
console.log(`renderer  <- invoke('add', 1, 2) resolved ${await ipcRenderer.invoke('add', 1, 2)}`)

try {
  await ipcRenderer.invoke('missing')
} catch (err) {
  console.log(`renderer  <- invoke('missing') rejected: ${err.message}`)
}

// --- What Electron cannot do: a durable channel -------------------------------------------
broker.channel('jobs', { durable: true, maxAttempts: 3, backoff: { initialMs: 10, maxMs: 100 } })
ipcRenderer.send('jobs', { order: 42 })
ipcRenderer.send('jobs', { order: 43 })
console.log(`durable   jobs sent while no listener: ${JSON.stringify(broker.channel('jobs').stats().ready)} waiting in ${path}`)
await broker.close()
console.log('main      broker closed (the process could crash here: the jobs are on disk)')

const again = createBroker({ path })
await new Promise((resolve) => {
  let seen = 0
  again.ipcMain.on('jobs', (event, job) => {
    console.log(`main      <- jobs ${JSON.stringify(job)} (attempt ${event.attempt}) after a restart`)
    if (++seen === 2) resolve()
  })
})
await again.close()
rmSync(dir, { recursive: true, force: true })
console.log('done')
