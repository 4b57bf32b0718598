// Durable throughput, side by side in one run: durable-ipc vs plainjob vs a naive raw
// better-sqlite3 loop (one INSERT + one claim + one DELETE transaction per message), on a WAL file,
// and BullMQ on a local Redis (bench/redis.mjs; left out with one line when there is none).
// Each scenario runs in a fresh child process (so RSS and JIT state do not leak between them).
// Usage: node bench/durable.mjs [--quick]    (run after `npm run build`)
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startRedis } from './redis.mjs'

const quick = process.argv.includes('--quick')
const here = fileURLToPath(new URL('.', import.meta.url))
const worker = join(here, 'durableScenario.mjs')

let redisPort

function run(system, mode, count) {
  const dir = mkdtempSync(join(tmpdir(), 'dipc-bench-'))
  const path = join(dir, 'bench.db')
  const env = redisPort === undefined ? process.env : { ...process.env, REDIS_PORT: String(redisPort) }
  const child = (m) => JSON.parse(execFileSync(process.execPath, [worker, system, m, String(count), path], { encoding: 'utf8', maxBuffer: 1 << 24, env }).trim().split('\n').pop())
  try {
    // The backlog is built by one process and measured by a fresh one.
    if (mode === 'scale' || mode.startsWith('drain-')) child('fill')
    return child(mode)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

// BullMQ (on a local redis-server the bench starts and stops) runs at 20k only: at ~3k msgs/s a
// 200k run would take over a minute each.
export async function durableBench() {
  const redis = await startRedis()
  redisPort = redis?.port
  try {
    return durableRuns(redis !== undefined)
  } finally {
    redis?.stop()
  }
}

function durableRuns(withBullmq) {
  const rows = []
  const sizes = quick ? [[20_000, 1]] : [[20_000, 3], [200_000, 1]]
  for (const [count, reps] of sizes) {
    for (const mode of ['backlog', 'together']) {
      const row = { count, mode }
      for (const system of ['durable-ipc', 'plainjob', 'raw', 'bullmq']) {
        if (system === 'bullmq' && (!withBullmq || count > 20_000)) {
          row.bullmq = null
          continue
        }
        const rates = []
        for (let i = 0; i < reps; i++) rates.push(run(system, mode, count).rate)
        row[system] = Math.round(median(rates))
      }
      row['vs plainjob'] = +(row['durable-ipc'] / row.plainjob).toFixed(2)
      row['vs raw'] = +(row['durable-ipc'] / row.raw).toFixed(2)
      row['vs bullmq'] = row.bullmq === null ? null : +(row['durable-ipc'] / row.bullmq).toFixed(2)
      rows.push(row)
      console.error(`  ${count} ${mode}: ${JSON.stringify(row)}`)
    }
  }
  // One message per turn of the event loop, consumer in the same process (issue "speed:"):
  // against the floor of that shape (one INSERT commit per turn) and the naive three-commit loop.
  // Twice: from a cold start (the timed messages are the process's first), and warm (after 10k
  // untimed ones in the same process, every system alike: the steady rate of a process that has
  // been running a while, JIT compiled and its WAL file grown).
  const trickle = []
  for (const mode of ['trickle', 'trickle-warm']) {
    const row = { count: quick ? 5_000 : 20_000, mode: mode === 'trickle' ? 'trickle (1 msg per turn), cold' : 'trickle, warm (after 10k)' }
    for (const system of ['durable-ipc', 'raw', 'floor', ...(withBullmq ? ['bullmq'] : [])]) {
      row[system] = Math.round(median(Array.from({ length: quick ? 1 : 3 }, () => run(system, mode, row.count).rate)))
    }
    row['vs floor'] = +(row['durable-ipc'] / row.floor).toFixed(2)
    row['vs raw'] = +(row['durable-ipc'] / row.raw).toFixed(2)
    row['vs bullmq'] = withBullmq ? +(row['durable-ipc'] / row.bullmq).toFixed(2) : null
    trickle.push(row)
    console.error(`  ${mode}: ${JSON.stringify(row)}`)
  }
  const big = quick ? 200_000 : 1_000_000
  const scale = run('durable-ipc', 'scale', big)
  const small = run('durable-ipc', 'scale', 10_000)
  const drain = (mode) => Math.round(median([1, 2, 3].map(() => run('durable-ipc', mode, 20_000).rate)))
  const listeners = { queued: 20_000, 'sync listener msgs/s': drain('drain-sync'), 'async listener msgs/s': drain('drain-async') }
  return {
    throughput: rows,
    trickle,
    backlog: {
      queued: big,
      firstDeliveryMs: scale.firstDeliveryMs,
      rssMB: scale.rssMB,
      rateAtBig: Math.round(scale.rate),
      rateAt10k: Math.round(small.rate),
      ratio: +(scale.rate / small.rate).toFixed(2),
    },
    listeners,
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await durableBench()
  console.table(result.throughput)
  console.table(result.trickle)
  console.table([result.backlog])
  console.table([result.listeners])
  console.log(JSON.stringify(result))
}
