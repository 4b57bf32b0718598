// A throwaway local PostgreSQL for the PostgreSQL baselines: Debian's binaries
// (/usr/lib/postgresql/<version>/bin), initdb on a fresh directory, started on a free port of
// 127.0.0.1 with PostgreSQL's DEFAULT durability (fsync on, synchronous_commit on, full page
// writes): the figures are what a real deployment pays per commit, unlike the tests' server, which
// turns fsync off. Stopped and deleted by the bench. Without the binaries the bench says so in one
// line and leaves PostgreSQL out. (test/support/postgresServer.ts is TypeScript and not built, so
// the bench has this small starter of its own, as bench/redis.mjs has for Redis.)
import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

function binDir() {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return undefined
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin')
}

/**
 * Starts a server, or returns undefined (after one line on stderr) when there are no binaries.
 * Returns { url, version, stop }.
 */
export async function startPostgres() {
  const bin = binDir()
  if (bin === undefined) {
    console.error('  PostgreSQL left out: no PostgreSQL binaries here (Debian: apt-get install -y postgresql)')
    return undefined
  }
  const asRoot = process.getuid?.() === 0
  const dir = mkdtempSync(join(asRoot ? '/tmp' : tmpdir(), 'dipc-bench-pg-'))
  const data = join(dir, 'data')
  if (asRoot) {
    const [, , uid, gid] = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).trim().split(':')
    chownSync(dir, Number(uid), Number(gid))
  }
  chmodSync(dir, 0o700)
  const run = (tool, args) => {
    const [command, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args]
    return execFileSync(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir, encoding: 'utf8' })
  }
  // trust on 127.0.0.1 only: a bench server no one else reaches, gone when the bench ends.
  run('initdb', ['-D', data, '-U', 'bench', '-A', 'trust', '-E', 'UTF8', '--locale', 'C'])
  const port = await freePort()
  // Only what a server needs to be reachable here; durability settings are PostgreSQL's defaults.
  const settings = [`-p ${port}`, '-c listen_addresses=127.0.0.1', `-c unix_socket_directories=${dir}`].join(' ')
  try {
    run('pg_ctl', ['-D', data, '-o', settings, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start'])
  } catch (err) {
    const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8').slice(-1000) : ''
    rmSync(dir, { recursive: true, force: true })
    console.error(`  PostgreSQL left out: the server did not start: ${err.message.split('\n')[0]}\n${log}`)
    return undefined
  }
  const version = run('postgres', ['--version']).trim()
  return {
    url: `postgres://bench@127.0.0.1:${port}/postgres`,
    version,
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop'])
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}
