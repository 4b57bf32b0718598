// Durable sends from worker renderers flat out (issue "speed:"): 1 worker and 4 workers, each send
// returning once stored in a WAL file, side by side in one run, alternating, medians of 3. On a
// broker's own file each worker stores its sends itself (src/ipc/worker/directSends.ts); the
// baseline is one worker whose sends are round trips to main, which stores them (as every worker
// send was before: today the path of a broker on the application's handle, `database`). Reports
// msgs/s and the ratios of 4 workers to that baseline and to 1 worker. Nothing consumes.
// Usage: node bench/workerSends.mjs [--quick]    (run after `npm run build`; not part of the tests)
// This file is also the workers' script (workerData.count says how many to send).
import { isMainThread, workerData } from 'node:worker_threads'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'

const quick = process.argv.includes('--quick')

if (!isMainThread && workerData?.role === 'sender') {
  const { ipcRenderer } = await import('durable-ipc/renderer')
  ipcRenderer.on('go', () => {
    const payload = { kind: 'order', customer: 'customer-0001', total: 1234.5, note: 'x'.repeat(24) }
    for (let i = 0; i < workerData.count; i++) ipcRenderer.send('djob', { ...payload, i })
    ipcRenderer.send('sent')
  })
  ipcRenderer.send('ready')
}

/**
 * msgs/s of `workers` renderers each sending `count` durable messages at once, on the broker's own
 * file (`viaMain` false) or on the application's handle to one (true: main stores each send).
 */
async function rate(workers, count, viaMain = false) {
  const { createBroker } = await import('../dist/index.js')
  const dir = mkdtempSync(join(tmpdir(), 'durable-ipc-bench-sends-'))
  const handle = viaMain ? new Database(join(dir, 'bench.db')) : undefined
  // The store's own settings (WAL, synchronous NORMAL), which an application's handle sets itself.
  handle?.pragma('journal_mode = WAL')
  handle?.pragma('synchronous = NORMAL')
  const broker = createBroker(handle ? { database: handle } : { path: join(dir, 'bench.db') })
  broker.channel('djob', { durable: true })
  try {
    let ready = 0
    let sent = 0
    let allReady
    let allSent
    const readyP = new Promise((resolve) => (allReady = resolve))
    const sentP = new Promise((resolve) => (allSent = resolve))
    broker.ipcMain.on('ready', () => ++ready === workers && allReady())
    broker.ipcMain.on('sent', () => ++sent === workers && allSent())
    const renderers = Array.from({ length: workers }, () => broker.spawnRenderer(new URL(import.meta.url), { workerData: { role: 'sender', count } }))
    await readyP
    const started = performance.now()
    for (const renderer of renderers) renderer.webContents.send('go')
    await sentP
    const ms = performance.now() - started
    if (broker.channel('djob').stats().ready !== workers * count) throw new Error('not every send was stored')
    return (workers * count * 1000) / ms
  } finally {
    await broker.close()
    handle?.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Every figure of this benchmark, for bench/run.mjs. */
export async function workerSendsBench() {
  const count = quick ? 2_000 : 10_000
  const viaMain = []
  const one = []
  const four = []
  for (let i = 0; i < (quick ? 1 : 3); i++) {
    viaMain.push(await rate(1, count, true))
    one.push(await rate(1, count))
    four.push(await rate(4, count))
  }
  const result = { perWorker: count, oneWorkerViaMain: Math.round(median(viaMain)), oneWorker: Math.round(median(one)), fourWorkers: Math.round(median(four)) }
  return {
    ...result,
    'four vs one via main': +(result.fourWorkers / result.oneWorkerViaMain).toFixed(2),
    'four vs one': +(result.fourWorkers / result.oneWorker).toFixed(2),
  }
}

if (isMainThread && process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await workerSendsBench()
  console.table([r])
  console.log(JSON.stringify({ node: process.version, workerSends: r }))
}
