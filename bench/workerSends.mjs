// Durable sends from worker renderers flat out (issue "speed:"): 1 worker and 4 workers, each send
// blocking until main stored it in a WAL file, side by side in one run, alternating, medians of 3.
// Reports msgs/s in all and the ratio of 4 workers to 1. Nothing consumes: only the send side.
// Usage: node bench/workerSends.mjs [--quick]    (run after `npm run build`; not part of the tests)
// This file is also the workers' script (workerData.count says how many to send).
import { isMainThread, workerData } from 'node:worker_threads'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

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

/** msgs/s of `workers` renderers each sending `count` durable messages at once. */
async function rate(workers, count) {
  const { createBroker } = await import('../dist/index.js')
  const dir = mkdtempSync(join(tmpdir(), 'durable-ipc-bench-sends-'))
  const broker = createBroker({ path: join(dir, 'bench.db') })
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
    rmSync(dir, { recursive: true, force: true })
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Every figure of this benchmark, for bench/run.mjs. */
export async function workerSendsBench() {
  const count = quick ? 2_000 : 10_000
  const one = []
  const four = []
  for (let i = 0; i < (quick ? 1 : 3); i++) {
    one.push(await rate(1, count))
    four.push(await rate(4, count))
  }
  const result = { perWorker: count, oneWorker: Math.round(median(one)), fourWorkers: Math.round(median(four)) }
  return { ...result, ratio: +(result.fourWorkers / result.oneWorker).toFixed(2) }
}

if (isMainThread && process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await workerSendsBench()
  console.table([r])
  console.log(JSON.stringify({ node: process.version, workerSends: r }))
}
