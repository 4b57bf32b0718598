// event.progress() in one durable job: the cost of 10,000 calls (serialized and size-checked at
// each call, written coalesced, at most once per ~100 ms), and how many writes they became.
// Target: under 100 ms for the 10,000. Usage: node bench/progress.mjs    (run after `npm run build`)
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { createBroker } from '../dist/index.js'

const CALLS = 10_000
const ROUNDS = 5

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function oneJob(path, round) {
  const broker = createBroker({ path })
  broker.channel(`progress-${round}`, { durable: true })
  let finish
  const finished = new Promise((resolve) => (finish = resolve))
  broker.ipcMain.on(`progress-${round}`, async (event) => {
    const started = performance.now()
    for (let i = 0; i < CALLS; i++) event.progress({ done: i / CALLS, step: 'resize', file: `image-${i}.png` })
    const ms = performance.now() - started
    await new Promise((resolve) => setTimeout(resolve, 150)) // let the coalesced write happen
    finish(ms)
  })
  broker.enqueue(`progress-${round}`, [])
  const ms = await finished
  await broker.close()
  return ms
}

export async function progressBench() {
  const dir = mkdtempSync(join(tmpdir(), 'dipc-progress-'))
  const path = join(dir, 'bench.db')
  try {
    // Count the writes with a trigger on the real file.
    await createBroker({ path }).close()
    const db = new Database(path)
    db.exec(`CREATE TABLE bench_progress_writes (id INTEGER);
      CREATE TRIGGER bench_count_progress AFTER UPDATE OF progress ON durable_ipc_messages
      BEGIN INSERT INTO bench_progress_writes (id) VALUES (NEW.id); END`)
    const times = []
    for (let round = 0; round < ROUNDS; round++) times.push(await oneJob(path, round))
    const writes = db.prepare('SELECT COUNT(*) FROM bench_progress_writes').pluck().get()
    db.close()
    return {
      calls: CALLS,
      'ms for all (median)': +median(times).toFixed(1),
      'µs per call': +((median(times) * 1000) / CALLS).toFixed(2),
      'writes per job': +(writes / ROUNDS).toFixed(1),
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await progressBench()
  console.table([result])
  console.log(JSON.stringify(result))
}
