// The job control plane's costs, side by side in one run (medians of 3, each run in a fresh
// process on a fresh file):
//   priorities: draining 20k ready jobs at priority 0 with 1,000,000 delayed jobs at priority 10
//     in the same queue, against the same without them (target: within 10%);
//   mixed priorities end to end (enqueue then drain 20k, priorities 0..4) against all at 0;
//   enqueueMany in batches of 1,000 against a loop of enqueue (target: at least 5x).
// Usage: node bench/jobs.mjs [--quick]    (run after `npm run build`)
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const quick = process.argv.includes('--quick')
const worker = fileURLToPath(new URL('./jobsScenario.mjs', import.meta.url))
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Runs the steps [mode, count] in fresh processes on one fresh file; returns the last one's result. */
function run(steps) {
  const dir = mkdtempSync(join(tmpdir(), 'dipc-jobs-bench-'))
  const path = join(dir, 'bench.db')
  try {
    let result
    for (const [mode, count] of steps) result = JSON.parse(execFileSync(process.execPath, [worker, mode, String(count), path], { encoding: 'utf8', maxBuffer: 1 << 24 }).trim().split('\n').pop())
    return result
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const rate = (steps, reps = 3) => Math.round(median(Array.from({ length: reps }, () => run(steps).rate)))

export function jobsBench() {
  const ready = 20_000
  const delayed = quick ? 200_000 : 1_000_000
  const reps = quick ? 1 : 3
  const plain = rate([['fill-ready', ready], ['drain', ready]], reps)
  const behind = rate([['fill-delayed', delayed], ['fill-ready', ready], ['drain', ready]], reps)
  const allZero = rate([['backlog-plain', ready]], reps)
  const mixed = rate([['backlog-mixed', ready]], reps)
  const loop = rate([['enqueue-loop', 100_000]], reps)
  const many = rate([['enqueue-many', 100_000]], reps)
  return [
    { figure: `drain ${ready} ready at priority 0, msgs/s`, baseline: plain, measured: behind, ratio: +(behind / plain).toFixed(2), note: `with ${delayed} delayed at priority 10 in front` },
    { figure: `enqueue + drain ${ready}, msgs/s`, baseline: allZero, measured: mixed, ratio: +(mixed / allZero).toFixed(2), note: 'priorities 0..4 vs all 0' },
    { figure: 'enqueue 100k, jobs/s', baseline: loop, measured: many, ratio: +(many / loop).toFixed(2), note: 'enqueueMany (1,000 a call) vs a loop of enqueue' },
  ]
}

if (import.meta.url === `file://${process.argv[1]}`) console.table(jobsBench())
