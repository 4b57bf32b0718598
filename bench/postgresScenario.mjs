// One PostgreSQL benchmark scenario in its own process, on a fresh database; prints one JSON line.
// argv: system, mode (backlog | together), count, connection string, work dir.
//   store-1      durable-ipc's PostgreSQL store through the Store API: claim 1, ack it, claim the next
//   store-batch  the same, claiming up to 100 at a time and acking them together (as the broker's
//                consumer claims its prefetch and groups its acks)
//   broker       createBroker({ path, postgres }) with one listener: skipped (one line) while
//                createBroker does not take the `postgres` option
//   pg-boss      fetch 1 + complete 1 in a loop (pg-boss's work() with batchSize 1 sleeps its polling
//                interval, >= 500 ms, between fetches that find nothing new to notify it of)
//   graphile-worker  run() with concurrency 1 (its own LISTEN/NOTIFY wake-up, then fetch-next loop)
// Every system enqueues in bulk, 500 jobs a statement (publishMany, insert, addJobs), so that the
// figures compare the queues and not a client's round trips. ~100-byte JSON payloads.
import { join } from 'node:path'

const [system, mode, countText, url, dir] = process.argv.slice(2)
const count = Number(countText)
const payload = { id: 0, kind: 'order', customer: 'customer-0001', total: 1234.5, note: 'x'.repeat(24) } // ~100 bytes
const CHUNK = 500

const done = (result) => {
  console.log(JSON.stringify(result))
  process.exit(0)
}
const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

/**
 * The shared shape of a run: `enqueue(from, to)` stores jobs [from, to); `drain(onJob)` starts the
 * consumer, calling onJob once per job handled. backlog: everything enqueued, then drained;
 * together: the producer's chunks interleaved with the consumer.
 */
async function measure({ enqueue, drain, stop }) {
  let seen = 0
  let finish
  const finished = new Promise((resolve) => (finish = resolve))
  const onJob = () => {
    if (++seen === count) finish()
  }
  const start = performance.now()
  let enqueuedAt
  if (mode === 'backlog') {
    for (let i = 0; i < count; i += CHUNK) await enqueue(i, Math.min(count, i + CHUNK))
    enqueuedAt = performance.now()
    await drain(onJob)
  } else {
    await drain(onJob)
    for (let i = 0; i < count; i += CHUNK) {
      await enqueue(i, Math.min(count, i + CHUNK))
      await nextTurn()
    }
    enqueuedAt = performance.now()
  }
  await finished
  const end = performance.now()
  await stop()
  const result = { rate: (count * 1000) / (end - start), ms: end - start }
  if (mode === 'backlog') Object.assign(result, { enqueueRate: (count * 1000) / (enqueuedAt - start), drainRate: (count * 1000) / (end - enqueuedAt) })
  done(result)
}

async function store(batch) {
  const { openPostgresStore, newOwnerId } = await import('../dist/store/index.js')
  const s = openPostgresStore({ connectionString: url, schema: 'bench' })
  s.declareChannel('jobs', { maxAttempts: 3, backoffInitialMs: 100, backoffMaxMs: 1000, concurrency: 1, leaseMs: 30_000, maxMessageBytes: null, maxDepth: null, timeoutMs: null, rateLimit: null })
  const owner = newOwnerId()
  let running = true
  let loop
  await measure({
    enqueue(from, to) {
      const now = Date.now()
      const inputs = []
      for (let i = from; i < to; i++) inputs.push({ channel: 'jobs', payload: JSON.stringify({ ...payload, id: i }), kind: 'message', visibleAt: now, now })
      s.publishMany(inputs)
    },
    drain(onJob) {
      loop = (async () => {
        while (running) {
          const claimed = await s.claim('jobs', 'main', owner, Date.now(), 30_000, batch)
          if (claimed.length === 0) {
            // Nothing yet (together: the producer is ahead of us or behind): look again next turn.
            await new Promise((resolve) => setTimeout(resolve, 1))
            continue
          }
          for (const m of claimed) JSON.parse(m.payload)
          await s.ack(claimed.map((m) => m.id), owner)
          for (let i = 0; i < claimed.length; i++) onJob()
        }
      })()
    },
    async stop() {
      running = false
      await loop
      s.close()
    },
  })
}

async function broker() {
  const { createBroker } = await import('../dist/index.js')
  let b
  try {
    b = createBroker({ path: join(dir, 'node-1.db'), postgres: { connectionString: url, schema: 'bench' } })
  } catch (err) {
    done({ skipped: `createBroker({ path, postgres }) is not there yet: ${err.message.split('\n')[0]}` })
  }
  b.channel('jobs', { durable: true })
  await measure({
    enqueue(from, to) {
      const items = []
      for (let i = from; i < to; i++) items.push([{ ...payload, id: i }])
      for (const args of items) b.enqueue('jobs', args)
    },
    drain(onJob) {
      b.ipcMain.on('jobs', onJob)
    },
    stop: () => b.close(),
  })
}

async function pgBoss() {
  const { default: PgBoss } = await import('pg-boss')
  const boss = new PgBoss({ connectionString: url, supervise: false, schedule: false })
  boss.on('error', () => {})
  await boss.start()
  await boss.createQueue('jobs')
  let running = true
  let loop
  await measure({
    enqueue: async (from, to) => {
      const jobs = []
      for (let i = from; i < to; i++) jobs.push({ name: 'jobs', data: { ...payload, id: i } })
      await boss.insert(jobs)
    },
    drain(onJob) {
      loop = (async () => {
        while (running) {
          const [job] = (await boss.fetch('jobs')) ?? []
          if (job === undefined) {
            await new Promise((resolve) => setTimeout(resolve, 1))
            continue
          }
          await boss.complete('jobs', job.id)
          onJob()
        }
      })()
    },
    async stop() {
      running = false
      await loop
      await boss.stop({ graceful: false, wait: true })
    },
  })
}

async function graphile() {
  const { run, makeWorkerUtils, Logger } = await import('graphile-worker')
  const logger = new Logger(() => () => {})
  const utils = await makeWorkerUtils({ connectionString: url, logger })
  await utils.migrate()
  let runner
  let onJob
  await measure({
    enqueue: async (from, to) => {
      const specs = []
      for (let i = from; i < to; i++) specs.push({ identifier: 'jobs', payload: { ...payload, id: i } })
      await utils.addJobs(specs)
    },
    async drain(callback) {
      onJob = callback
      runner = await run({ connectionString: url, concurrency: 1, noHandleSignals: true, logger, taskList: { jobs: async () => onJob() } })
    },
    async stop() {
      await runner.stop()
      await utils.release()
    },
  })
}

await { 'store-1': () => store(1), 'store-batch': () => store(100), broker, 'pg-boss': pgBoss, 'graphile-worker': graphile }[system]()
