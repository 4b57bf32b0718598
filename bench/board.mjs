// The web board's costs (bench/boardScenario.mjs runs each part in a fresh process):
//   server time (median) of every page and JSON endpoint of a board over a file holding 1,000,000
//     queued jobs and 10,000 dead letters (target: < 100 ms each);
//   an open board's cost to the application: draining jobs with and without a board over the
//     broker served in the same process and a page watching it (its event stream, and the
//     overview and a channel page fetched on each update and every second), same run,
//     alternating, median of 3 each (target: < 2%).
// Usage: node bench/board.mjs [--quick]    (run after `npm run build`)
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const quick = process.argv.includes('--quick')
const scenario = fileURLToPath(new URL('./boardScenario.mjs', import.meta.url))
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const step = (path, mode, arg) =>
  JSON.parse(execFileSync(process.execPath, [scenario, mode, String(arg), path], { encoding: 'utf8', maxBuffer: 1 << 24 }).trim().split('\n').pop())

function withFile(fn) {
  const dir = mkdtempSync(join(tmpdir(), 'dipc-board-bench-'))
  try {
    return fn(join(dir, 'bench.db'))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export function boardBench() {
  const jobs = quick ? 100_000 : 1_000_000
  const endpoints = withFile((path) => {
    step(path, 'fill', jobs)
    return step(path, 'endpoints', 0)
  })
  // Long enough (seconds) that the first page load (its code compiled once) is not most of it.
  const drained = quick ? 100_000 : 300_000
  const rates = { without: [], with: [] }
  for (let rep = 0; rep < (quick ? 1 : 3); rep++) {
    for (const mode of ['drain', 'drain-board']) {
      rates[mode === 'drain' ? 'without' : 'with'].push(withFile((path) => {
        step(path, 'fill-ready', drained)
        return step(path, mode, drained).rate
      }))
    }
  }
  // The fill adds 10,000 dead letters that the drain leaves alone.
  const without = Math.round(median(rates.without))
  const withBoard = Math.round(median(rates.with))
  return {
    endpoints: Object.entries(endpoints).map(([endpoint, ms]) => ({ endpoint, 'server ms (median)': ms })),
    throughput: { jobs: drained, 'msgs/s without a board': without, 'msgs/s with a board watching': withBoard, cost: `${(((without - withBoard) / without) * 100).toFixed(1)}%` },
    queued: jobs,
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = boardBench()
  console.log(`# ${result.queued.toLocaleString('en-US')} jobs queued, 10,000 dead letters`)
  console.table(result.endpoints)
  console.table([result.throughput])
}
