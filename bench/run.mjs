// `npm run bench`: every benchmark, side by side with its baseline, in one run. Not part of the
// tests. Prints tables and, last, one JSON line with every figure. `--quick` for a short run.
import { existsSync } from 'node:fs'
import { coreBench } from './core.mjs'
import { durableBench } from './durable.mjs'
import { jobsBench } from './jobs.mjs'
import { progressBench } from './progress.mjs'
import { boardBench } from './board.mjs'
import { postgresBench } from './postgres.mjs'
import { postgresWakeupBench } from './postgresWakeup.mjs'
import { postgresNodesBench } from './postgresNodes.mjs'
import { workerSendsBench } from './workerSends.mjs'

const results = {}
console.log('# in-process IPC (bench/core.mjs)')
results.core = await coreBench()
console.table(results.core)

if (existsSync(new URL('./workers.mjs', import.meta.url))) {
  console.log('# worker-thread renderers (bench/workers.mjs)')
  const { workersBench } = await import('./workers.mjs')
  results.workers = await workersBench()
  console.table(results.workers)
}

console.log('# durable sends from worker renderers flat out (bench/workerSends.mjs): 1 worker through main (the path before), 1 and 4 storing themselves; target 4 workers >= 3x one through main')
results.workerSends = await workerSendsBench()
console.table([results.workerSends])

console.log('# durable channels (bench/durable.mjs): durable-ipc vs plainjob, a naive raw loop and BullMQ on a local Redis, msgs/s')
results.durable = await durableBench()
console.table(results.durable.throughput)
console.table(results.durable.trickle)
console.table([results.durable.backlog])
console.table([results.durable.listeners])
console.log('# the job control plane (bench/jobs.mjs): each figure against its baseline, same run')
results.jobs = jobsBench()
console.table(results.jobs)
console.log('# event.progress() in one durable job (bench/progress.mjs): 10,000 calls, target < 100 ms')
results.progress = await progressBench()
console.table([results.progress])
console.log('# the web board (bench/board.mjs): server time per endpoint with 1M jobs queued, and its cost to throughput')
results.board = boardBench()
console.table(results.board.endpoints)
console.table([results.board.throughput])
console.log('# job queues on PostgreSQL (bench/postgres.mjs): our store vs pg-boss and graphile-worker, default durability, jobs/s')
results.postgres = await postgresBench()
if (results.postgres !== undefined) {
  console.table([results.postgres.versions])
  console.table(results.postgres.rows)
}
console.log('# cross-node wake-up on PostgreSQL (bench/postgresWakeup.mjs): one send every 50 ms, another node idle; target median < 50 ms')
results.postgresWakeup = await postgresWakeupBench()
if (results.postgresWakeup !== undefined) console.table([results.postgresWakeup])
console.log('# 1 node vs 3 nodes on one PostgreSQL (bench/postgresNodes.mjs): 20k jobs end to end; target 3 nodes >= 1.8x')
results.postgresNodes = await postgresNodesBench({ reps: process.argv.includes('--quick') ? 1 : 3 })
if (results.postgresNodes !== undefined) console.table([results.postgresNodes])
console.log(JSON.stringify({ node: process.version, ...results }))
