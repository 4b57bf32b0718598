// Worker-thread renderers, side by side in one run: sendSync and invoke round trips worker <-> main
// (µs, median and p99) against the raw floor of one postMessage + Atomics.wait +
// receiveMessageOnPort round trip, send throughput worker -> main listener (msgs/s), and durable
// send throughput from a worker (msgs/s; each send blocks until main stored it in a WAL file).
// Usage: node bench/workers.mjs [--quick]    (run after `npm run build`; not part of the tests)
// This file is also the worker script of both measurements (workerData.mode says which).
//
// Thread wake-up latency on a shared 2-core VM drifts with the load of the moment and with which
// vCPU each thread sits on, so the floor and our calls are measured in alternating rounds over the
// same stretch of time. For figures that do not depend on placement: taskset -c 0 node bench/workers.mjs
import { MessageChannel, parentPort, receiveMessageOnPort, Worker, isMainThread, workerData } from 'node:worker_threads'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// The main thread decides the sizes and hands them to its workers, whose argv is their own.
const quick = process.argv.includes('--quick')
const sizes = isMainThread ? { warmup: quick ? 1_000 : 5_000, perRound: quick ? 500 : 1_000, rounds: quick ? 10 : 20, sends: quick ? 50_000 : 200_000, durableSends: quick ? 5_000 : 20_000 } : workerData.sizes

function summary(samples) {
  const sorted = Float64Array.from(samples).sort()
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]
  return { median: +at(0.5).toFixed(2), p99: +at(0.99).toFixed(2) }
}

/** Times `count` calls of `fn`, in µs each. */
async function time(fn, isAsync, count) {
  const samples = new Float64Array(count)
  for (let i = 0; i < count; i++) {
    const t = performance.now()
    if (isAsync) await fn(i)
    else fn(i)
    samples[i] = (performance.now() - t) * 1000
  }
  return samples
}

// ---- worker side ----------------------------------------------------------------------------

// The floor: what any design built on these primitives pays for one blocking round trip.
function rawWorker({ port, syncPort, shared }) {
  const flag = new Int32Array(shared)
  let seq = 0
  const roundTrip = () => {
    seq++
    port.postMessage(seq)
    for (let seen = Atomics.load(flag, 0); seen !== seq; seen = Atomics.load(flag, 0)) Atomics.wait(flag, 0, seen)
    receiveMessageOnPort(syncPort)
  }
  parentPort.on('message', async ({ count }) => parentPort.postMessage(await time(roundTrip, false, count)))
}

async function rendererWorker() {
  const { ipcRenderer } = await import('durable-ipc/renderer')
  ipcRenderer.on('round', async (_event, count) => {
    const sendSync = await time((i) => ipcRenderer.sendSync('sync', i), false, count)
    const invoke = await time((i) => ipcRenderer.invoke('inv', i), true, count)
    ipcRenderer.send('round-done', { sendSync, invoke })
  })
  ipcRenderer.on('sends', (_event, count) => {
    ipcRenderer.sendSync('go')
    for (let i = 0; i < count; i++) ipcRenderer.send('msg', i)
  })
  // Timed here: each durable send returns once stored, so the loop's end is the last commit.
  ipcRenderer.on('durable-sends', (_event, count) => {
    const started = performance.now()
    for (let i = 0; i < count; i++) ipcRenderer.send('djob', { i })
    ipcRenderer.send('durable-done', (count * 1000) / (performance.now() - started))
  })
  ipcRenderer.send('ready')
}

if (!isMainThread && workerData?.mode === 'raw') rawWorker(workerData)
if (!isMainThread && workerData?.mode === 'renderer') await rendererWorker()

// ---- main side ------------------------------------------------------------------------------

function startRaw() {
  const requests = new MessageChannel()
  const replies = new MessageChannel()
  const shared = new SharedArrayBuffer(4)
  const flag = new Int32Array(shared)
  requests.port1.on('message', (seq) => {
    replies.port1.postMessage(seq)
    Atomics.store(flag, 0, seq)
    Atomics.notify(flag, 0)
  })
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { mode: 'raw', sizes, port: requests.port2, syncPort: replies.port2, shared },
    transferList: [requests.port2, replies.port2],
  })
  return {
    round: (count) => new Promise((resolve) => worker.once('message', resolve).postMessage({ count })),
    stop: async () => {
      requests.port1.close()
      await worker.terminate()
    },
  }
}

async function startRenderer(broker) {
  broker.ipcMain.on('sync', (event, n) => {
    event.returnValue = n + 1
  })
  broker.ipcMain.handle('inv', (_event, n) => n + 1)
  const ready = new Promise((resolve) => broker.ipcMain.once('ready', resolve))
  const renderer = broker.spawnRenderer(new URL(import.meta.url), { workerData: { mode: 'renderer', sizes } })
  renderer.on('error', (error) => {
    throw error
  })
  await ready
  return {
    round: (count) => {
      const done = new Promise((resolve) => broker.ipcMain.once('round-done', (_event, samples) => resolve(samples)))
      renderer.webContents.send('round', count)
      return done
    },
    durableSendRate: (count) => {
      const done = new Promise((resolve) => broker.ipcMain.once('durable-done', (_event, rate) => resolve(rate)))
      renderer.webContents.send('durable-sends', count)
      return done
    },
    sendRate: (count) => {
      let started = 0
      let seen = 0
      return new Promise((resolve) => {
        broker.ipcMain.once('go', (event) => {
          started = performance.now()
          event.returnValue = true
        })
        broker.ipcMain.on('msg', () => {
          if (++seen === count) resolve((count * 1000) / (performance.now() - started))
        })
        renderer.webContents.send('sends', count)
      })
    },
  }
}

/** Every figure of this benchmark, for bench/run.mjs. */
export async function workersBench() {
  const { createBroker } = await import('../dist/index.js')
  // A file, not :memory:, so durable sends pay for a real (WAL, synchronous=normal) commit.
  const dir = mkdtempSync(join(tmpdir(), 'durable-ipc-bench-workers-'))
  const broker = createBroker({ path: join(dir, 'bench.db') })
  // Declared before the worker starts, so it knows from its first send (no main-side listener:
  // the messages stay stored, and only the send side is measured).
  broker.channel('djob', { durable: true })
  // Created in this order, both workers end up sharing a core with main as a rule; the other way
  // round the second one often lands on the other vCPU, where every wake-up costs ~40 µs more in
  // this VM whatever the code (see the header note).
  const renderer = await startRenderer(broker)
  const raw = startRaw()
  await raw.round(sizes.warmup)
  await renderer.round(sizes.warmup)
  const floor = []
  const sync = []
  const invoke = []
  for (let r = 0; r < sizes.rounds; r++) {
    floor.push(...(await raw.round(sizes.perRound)))
    const samples = await renderer.round(sizes.perRound)
    sync.push(...samples.sendSync)
    invoke.push(...samples.invoke)
  }
  const sendPerSec = Math.round(await renderer.sendRate(sizes.sends))
  const durableSendPerSec = Math.round(await renderer.durableSendRate(sizes.durableSends))
  await raw.stop()
  await broker.close()
  rmSync(dir, { recursive: true, force: true })
  const rawFloorUs = summary(floor)
  const sendSyncUs = summary(sync)
  const invokeUs = summary(invoke)
  return {
    rawFloorUs,
    sendSyncUs,
    invokeUs,
    sendPerSec,
    durableSendPerSec,
    sendSyncVsFloor: +(sendSyncUs.median / rawFloorUs.median).toFixed(2),
    invokeVsFloor: +(invokeUs.median / rawFloorUs.median).toFixed(2),
  }
}

if (isMainThread && process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await workersBench()
  console.table([
    { what: 'raw floor: postMessage + Atomics.wait + receiveMessageOnPort', 'median µs': r.rawFloorUs.median, 'p99 µs': r.rawFloorUs.p99, 'x floor': 1, target: '' },
    { what: 'worker ipcRenderer.sendSync round trip', 'median µs': r.sendSyncUs.median, 'p99 µs': r.sendSyncUs.p99, 'x floor': r.sendSyncVsFloor, target: '<= 1.5' },
    { what: 'worker ipcRenderer.invoke round trip', 'median µs': r.invokeUs.median, 'p99 µs': r.invokeUs.p99, 'x floor': r.invokeVsFloor, target: '<= 2' },
    { what: 'worker ipcRenderer.send -> main listener', 'median µs': '', 'p99 µs': '', 'x floor': '', target: `${r.sendPerSec} msgs/s` },
    { what: 'worker ipcRenderer.send, durable (stored on return)', 'median µs': '', 'p99 µs': '', 'x floor': '', target: `${r.durableSendPerSec} msgs/s` },
  ])
  console.log(JSON.stringify({ node: process.version, workers: r }))
}
