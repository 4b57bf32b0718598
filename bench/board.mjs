// The web board's costs (bench/boardScenario.mjs runs each part in a fresh process):
//   server time (median) of every page and JSON endpoint of a board over a file holding 1,000,000
//     queued jobs and 10,000 dead letters (target: < 100 ms each);
//   an open board's cost to the application (target: < 2%): one process drains one queue in
//     segments of 150,000 jobs, in pairs of one without a board and one with
//     createBoard({ broker }) served in the same process and two pages (the overview, a channel's
//     waiting list; another process) watching it from before the segment starts, each fetching
//     what it shows on every announced version as the page does; ABBA order, 10 pairs after a
//     warm-up pair. Reported: the median of the pairs' costs (1 - with / without msgs/s) with
//     their quartiles, the same over all segments' time, the application thread's CPU time with /
//     without (Linux schedstat), and the board's own time on that thread as a share of each drain
//     (the board counts it: dist/board/threadTime.js).
// Usage: node bench/board.mjs [--quick] [--cost]    (run after `npm run build`; --cost: the
// paired drains only)
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
  return {
    endpoints: Object.entries(endpoints).map(([endpoint, ms]) => ({ endpoint, 'server ms (median)': ms })),
    throughput: costBench(),
    queued: jobs,
  }
}

function costBench() {
  // One process drains one queue in short segments (two or three seconds each, so that each holds
  // a snapshot or two of the board's), with and without a board, alternating: the VM's drift
  // (+-10% from one process to the next) falls mostly between pairs.
  const perSegment = quick ? 50_000 : 100_000
  const pairs = quick ? 3 : 16
  const step = (path, mode, arg, extra) =>
    JSON.parse(execFileSync(process.execPath, ['--expose-gc', scenario, mode, String(arg), path, ...(extra === undefined ? [] : [String(extra)])], { encoding: 'utf8', maxBuffer: 1 << 24 }).trim().split('\n').pop())
  return withFile((path) => {
    // A segment's jobs and some slack for what a pause leaves claimed; refilled after each segment.
    step(path, 'fill-ready', Math.ceil(perSegment * 1.2))
    const { segments } = step(path, 'alternate', perSegment, pairs)
    const costs = []
    const cpuCosts = []
    const shares = []
    const allShares = []
    const waits = { without: [], with: [] }
    const rates = { without: [], with: [] }
    let requests = 0
    let threads = 0
    for (let pair = 1; pair <= pairs; pair++) {
      const without = segments.find((x) => x.pair === pair && !x.board)
      const withBoard = segments.find((x) => x.pair === pair && x.board)
      rates.without.push(without.rate)
      rates.with.push(withBoard.rate)
      costs.push(1 - withBoard.rate / without.rate)
      shares.push(withBoard.boardMs / withBoard.ms)
      allShares.push((withBoard.boardMs + withBoard.boardThreadsMs) / withBoard.ms)
      if (without.cpuMs !== undefined) {
        cpuCosts.push(withBoard.cpuMs / without.cpuMs - 1)
        waits.without.push(without.waitMs / without.ms)
        waits.with.push(withBoard.waitMs / withBoard.ms)
      }
      requests += withBoard.requests / (withBoard.ms / 1000)
      threads = Math.max(threads, withBoard.readerThreads)
    }
    const cpuSorted = [...cpuCosts].sort((a, b) => a - b)
    const total = (board) => segments.filter((x) => x.board === board).reduce((sum, x) => sum + x.ms, 0)
    const sorted = [...costs].sort((a, b) => a - b)
    const pct = (x) => `${(x * 100).toFixed(1)}%`
    return {
      'jobs per segment': perSegment,
      pairs,
      'msgs/s without (median)': Math.round(median(rates.without)),
      'msgs/s with a board watching (median)': Math.round(median(rates.with)),
      'cost: median of pairs': pct(median(costs)),
      'pairs: quartiles': `${pct(sorted[Math.floor(pairs / 4)])} .. ${pct(sorted[Math.floor((3 * pairs) / 4)])}`,
      'cost: all segments, time with / without - 1': pct(total(true) / total(false) - 1),
      "app thread's CPU, with / without - 1 (median)": cpuCosts.length > 0 ? pct(median(cpuCosts)) : 'n/a',
      'CPU: quartiles': cpuCosts.length > 0 ? `${pct(cpuSorted[Math.floor(pairs / 4)])} .. ${pct(cpuSorted[Math.floor((3 * pairs) / 4)])}` : 'n/a',
      "board's own time on the app thread (median share)": pct(median(shares)),
      "board's CPU, app thread and its reader thread (median share)": pct(median(allShares)),
      'app thread waiting for a CPU, without / with': cpuCosts.length > 0 ? `${pct(median(waits.without))} / ${pct(median(waits.with))}` : 'n/a',
      'requests/s served': +(requests / pairs).toFixed(1),
      'reader thread': threads > 0 ? 'yes' : 'no',
    }
  })
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv.includes('--cost')) {
  const result = costBench()
  console.table([result])
  console.log(JSON.stringify(result))
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const result = boardBench()
  console.log(`# ${result.queued.toLocaleString('en-US')} jobs queued, 10,000 dead letters`)
  console.table(result.endpoints)
  console.table([result.throughput])
}
