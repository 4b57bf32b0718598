// One job-control-plane benchmark scenario in its own process; prints one JSON line.
// argv: mode, count, db path. Modes:
//   fill-ready <n>            n ready jobs at priority 0
//   fill-delayed <n>          n jobs at priority 10, delayed by a day
//   drain <n>                 a fresh broker drains n jobs (a sync listener): msgs/s
//   backlog-plain <n>         enqueue n at priority 0, then drain them: end to end msgs/s
//   backlog-mixed <n>         the same with priorities 0..4 in turn
//   enqueue-loop <n>          n enqueue() calls: jobs/s
//   enqueue-many <n>          enqueueMany in batches of 1,000: jobs/s
import Database from 'better-sqlite3'
import { createBroker } from '../dist/index.js'

const [mode, countText, path] = process.argv.slice(2)
const count = Number(countText)
const payload = { id: 0, kind: 'order', customer: 'customer-0001', total: 1234.5, note: 'x'.repeat(24) } // ~100 bytes
const DAY = 86_400_000

const done = (result) => {
  console.log(JSON.stringify(result))
  process.exit(0)
}

async function fill(priority, delayMs) {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  const broker = createBroker({ database: db })
  broker.channel('jobs', { durable: true })
  for (let i = 0; i < count; i += 10_000) {
    const items = []
    for (let j = i; j < Math.min(count, i + 10_000); j++) items.push({ args: [{ ...payload, id: j }], priority, ...(delayMs ? { delayMs } : {}) })
    broker.enqueueMany('jobs', items)
  }
  await broker.close()
  db.close()
  done({ filled: count })
}

// A fresh broker on the file: `before` runs (producing, or nothing), then a sync listener takes
// `count` deliveries; the rate is over both.
async function drain(before = () => {}) {
  const broker = createBroker({ path })
  broker.channel('jobs', { durable: true })
  let seen = 0
  let finish
  const finished = new Promise((resolve) => (finish = resolve))
  const start = performance.now()
  before(broker)
  broker.ipcMain.on('jobs', () => { if (++seen === count) finish() })
  await finished
  const ms = performance.now() - start
  await broker.close()
  done({ rate: (count * 1000) / ms, ms })
}

const backlog = (mixed) => drain((broker) => {
  for (let i = 0; i < count; i++) broker.enqueue('jobs', [{ ...payload, id: i }], { priority: mixed ? i % 5 : 0 })
})

async function enqueue(many) {
  const broker = createBroker({ path })
  broker.channel('jobs', { durable: true })
  const start = performance.now()
  if (many) {
    for (let i = 0; i < count; i += 1000) {
      const items = []
      for (let j = i; j < Math.min(count, i + 1000); j++) items.push({ args: [{ ...payload, id: j }] })
      broker.enqueueMany('jobs', items)
    }
  } else {
    for (let i = 0; i < count; i++) broker.enqueue('jobs', [{ ...payload, id: i }])
  }
  const ms = performance.now() - start
  await broker.close()
  done({ rate: (count * 1000) / ms, ms })
}

const modes = {
  'fill-ready': () => fill(0, 0),
  'fill-delayed': () => fill(10, DAY),
  drain: () => drain(),
  'backlog-plain': () => backlog(false),
  'backlog-mixed': () => backlog(true),
  'enqueue-loop': () => enqueue(false),
  'enqueue-many': () => enqueue(true),
}
await modes[mode]()
