// Job queues on PostgreSQL, side by side in one run: durable-ipc's PostgreSQL store (through the
// Store API, as a consumer uses it), pg-boss and graphile-worker (devDependencies of the bench
// only), on a throwaway local server with PostgreSQL's default durability (bench/pgServer.mjs;
// left out with one line when there are no PostgreSQL binaries). Each scenario runs in a fresh
// child process on a fresh database. Modes as bench/durable.mjs: `backlog` enqueues N then drains
// with one worker at concurrency 1; `together` runs producer and worker at once. jobs/s.
// Usage: node bench/postgres.mjs [--quick]    (run after `npm run build`)
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startPostgres } from './pgServer.mjs'

const quick = process.argv.includes('--quick')
const here = fileURLToPath(new URL('.', import.meta.url))
const scenario = join(here, 'postgresScenario.mjs')
const require = createRequire(import.meta.url)
const pg = require('pg')

// The broker over PostgreSQL (store and forward) comes first once createBroker takes `postgres`:
// until then its scenario answers { skipped } and the row says so.
const systems = ['broker', 'store-1', 'store-batch', 'pg-boss', 'graphile-worker']

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

function versionOf(name) {
  try {
    return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version
  } catch {
    return undefined
  }
}

let databases = 0
async function run(serverUrl, system, mode, count) {
  const name = `bench_${process.pid}_${++databases}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  const dir = mkdtempSync(join(tmpdir(), 'dipc-bench-pg-run-'))
  try {
    await admin.query(`CREATE DATABASE ${name}`)
    const url = serverUrl.replace(/\/postgres$/, `/${name}`)
    const out = execFileSync(process.execPath, [scenario, system, mode, String(count), url, dir], { encoding: 'utf8', maxBuffer: 1 << 24 })
    return JSON.parse(out.trim().split('\n').pop())
  } finally {
    rmSync(dir, { recursive: true, force: true })
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {})
    await admin.end()
  }
}

/** Returns { server, versions, rows } or undefined when there is no PostgreSQL here. */
export async function postgresBench() {
  const server = await startPostgres()
  if (server === undefined) return undefined
  try {
    // The one-at-a-time systems commit (and fsync) twice a job, ~100/s here: 2,000 jobs keep each
    // of their runs under a minute; their rate is what is compared.
    const countOf = (system) => (system === 'pg-boss' || system === 'store-1' ? 2_000 : 20_000)
    const reps = quick ? 1 : 3
    const rows = []
    const skipped = new Set()
    for (const mode of ['backlog', 'together']) {
      for (const system of systems) {
        if (skipped.has(system)) continue
        const results = []
        let reason
        for (let i = 0; i < reps && reason === undefined; i++) {
          const result = await run(server.url, system, mode, countOf(system))
          if (result.skipped === undefined) results.push(result)
          else reason = result.skipped
        }
        if (reason !== undefined) {
          skipped.add(system)
          console.error(`  ${system} left out: ${reason}`)
          continue
        }
        const row = { count: countOf(system), mode, system, 'jobs/s': Math.round(median(results.map((r) => r.rate))) }
        if (mode === 'backlog') {
          row['enqueue/s'] = Math.round(median(results.map((r) => r.enqueueRate)))
          row['drain/s'] = Math.round(median(results.map((r) => r.drainRate)))
        }
        row.runs = results.map((r) => Math.round(r.rate)).join(' ')
        rows.push(row)
        console.error(`  ${JSON.stringify(row)}`)
      }
    }
    const versions = { server: server.version, 'pg-boss': versionOf('pg-boss'), 'graphile-worker': versionOf('graphile-worker'), pg: versionOf('pg') }
    return { versions, rows }
  } finally {
    server.stop()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await postgresBench()
  if (result !== undefined) {
    console.table([result.versions])
    console.table(result.rows)
    console.log(JSON.stringify(result))
  }
}
