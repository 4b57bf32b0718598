import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createBroker } from '../../src/index.js'

const dirs: string[] = []
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }) })
function dbPath() { const d = mkdtempSync(join(tmpdir(), 'dipc-')); dirs.push(d); return join(d, 'app.db') }

describe('durable smoke', () => {
  it('stores, delivers in order, survives a restart', async () => {
    const path = dbPath()
    let broker = createBroker({ path })
    broker.channel('jobs', { durable: true })
    const win = broker.createRenderer({ id: 'w' })
    for (let i = 0; i < 10; i++) win.ipcRenderer.send('jobs', i)
    broker.enqueue('jobs', [10])
    expect(broker.channel('jobs').stats().ready).toBe(11)
    await broker.close()
    broker = createBroker({ path })
    const got: number[] = []
    await new Promise<void>((resolve) => {
      broker.ipcMain.on('jobs', (event, n: number) => { got.push(n); expect(event.attempt).toBe(1); if (got.length === 11) resolve() })
    })
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    await broker.close()
    broker = createBroker({ path })
    expect(broker.channel('jobs').stats().ready).toBe(0)
    await broker.close()
  })
  it('retries then dead-letters', async () => {
    const broker = createBroker({ path: dbPath() })
    const ch = broker.channel('jobs', { durable: true, maxAttempts: 3, backoff: { initialMs: 1, maxMs: 5 } })
    const attempts: number[] = []
    broker.ipcMain.on('jobs', (event) => { attempts.push(event.attempt); throw new Error('nope') })
    broker.enqueue('jobs', ['x'])
    await expect.poll(() => ch.stats().dead, { timeout: 3000 }).toBe(1)
    expect(attempts).toEqual([1, 2, 3])
    const [dead] = ch.deadLetters()
    expect(dead!.args).toEqual(['x'])
    expect(dead!.lastError).toContain('nope')
    await broker.close()
  })
  it('durable invoke is a job', async () => {
    const broker = createBroker({ path: dbPath() })
    broker.channel('add', { durable: true })
    broker.ipcMain.handle('add', (_e, a: number, b: number) => a + b)
    const win = broker.createRenderer()
    expect(await win.ipcRenderer.invoke('add', 2, 3)).toBe(5)
    await broker.close()
  })
  it('inbox waits for the renderer', async () => {
    const path = dbPath()
    const broker = createBroker({ path })
    broker.channel('notice', { durable: true })
    const win = broker.createRenderer({ id: 'r1' })
    win.webContents.send('notice', 'a')
    win.webContents.send('notice', 'b')
    win.close()
    const win2 = broker.createRenderer({ id: 'r1' })
    const got: string[] = []
    await new Promise<void>((resolve) => win2.ipcRenderer.on('notice', (_e, s: string) => { got.push(s); if (got.length === 2) resolve() }))
    expect(got).toEqual(['a', 'b'])
    await broker.close()
  })
})
