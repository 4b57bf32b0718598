// In-process IPC, side by side in one run: a bare EventEmitter.emit against ipcRenderer.send to one
// listener (messages/s), and sendSync / invoke round trips (µs, median and p99).
// Usage: node bench/core.mjs    (run after `npm run build`)
import { EventEmitter } from 'node:events'
import { fileURLToPath } from 'node:url'
import { createBroker } from '../dist/index.js'

const N = 200_000
const ROUNDS = 5

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]
}

async function sendRate(makeArg) {
  const broker = createBroker()
  const win = broker.createRenderer()
  let seen = 0
  let finish
  broker.ipcMain.on('msg', () => { if (++seen === N) finish() })
  const rates = []
  for (let r = 0; r < ROUNDS; r++) {
    seen = 0
    const done = new Promise((resolve) => (finish = resolve))
    const t = performance.now()
    for (let i = 0; i < N; i++) win.ipcRenderer.send('msg', makeArg(i))
    await done
    rates.push((N * 1000) / (performance.now() - t))
  }
  await broker.close()
  return rates.sort((a, b) => a - b)[ROUNDS >> 1]
}

function emitRate(makeArg) {
  const emitter = new EventEmitter()
  let seen = 0
  emitter.on('msg', () => { seen++ })
  const rates = []
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now()
    for (let i = 0; i < N; i++) emitter.emit('msg', makeArg(i))
    rates.push((N * 1000) / (performance.now() - t))
  }
  if (seen !== N * ROUNDS) throw new Error('lost emits')
  return rates.sort((a, b) => a - b)[ROUNDS >> 1]
}

async function roundTrips(kind, count = 50_000) {
  const broker = createBroker()
  broker.ipcMain.on('sync', (event, n) => { event.returnValue = n + 1 })
  broker.ipcMain.handle('inv', (_event, n) => n + 1)
  const { ipcRenderer } = broker.createRenderer()
  const samples = new Float64Array(count)
  for (let i = 0; i < count + 5_000; i++) {
    const t = process.hrtime.bigint()
    if (kind === 'sendSync') ipcRenderer.sendSync('sync', i)
    else await ipcRenderer.invoke('inv', i)
    const dt = Number(process.hrtime.bigint() - t) / 1000
    if (i >= 5_000) samples[i - 5_000] = dt // the first 5k warm the JIT up
  }
  await broker.close()
  samples.sort()
  return { median: +percentile(samples, 0.5).toFixed(2), p99: +percentile(samples, 0.99).toFixed(2) }
}

export async function coreBench() {
  const small = (i) => i
  const object = (i) => ({ id: i, text: 'hello' })
  const result = {
    emitPerSec: Math.round(emitRate(small)),
    sendPerSec: Math.round(await sendRate(small)),
    emitObjectPerSec: Math.round(emitRate(object)),
    sendObjectPerSec: Math.round(await sendRate(object)),
    sendSyncUs: await roundTrips('sendSync'),
    invokeUs: await roundTrips('invoke'),
  }
  result.sendVsEmit = +(result.sendPerSec / result.emitPerSec).toFixed(3)
  return result
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await coreBench()
  console.table([
    { what: 'EventEmitter.emit, number arg', value: r.emitPerSec, unit: 'msgs/s' },
    { what: 'ipcRenderer.send -> 1 listener, number arg', value: r.sendPerSec, unit: 'msgs/s' },
    { what: 'EventEmitter.emit, object arg', value: r.emitObjectPerSec, unit: 'msgs/s' },
    { what: 'ipcRenderer.send -> 1 listener, object arg (cloned)', value: r.sendObjectPerSec, unit: 'msgs/s' },
    { what: 'sendSync round trip median / p99', value: `${r.sendSyncUs.median} / ${r.sendSyncUs.p99}`, unit: 'µs' },
    { what: 'invoke round trip median / p99', value: `${r.invokeUs.median} / ${r.invokeUs.p99}`, unit: 'µs' },
  ])
  console.log(JSON.stringify(r))
}
