// What a job costs PostgreSQL and the node processes (issue #15): round trips and transactions per
// job, and CPU µs per job of the server (every postgres process, exited backends included through
// the postmaster's cutime/cstime) and of the node processes (split by thread: main, workers, the
// rest). Two phases per run, each measured on its own: `forward` (the nodes enqueue their share with
// no listener; done when PostgreSQL holds every job) and `consume` (the listeners attach and drain
// it), then `end to end` (enqueue and drain at once, as bench/postgresNodes.mjs does).
// Usage: node bench/postgresCost.mjs [--nodes 1,3] [--jobs 20000] [--dist ../other/dist] [--json] (after `npm run build`).
import { fork } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { startPostgres } from './pgServer.mjs'

const require = createRequire(import.meta.url)
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : fallback
}
const TICK = 1e6 / 100 // µs per clock tick (USER_HZ = 100 on Linux)
const payload = { id: 0, kind: 'order', customer: 'customer-0001', total: 1234.5, note: 'x'.repeat(24) }

// /proc/<pid>/stat fields after the command: [state, ppid, ...]; utime is field 14, stime 15, cutime 16, cstime 17.
function stat(path) {
  try {
    const text = readFileSync(path, 'utf8')
    const close = text.lastIndexOf(')')
    const comm = text.slice(text.indexOf('(') + 1, close)
    const f = text.slice(close + 2).split(' ')
    return { comm, ppid: Number(f[1]), utime: Number(f[11]), stime: Number(f[12]), cutime: Number(f[13]), cstime: Number(f[14]) }
  } catch {
    return undefined
  }
}

/** CPU µs of the postmaster and all its children, the exited ones included. */
function serverCpu(postmaster) {
  const own = stat(`/proc/${postmaster}/stat`)
  let ticks = own.utime + own.stime + own.cutime + own.cstime
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const s = stat(`/proc/${entry}/stat`)
    if (s !== undefined && s.ppid === postmaster) ticks += s.utime + s.stime
  }
  return ticks * TICK
}

/** CPU µs of a node process, by thread: main (the event loop), worker threads ('node' named others), the rest (libuv, V8). */
function nodeCpu(pid) {
  const out = { total: 0, main: 0, workers: 0, other: 0 }
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const s = stat(`/proc/${pid}/task/${task}/stat`)
    if (s === undefined) continue
    const us = (s.utime + s.stime) * TICK
    out.total += us
    if (Number(task) === pid) out.main += us
    else if (/^(node|WorkerThread)$/.test(s.comm)) out.workers += us
    else out.other += us
  }
  return out
}

const [role] = process.argv.slice(2)
if (role === 'node') {
  const [, url, dir, schema, name, shareText, dist] = process.argv.slice(2)
  // Every query of the pool (the hot path: forward, claim, report, ack) on this thread: the pg that dist loads.
  const pg = createRequire(join(dist, 'index.js'))('pg')
  let trips = 0
  const query = pg.Client.prototype.query
  pg.Client.prototype.query = function (...args) {
    trips++
    return query.apply(this, args)
  }
  const { createBroker } = await import(pathToFileURL(join(dist, 'index.js')).href)
  const broker = createBroker({ path: join(dir, `${name}.db`), postgres: { connectionString: url, schema } })
  broker.channel('jobs', { durable: true })
  let seen = 0
  const listener = () => void seen++
  process.on('message', (message) => {
    if (message === 'enqueue') {
      for (let i = 0; i < Number(shareText); i++) broker.enqueue('jobs', [{ ...payload, id: i }])
    } else if (message === 'listen') broker.ipcMain.on('jobs', listener)
    else if (message === 'count') process.send({ seen, trips })
  })
  process.send({ ready: true })
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const nodeCounts = arg('nodes', '1,3').split(',').map(Number)
  const jobs = Number(arg('jobs', '20000'))
  const dist = resolve(arg('dist', fileURLToPath(new URL('../dist', import.meta.url))))
  const server = await startPostgres()
  if (server === undefined) process.exit(0)
  const pg = require('pg')
  const admin = new pg.Client({ connectionString: server.url })
  await admin.connect()
  const postmaster = stat(`/proc/${(await admin.query('SELECT pg_backend_pid() AS pid')).rows[0].pid}/stat`).ppid
  const xacts = async () => Number((await admin.query("SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()")).rows[0].n)
  const rows = []
  try {
    for (const nodes of nodeCounts) {
      for (const phase of ['split', 'end to end']) rows.push(...(await run(nodes, phase)))
    }
  } finally {
    await admin.end()
    server.stop()
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify({ dist, rows }))
  else {
    console.log(`dist: ${dist}`)
    console.table(rows)
  }

  async function run(nodes, mode) {
    const work = mkdtempSync(join(tmpdir(), 'durable-ipc-cost-'))
    const schema = `c${nodes}_${Date.now()}`
    const share = Math.ceil(jobs / nodes)
    const total = share * nodes
    const script = fileURLToPath(import.meta.url)
    const children = Array.from({ length: nodes }, (_, i) =>
      fork(script, ['node', server.url, work, schema, `node-${i}`, String(share), dist], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }))
    const ask = () => Promise.all(children.map((child) => new Promise((done) => { child.once('message', done); child.send('count') })))
    const sleep = (ms) => new Promise((done) => setTimeout(done, ms))
    const sample = async () => {
      const counts = await ask()
      const cpu = children.map((child) => nodeCpu(child.pid))
      return {
        at: performance.now(), server: serverCpu(postmaster), xacts: await xacts(),
        seen: counts.reduce((a, c) => a + c.seen, 0), trips: counts.reduce((a, c) => a + c.trips, 0),
        node: cpu.reduce((a, c) => ({ total: a.total + c.total, main: a.main + c.main, workers: a.workers + c.workers, other: a.other + c.other })),
      }
    }
    const row = (phase, a, b) => {
      const per = (x) => +(x / total).toFixed(1)
      const seconds = (b.at - a.at) / 1000
      return {
        nodes, phase, 'jobs/s': Math.round(total / seconds), 'trips/job': +((b.trips - a.trips) / total).toFixed(3),
        // pg_stat_database is flushed by each backend at most once a second: a lower bound.
        'xacts/job': +((b.xacts - a.xacts) / total).toFixed(3),
        'pg µs/job': per(b.server - a.server), 'node µs/job': per(b.node.total - a.node.total),
        'main': per(b.node.main - a.node.main), 'workers': per(b.node.workers - a.node.workers), 'other': per(b.node.other - a.node.other),
        'cores busy': +((b.server - a.server + b.node.total - a.node.total) / 1e6 / seconds).toFixed(2),
      }
    }
    const forwarded = async () => Number((await admin.query(`SELECT count(*)::int AS n FROM "${schema}".durable_ipc_messages`)).rows[0].n)
    try {
      await Promise.all(children.map((child) => new Promise((done) => child.once('message', done))))
      await sleep(300)
      const out = []
      if (mode === 'split') {
        const a = await sample()
        for (const child of children) child.send('enqueue')
        while ((await forwarded()) < total) await sleep(20)
        const b = await sample()
        out.push(row('forward', a, b))
        for (const child of children) child.send('listen')
        for (;;) {
          await sleep(20)
          if ((await ask()).reduce((n, c) => n + c.seen, 0) >= total) break
        }
        out.push(row('consume', b, await sample()))
      } else {
        for (const child of children) child.send('listen')
        await sleep(200)
        const a = await sample()
        for (const child of children) child.send('enqueue')
        for (;;) {
          await sleep(20)
          if ((await ask()).reduce((n, c) => n + c.seen, 0) >= total) break
        }
        out.push(row('end to end', a, await sample()))
      }
      return out
    } finally {
      for (const child of children) child.kill('SIGKILL')
      rmSync(work, { recursive: true, force: true })
    }
  }
}
