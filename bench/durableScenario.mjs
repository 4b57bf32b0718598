// One durable benchmark scenario in its own process; prints one JSON line.
// argv: system (durable-ipc | plainjob | raw | floor | bullmq: REDIS_PORT in the environment), mode (backlog | together | trickle | scale | ...),
// count, db path. `trickle`: one message per turn of the event loop, the consumer in the same
// process (the shape an IPC broker lives in); `floor` runs only that mode: one INSERT commit per
// turn and no consumer, the least a durable send costs there. `trickle-warm`: the same after WARM_UP
// untimed messages through the same process (JIT compiled, WAL file grown): the steady rate of a
// process that has been running a while, for every system alike.
import Database from 'better-sqlite3'
import { createBroker } from '../dist/index.js'

const [system, mode, countText, path] = process.argv.slice(2)
const count = Number(countText)
const payload = { id: 0, kind: 'order', customer: 'customer-0001', total: 1234.5, note: 'x'.repeat(24) } // ~100 bytes
const CHUNK = 500 // messages the producer sends per turn of the event loop when running together
const warm = mode === 'trickle-warm'
const WARM_UP = warm ? 10_000 : 0
const trickle = mode === 'trickle' || warm

const done = (result) => {
  console.log(JSON.stringify(result))
  process.exit(0)
}

async function durable() {
  if (mode === 'fill') return durableFill()
  if (mode === 'scale') return durableScale()
  if (mode === 'drain-sync' || mode === 'drain-async') return durableDrain(mode === 'drain-async')
  const broker = createBroker({ path })
  broker.channel('jobs', { durable: true })
  const win = broker.createRenderer({ id: 'producer' })
  let seen = 0
  let finish
  const finished = new Promise((resolve) => (finish = resolve))
  let warmedUp
  const warmed = new Promise((resolve) => (warmedUp = resolve))
  let start = performance.now()
  const listen = () => broker.ipcMain.on('jobs', () => {
    if (++seen === WARM_UP) warmedUp()
    if (seen === WARM_UP + count) finish()
  })
  if (trickle) {
    const trickleLoop = async (n) => {
      for (let i = 0; i < n; i++) {
        win.ipcRenderer.send('jobs', { ...payload, id: i })
        await nextTurn()
      }
    }
    listen()
    await trickleLoop(WARM_UP)
    if (WARM_UP > 0) await warmed
    start = performance.now()
    await trickleLoop(count)
  } else if (mode === 'backlog') {
    for (let i = 0; i < count; i++) win.ipcRenderer.send('jobs', { ...payload, id: i })
    listen()
  } else {
    listen()
    await produceInChunks((i) => win.ipcRenderer.send('jobs', { ...payload, id: i }))
  }
  await finished
  const ms = performance.now() - start
  await broker.close()
  done({ rate: (count * 1000) / ms, ms })
}

// Queue `count` messages (fast: in application transactions through the outbox). Run in its own
// process, so that the measuring process below starts with nothing in memory.
async function durableFill() {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  const broker = createBroker({ database: db })
  broker.channel('jobs', { durable: true })
  const fill = db.transaction((from, to) => { for (let i = from; i < to; i++) broker.enqueue('jobs', [{ ...payload, id: i }]) })
  for (let i = 0; i < count; i += 50_000) fill(i, Math.min(count, i + 50_000))
  await broker.close()
  db.close()
  done({ filled: count })
}

// A fresh broker over a file holding `count` queued messages: time to first delivery, RSS, and
// the rate of draining 20k of them.
async function durableScale() {
  const drain = Math.min(20_000, count)
  const t0 = performance.now()
  const broker = createBroker({ path })
  let seen = 0
  let first = 0
  let tFirst = 0
  let finish
  const finished = new Promise((resolve) => (finish = resolve))
  broker.ipcMain.on('jobs', () => {
    if (seen === 0) { tFirst = performance.now(); first = tFirst - t0 }
    if (++seen === drain) finish()
  })
  await finished
  const ms = performance.now() - tFirst
  const rssMB = process.memoryUsage().rss / 2 ** 20
  await broker.close()
  done({ firstDeliveryMs: +first.toFixed(1), rssMB: +rssMB.toFixed(1), rate: (drain * 1000) / ms })
}

// `count` queued messages drained by a fresh broker, with a listener that returns at once or one
// that awaits a macrotask (as one doing I/O would): what batching the acknowledgements buys.
async function durableDrain(async) {
  const broker = createBroker({ path })
  let seen = 0
  let finish
  const finished = new Promise((resolve) => (finish = resolve))
  const start = performance.now()
  broker.ipcMain.on('jobs', async
    ? async () => { await new Promise((resolve) => setImmediate(resolve)); if (++seen === count) finish() }
    : () => { if (++seen === count) finish() })
  await finished
  const ms = performance.now() - start
  await broker.close()
  done({ rate: (count * 1000) / ms, ms })
}

async function plainjob() {
  const { better, defineQueue, defineWorker } = await import('plainjob')
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  const queue = defineQueue({ connection: better(db), logger: silent })
  let seen = 0
  let finish
  const finished = new Promise((resolve) => (finish = resolve))
  const worker = defineWorker('jobs', () => { if (++seen === count) finish() }, { queue, pollIntervall: 1, logger: silent })
  const start = performance.now()
  if (mode === 'backlog') {
    for (let i = 0; i < count; i++) queue.add('jobs', { ...payload, id: i })
    void worker.start()
  } else {
    void worker.start()
    await produceInChunks((i) => queue.add('jobs', { ...payload, id: i }))
  }
  await finished
  const ms = performance.now() - start
  await worker.stop()
  queue.close()
  done({ rate: (count * 1000) / ms, ms })
}

async function raw() {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec(`CREATE TABLE q (id INTEGER PRIMARY KEY, payload TEXT NOT NULL, lease_until INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX q_lease ON q (lease_until, id);`)
  const insert = db.prepare('INSERT INTO q (payload) VALUES (?)')
  const claimOne = db.prepare('UPDATE q SET lease_until = ? WHERE id = (SELECT id FROM q WHERE lease_until <= ? ORDER BY lease_until, id LIMIT 1) RETURNING id, payload')
  const remove = db.prepare('DELETE FROM q WHERE id = ?')
  const claim = db.transaction((now) => claimOne.get(now + 30_000, now))
  const ack = db.transaction((id) => remove.run(id))
  const send = db.transaction((text) => insert.run(text))
  const consume = () => {
    const row = claim(Date.now())
    if (!row) return false
    JSON.parse(row.payload) // the listener's work: reading the message
    ack(row.id)
    return true
  }
  // The naive loop in the trickle shape: three commits a message, one message a turn.
  const trickleLoop = async (n) => {
    for (let i = 0; i < n; i++) {
      send(JSON.stringify({ ...payload, id: i }))
      consume()
      await nextTurn()
    }
  }
  if (trickle) await trickleLoop(WARM_UP)
  const start = performance.now()
  if (mode === 'backlog') {
    for (let i = 0; i < count; i++) send(JSON.stringify({ ...payload, id: i }))
    while (consume());
  } else if (trickle) {
    await trickleLoop(count)
  } else {
    for (let i = 0; i < count; i++) {
      send(JSON.stringify({ ...payload, id: i }))
      consume()
    }
  }
  const ms = performance.now() - start
  db.close()
  done({ rate: (count * 1000) / ms, ms })
}

// BullMQ on the local Redis the bench started (REDIS_PORT), one worker at concurrency 1: in the
// backlog and together modes jobs are added in chunks of CHUNK without waiting between them (as
// durable-ipc's sends), in trickle mode one per turn, each add awaited (stored before it returns).
async function bullmq() {
  const { Queue, Worker } = await import('bullmq')
  const connection = { host: '127.0.0.1', port: Number(process.env.REDIS_PORT) }
  const queue = new Queue('jobs', { connection, defaultJobOptions: { removeOnComplete: true, removeOnFail: true } })
  await queue.waitUntilReady()
  let seen = 0
  let finish
  const finished = new Promise((resolve) => (finish = resolve))
  let worker
  let warmedUp
  const warmed = new Promise((resolve) => (warmedUp = resolve))
  const startWorker = () => (worker = new Worker('jobs', async () => {
    if (++seen === WARM_UP) warmedUp()
    if (seen === WARM_UP + count) finish()
  }, { connection, concurrency: 1 }))
  const trickleLoop = async (n) => {
    for (let i = 0; i < n; i++) {
      await queue.add('job', { ...payload, id: i })
      await nextTurn()
    }
  }
  if (trickle && WARM_UP > 0) {
    startWorker()
    await trickleLoop(WARM_UP)
    await warmed
  }
  const addChunk = (from) => Promise.all(Array.from({ length: Math.min(CHUNK, count - from) }, (_, j) => queue.add('job', { ...payload, id: from + j })))
  const start = performance.now()
  if (mode === 'backlog') {
    for (let i = 0; i < count; i += CHUNK) await addChunk(i)
    startWorker()
  } else if (trickle) {
    if (!worker) startWorker()
    await trickleLoop(count)
  } else {
    startWorker()
    for (let i = 0; i < count; i += CHUNK) await addChunk(i)
  }
  await finished
  const ms = performance.now() - start
  await worker.close()
  await queue.obliterate({ force: true })
  await queue.close()
  done({ rate: (count * 1000) / ms, ms })
}

// The trickle shape's floor: one INSERT commit per turn of the event loop, nothing consumed.
async function floor() {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec('CREATE TABLE q (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)')
  const insert = db.prepare('INSERT INTO q (payload) VALUES (?)')
  const send = db.transaction((text) => insert.run(text))
  const trickleLoop = async (n) => {
    for (let i = 0; i < n; i++) {
      send(JSON.stringify({ ...payload, id: i }))
      await nextTurn()
    }
  }
  await trickleLoop(WARM_UP)
  const start = performance.now()
  await trickleLoop(count)
  const ms = performance.now() - start
  db.close()
  done({ rate: (count * 1000) / ms, ms })
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

async function produceInChunks(sendOne) {
  for (let i = 0; i < count; i += CHUNK) {
    for (let j = i; j < Math.min(count, i + CHUNK); j++) sendOne(j)
    await new Promise((resolve) => setImmediate(resolve))
  }
}

const silent = { error() {}, warn() {}, info() {}, debug() {} }
await { 'durable-ipc': durable, plainjob, raw, floor, bullmq }[system]()
