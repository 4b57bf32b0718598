// Cross-node wake-up latency on PostgreSQL (issue "scale:"): node A (its own SQLite file) sends one
// durable message every 50 ms; node B, another process with its own file on the same PostgreSQL
// schema, is idle between them. Latency = when B's listener runs - when A's send returned (one
// machine, one clock): A's local commit, the forwarder's batch to PostgreSQL, its NOTIFY, B's
// store watch, claim and delivery. Median and p99 of 200. Target: median < 50 ms.
// Usage: node bench/postgresWakeup.mjs    (run after `npm run build`; not part of the tests)
import { fork } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startPostgres } from './pgServer.mjs'

const [role, url, dir] = process.argv.slice(2)
const COUNT = 200

async function node(name) {
  const { createBroker } = await import('../dist/index.js')
  const broker = createBroker({ path: join(dir, `${name}.db`), postgres: { connectionString: url, schema: 'wakeup' } })
  broker.channel('pings', { durable: true })
  return broker
}

if (role === 'consumer') {
  const broker = await node('b')
  const latencies = []
  broker.ipcMain.on('pings', (_event, sentAt) => {
    latencies.push(Date.now() - sentAt)
    if (latencies.length === COUNT) process.send({ latencies })
  })
  process.send({ ready: true })
} else if (role === 'producer') {
  const broker = await node('a')
  process.send({ ready: true })
  process.on('message', async () => {
    for (let i = 0; i < COUNT; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      broker.enqueue('pings', [Date.now()])
    }
  })
}

/** { median, p99 } in ms, or undefined when there is no PostgreSQL. */
export async function postgresWakeupBench() {
  const server = await startPostgres()
  if (server === undefined) return undefined
  const work = mkdtempSync(join(tmpdir(), 'durable-ipc-wakeup-'))
  const script = fileURLToPath(import.meta.url)
  const spawn = (which) => {
    const child = fork(script, [which, server.url, work], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    const ready = new Promise((resolve) => child.once('message', resolve))
    return { child, ready }
  }
  try {
    const consumer = spawn('consumer')
    await consumer.ready
    const producer = spawn('producer')
    await producer.ready
    const done = new Promise((resolve) => consumer.child.once('message', resolve))
    producer.child.send('go')
    const { latencies } = await done
    producer.child.kill('SIGKILL')
    consumer.child.kill('SIGKILL')
    const sorted = [...latencies].sort((a, b) => a - b)
    const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]
    return { messages: sorted.length, medianMs: at(0.5), p99Ms: at(0.99) }
  } finally {
    server.stop()
    rmSync(work, { recursive: true, force: true })
  }
}

if (role === undefined && process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await postgresWakeupBench()
  if (result !== undefined) console.table([result])
}
