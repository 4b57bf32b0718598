// Throughput of 1 node against 3 nodes on one PostgreSQL (issue "scale:"): each node a process with
// its own SQLite file; the same 20k jobs enqueued up front (split across the nodes) and drained by
// every node's listener (concurrency 1 each), end to end: first enqueue to last delivery.
// Target: 3 nodes >= 1.8x 1 node. Usage: node bench/postgresNodes.mjs (after `npm run build`).
import { fork } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startPostgres } from './pgServer.mjs'

const [role, url, dir, schema, name, shareText] = process.argv.slice(2)
const payload = { id: 0, kind: 'order', customer: 'customer-0001', total: 1234.5, note: 'x'.repeat(24) }

if (role === 'node') {
  const { createBroker } = await import('../dist/index.js')
  const broker = createBroker({ path: join(dir, `${name}.db`), postgres: { connectionString: url, schema } })
  broker.channel('jobs', { durable: true })
  let seen = 0
  process.on('message', (message) => {
    if (message === 'enqueue') {
      for (let i = 0; i < Number(shareText); i++) broker.enqueue('jobs', [{ ...payload, id: i }])
    } else if (message === 'count') process.send({ seen })
  })
  broker.ipcMain.on('jobs', () => void seen++)
  process.send({ ready: true })
}

async function run(url, nodes, count) {
  const work = mkdtempSync(join(tmpdir(), 'durable-ipc-nodes-'))
  const schema = `n${nodes}_${Date.now()}`
  const script = fileURLToPath(import.meta.url)
  const children = Array.from({ length: nodes }, (_, i) => fork(script, ['node', url, work, schema, `node-${i}`, String(Math.ceil(count / nodes))], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }))
  try {
    await Promise.all(children.map((child) => new Promise((resolve) => child.once('message', resolve))))
    const started = performance.now()
    for (const child of children) child.send('enqueue')
    const total = nodes * Math.ceil(count / nodes)
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      const counts = await Promise.all(children.map((child) => new Promise((resolve) => { child.once('message', (m) => resolve(m.seen)); child.send('count') })))
      if (counts.reduce((a, b) => a + b, 0) >= total) return (total * 1000) / (performance.now() - started)
    }
  } finally {
    for (const child of children) child.kill('SIGKILL')
    rmSync(work, { recursive: true, force: true })
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** jobs/s with 1 and 3 nodes, alternating, medians; undefined without PostgreSQL. */
export async function postgresNodesBench({ count = 20_000, reps = 3 } = {}) {
  const server = await startPostgres()
  if (server === undefined) return undefined
  try {
    const one = []
    const three = []
    for (let i = 0; i < reps; i++) {
      one.push(await run(server.url, 1, count))
      three.push(await run(server.url, 3, count))
    }
    const result = { jobs: count, oneNode: Math.round(median(one)), threeNodes: Math.round(median(three)) }
    return { ...result, ratio: +(result.threeNodes / result.oneNode).toFixed(2) }
  } finally {
    server.stop()
  }
}

if (role !== 'node' && process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await postgresNodesBench({ reps: process.argv.includes('--quick') ? 1 : 3 })
  if (result !== undefined) console.table([result])
}
