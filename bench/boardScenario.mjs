// One board benchmark scenario in its own process; prints one JSON line.
// argv: mode, count, db path. Modes:
//   fill <n>              n jobs on 'jobs' (priorities 0..2, every 10th delayed a day) and 10,000
//                         dead letters on 'failed'
//   fill-ready <n>        the same with none delayed (what a drain takes)
//   endpoints             serves a board over the file and times each page and JSON endpoint on
//                         the server (median of 25 requests each, ms)
//   drain <n>             drains n jobs with a sync listener: msgs/s (no board)
//   drain-board <n>       the same, with createBoard({ broker }) served in this process and a page
//                         (`poll`, another process) watching it from before the drain starts (its
//                         first fetches done): msgs/s, and the board's own time on this thread
//                         during the drain (dist/board/threadTime.js), its snapshots and requests
//   alternate <n> <pairs> (argv: mode, n, db path, pairs) drains the file in segments of n jobs,
//                         in pairs of one without a board and one with createBoard({ broker }) served
//                         here and a page (`poll`) watching it, ABBA order, a warm-up pair first (not
//                         reported); the channel is paused between segments, and what a segment
//                         drained is enqueued again then, so every segment starts from the same
//                         queue. The board is made before its segment (the pages' first fetches
//                         answered, its reader thread started, then a second of quiet) and closed
//                         after: per segment msgs/s, this thread's CPU and wait times, the board's
//                         own time on it, requests served
//   poll <url>            the "browser", as two pages of the board open (the overview, a channel's
//                         waiting list): an SSE connection, and on every announced version what
//                         each shows fetched again, as the page does; with an IPC channel, only
//                         between 'start' and 'stop' messages
import { once } from 'node:events'
import { fork } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import Database from 'better-sqlite3'
import { createServer } from 'node:http'
import { createBroker } from '../dist/index.js'
import { createBoard } from '../dist/board.js'
import { openSqliteStore } from '../dist/store/index.js'
import { readOverview } from '../dist/board/overview.js'
import { boardTimeMs } from '../dist/board/threadTime.js'
import { readerThreads } from '../dist/board/workerReader.js'

const [mode, arg, path, extra] = process.argv.slice(2)
const payload = { id: 0, kind: 'order', customer: 'customer-0001', total: 1234.5, note: 'x'.repeat(24) } // ~100 bytes
const DAY = 86_400_000
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
// This thread's time on a CPU and waiting for one (ns), from Linux's schedstat (the main thread's
// task id is the pid): what the drain's own thread spent, apart from the board's reader thread, the
// page's process and whatever else runs on the VM. Undefined elsewhere.
const threadTimes = () => {
  try {
    const [run, wait] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number)
    return { run, wait }
  } catch {
    return undefined
  }
}
// A process's CPU time (ms, every thread) from /proc; NaN elsewhere.
const processCpuMs = (pid) => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
  } catch {
    return NaN
  }
}
// The ids of this process's threads, and the CPU time (ns) of some of them (schedstat).
const taskIds = () => {
  try {
    return new Set(readdirSync(`/proc/self/task`).map(Number))
  } catch {
    return new Set()
  }
}
const tasksRunNs = (ids) => {
  let ns = 0
  for (const id of ids) {
    try {
      ns += Number(readFileSync(`/proc/self/task/${id}/schedstat`, 'utf8').split(' ')[0])
    } catch {
      // ended
    }
  }
  return ns
}
const done = (result) => {
  console.log(JSON.stringify(result))
  process.exit(0)
}

async function fill(count, delayed = true) {
  const broker = createBroker({ path })
  broker.channel('jobs', { durable: true })
  broker.channel('failed', { durable: true, maxAttempts: 1 })
  for (let i = 0; i < count; i += 10_000) {
    const items = []
    for (let j = i; j < Math.min(count, i + 10_000); j++) items.push({ args: [{ ...payload, id: j }], priority: j % 3, ...(delayed && j % 10 === 0 ? { delayMs: DAY } : {}) })
    broker.enqueueMany('jobs', items)
  }
  for (let i = 0; i < 10_000; i += 1000) broker.enqueueMany('failed', Array.from({ length: 1000 }, (_, j) => ({ args: [{ ...payload, id: i + j }] })))
  await broker.close()
  // Dead letters straight through the store: claim and fail them for good.
  const store = openSqliteStore({ path })
  for (;;) {
    const claimed = store.claim('failed', 'main', 'bench-owner', Date.now(), 60_000, 1000)
    if (claimed.length === 0) break
    for (const m of claimed) store.fail({ id: m.id, owner: 'bench-owner', error: `Error: failed ${m.id}\n    at bench (board.mjs:1:1)`, retryAt: null, now: Date.now() })
  }
  store.close()
  done({ filled: count })
}

async function endpoints() {
  const board = createBoard({ path }, { token: 'bench-token-0123456789' })
  const times = new Map()
  const server = createServer((req, res) => {
    const started = performance.now()
    res.on('finish', () => {
      const key = req.headers['x-bench-name']
      if (!times.has(key)) times.set(key, [])
      times.get(key).push(performance.now() - started)
    })
    board.handler(req, res)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const origin = `http://127.0.0.1:${server.address().port}`
  const headers = { 'x-board-token': 'bench-token-0123456789' }
  const get = async (name, route) => {
    const res = await fetch(`${origin}${route}`, { headers: { ...headers, 'x-bench-name': name } })
    if (!res.ok) throw new Error(`${route}: ${res.status} ${await res.text()}`)
    return res.headers.get('content-type')?.includes('json') ? res.json() : res.text()
  }
  const post = async (name, route, body) => {
    const res = await fetch(`${origin}${route}`, { method: 'POST', headers: { ...headers, 'x-bench-name': name, 'content-type': 'application/json', origin }, body: JSON.stringify(body) })
    if (!res.ok) throw new Error(`${route}: ${res.status} ${await res.text()}`)
  }
  const waiting = await get('warm', '/api/channels/jobs?state=waiting')
  const delayed = await get('warm', '/api/channels/jobs?state=delayed')
  const dead = await get('warm', '/api/channels/failed?state=dead')
  const jobId = waiting.page.jobs[0].id
  const deadId = dead.page.jobs[0].id
  const routes = [
    ['page /', '/'],
    ['app.js', '/static/app.js'],
    ['session', '/api/session'],
    ['overview', '/api/overview'],
    ['metrics', '/metrics'],
    ['channel waiting', '/api/channels/jobs?state=waiting'],
    ['channel waiting, page 2', `/api/channels/jobs?state=waiting&cursor=${encodeURIComponent(waiting.page.next)}`],
    ['channel delayed', '/api/channels/jobs?state=delayed'],
    ['channel delayed, page 2', `/api/channels/jobs?state=delayed&cursor=${encodeURIComponent(delayed.page.next)}`],
    ['channel active', '/api/channels/jobs?state=active'],
    ['channel dead (10k)', '/api/channels/failed?state=dead'],
    ['channel dead, page 2', `/api/channels/failed?state=dead&cursor=${dead.page.next}`],
    ['channel completed', '/api/channels/jobs?state=completed'],
    ['channel cancelled', '/api/channels/jobs?state=cancelled'],
    ['look-up by id', `/api/channels/jobs/lookup?q=${jobId}`],
    ['job (waiting)', `/api/jobs/${jobId}`],
    ['job (dead)', `/api/jobs/${deadId}`],
  ]
  for (let i = 0; i < 25; i++) {
    for (const [name, route] of routes) await get(name, route)
    await post('action pause', '/api/channels/jobs/pause', {})
    await post('action resume', '/api/channels/jobs/resume', {})
  }
  // The snapshot behind the overview and /metrics, taken without the board's cache.
  const store = openSqliteStore({ path, readonly: true })
  const snapshots = []
  for (let i = 0; i < 25; i++) {
    const started = performance.now()
    readOverview(store, Date.now())
    snapshots.push(performance.now() - started)
  }
  const stats = [...store.stats()]
  const statsTimes = []
  for (let i = 0; i < 5; i++) {
    const started = performance.now()
    store.stats()
    statsTimes.push(performance.now() - started)
  }
  store.close()
  board.close()
  server.closeAllConnections()
  server.close()
  const result = {}
  for (const [name] of [...routes, ['action pause'], ['action resume']]) result[name] = +median(times.get(name)).toFixed(2)
  result['overview snapshot, uncached'] = +median(snapshots).toFixed(2)
  result['(store.stats(), for comparison)'] = +median(statsTimes).toFixed(2)
  void stats
  done(result)
}

async function drain(count, withBoard) {
  const broker = createBroker({ path })
  broker.channel('jobs', { durable: true })
  let poller
  let board
  let server
  let requests = 0
  if (withBoard) {
    board = createBoard({ broker }, { token: 'bench-token-0123456789' })
    server = createServer((req, res) => {
      requests++
      board.handler(req, res)
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    poller = fork(new URL(import.meta.url), ['poll', `http://127.0.0.1:${server.address().port}`, path], { stdio: 'ignore' })
    await once(poller, 'message') // its event stream is open and its first fetches answered
  }
  let seen = 0
  let finish
  const finished = new Promise((resolve) => (finish = resolve))
  // The jobs are in the file already: the drain starts with the listener.
  const board0 = boardTimeMs()
  const requests0 = requests
  const times0 = threadTimes()
  const started = performance.now()
  broker.ipcMain.on('jobs', () => {
    if (++seen === count) finish()
  })
  await finished
  const ms = performance.now() - started
  const times1 = threadTimes()
  const thread = times0 && times1 ? { cpuMs: (times1.run - times0.run) / 1e6, waitMs: (times1.wait - times0.wait) / 1e6 } : {}
  const boardMs = boardTimeMs() - board0
  const served = requests - requests0
  const threads = readerThreads()
  poller?.kill()
  board?.close()
  server?.closeAllConnections()
  server?.close()
  await broker.close()
  done({ rate: (count * 1000) / ms, ms, ...thread, ...(withBoard ? { boardMs, requests: served, readerThreads: threads } : {}) })
}

async function poll(url) {
  const headers = { 'x-board-token': 'bench-token-0123456789' }
  const fetchPage = () => Promise.all([fetch(`${url}/api/overview`, { headers }).then((r) => r.arrayBuffer()), fetch(`${url}/api/channels/jobs?state=waiting`, { headers }).then((r) => r.arrayBuffer())])
  let watching
  const watch = async () => {
    const controller = new AbortController()
    const events = await fetch(`${url}/api/events`, { headers, signal: controller.signal })
    await fetchPage()
    const decoder = new TextDecoder()
    void (async () => {
      for await (const chunk of events.body) if (decoder.decode(chunk).includes('event: version')) void fetchPage().catch(() => {})
    })().catch(() => {})
    return () => controller.abort()
  }
  if (!extra) {
    await watch()
    process.send?.('ready')
    return
  }
  process.on('message', async (message) => {
    if (message === 'start') watching = await watch()
    else if (message === 'stop') watching?.()
    process.send(message === 'start' ? 'ready' : 'stopped')
  })
  process.send('idle')
}

async function alternate(perSegment, pairs) {
  const broker = createBroker({ path })
  const jobs = broker.channel('jobs', { durable: true })
  jobs.pause()
  let board
  let requests = 0
  const server = createServer((req, res) => {
    requests++
    if (board) board.handler(req, res)
    else res.writeHead(503).end()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const poller = fork(new URL(import.meta.url), ['poll', `http://127.0.0.1:${server.address().port}`, path, 'controlled'], { stdio: 'ignore' })
  await once(poller, 'message')
  const tell = async (message) => {
    const answer = once(poller, 'message')
    poller.send(message)
    await answer
  }
  let seen = 0
  let target = Infinity
  let reached
  broker.ipcMain.on('jobs', () => {
    if (++seen === target) reached()
  })
  let refilled = 0
  const refill = () => {
    for (let i = refilled; i < seen; i += 10_000) {
      const items = []
      for (let j = i; j < Math.min(seen, i + 10_000); j++) items.push({ args: [{ ...payload, id: j }], priority: j % 3 })
      broker.enqueueMany('jobs', items)
    }
    refilled = seen
  }
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
  const segment = async (withBoard) => {
    let boardThreads = new Set()
    if (withBoard) {
      const before = taskIds()
      board = createBoard({ broker }, { token: 'bench-token-0123456789' })
      await tell('start')
      // The board's reader thread (and any other thread it started).
      boardThreads = new Set([...taskIds()].filter((id) => !before.has(id)))
      // Out of step with its next snapshot (due 2 s after the first) when the drain starts, by a
      // different amount each time: the segments hold as many snapshots as the board takes.
      await sleep(Math.random() * 2000)
    }
    const done = new Promise((resolve) => (reached = resolve))
    target = seen + perSegment
    const boardThreads0 = tasksRunNs(boardThreads)
    const times0 = threadTimes()
    const process0 = process.cpuUsage()
    const poller0 = processCpuMs(poller.pid)
    const board0 = boardTimeMs()
    const requests0 = requests
    const started = performance.now()
    jobs.resume()
    await done
    const ms = performance.now() - started
    const times1 = threadTimes()
    const boardThreadsMs = (tasksRunNs(boardThreads) - boardThreads0) / 1e6
    const used = process.cpuUsage(process0)
    const result = { board: withBoard, rate: (perSegment * 1000) / ms, ms, boardMs: boardTimeMs() - board0, requests: requests - requests0, readerThreads: readerThreads(), processCpuMs: (used.user + used.system) / 1000, pollerCpuMs: processCpuMs(poller.pid) - poller0, boardThreadsMs }
    if (times0 && times1) Object.assign(result, { cpuMs: (times1.run - times0.run) / 1e6, waitMs: (times1.wait - times0.wait) / 1e6 })
    jobs.pause()
    if (withBoard) {
      await tell('stop')
      board.close()
      board = undefined
    }
    // What was claimed before the pause finishes between segments, in neither.
    await sleep(100)
    refill()
    // Every segment starts from an empty WAL and a collected heap: what a checkpoint or a
    // collection of the refill costs must not fall into one segment and not the other.
    const side = new Database(path)
    side.pragma('wal_checkpoint(TRUNCATE)')
    side.close()
    globalThis.gc?.()
    await sleep(100)
    return result
  }
  const segments = []
  for (let pair = 0; pair <= pairs; pair++) {
    const order = pair % 2 === 0 ? [false, true] : [true, false]
    for (const withBoard of order) {
      const result = await segment(withBoard)
      if (pair > 0) segments.push({ pair, ...result }) // pair 0 warms up
    }
  }
  poller.kill()
  server.closeAllConnections()
  server.close()
  jobs.resume()
  await broker.close()
  done({ segments })
}

const modes = {
  fill: () => fill(Number(arg)),
  'fill-ready': () => fill(Number(arg), false),
  endpoints: () => endpoints(),
  drain: () => drain(Number(arg), false),
  'drain-board': () => drain(Number(arg), true),
  alternate: () => alternate(Number(arg), Number(extra)),
  poll: () => poll(arg),
}
await modes[mode]()
