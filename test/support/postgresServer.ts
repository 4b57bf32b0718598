// A throwaway PostgreSQL server for the tests: initdb on a fresh data directory, started on a free
// TCP port of 127.0.0.1 with settings that trade durability for speed (fsync off: the data is thrown
// away anyway), password authentication (so that tests can check that no password leaks into an
// error), stopped and deleted at the end. Debian's `postgresql` package provides the binaries
// (/usr/lib/postgresql/<version>/bin); initdb and postgres refuse to run as root, so as root they
// run as the `postgres` user, in a directory it owns. DURABLE_IPC_PG_URL points the tests at an
// existing server instead. Fault tests start one of their own (`crashSafe` when they stop it hard
// and count on what it confirmed) and kill() and restart() it.

import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A running server, and how to reach and stop it. */
export interface PostgresServer {
  /** postgres://user:password@127.0.0.1:port/postgres */
  url: string
  port: number
  /** The server's log (with `logConnections`, a `connection received` line per connection). */
  logFile: string
  /** Stops it as a crash would (`pg_ctl stop -m immediate`); the data directory stays. */
  kill(): void
  /** Starts it again on the same data directory and port, waiting until it accepts connections. */
  restart(): void
  stop(): void
}

/** How to start a server of a test's own. */
export interface PostgresServerOptions {
  /** The port; default a free one. */
  port?: number
  /**
   * fsync on, synchronous_commit on: a commit it confirmed survives kill(). Off (the default),
   * stop -m immediate loses commits it had confirmed: right for throwaway data, wrong for a test
   * that stops it and then counts what was stored.
   */
  crashSafe?: boolean
  /** log_connections=on: one `connection received` line in `logFile` per connection attempt. */
  logConnections?: boolean
}

/** The line a test run without PostgreSQL fails with. */
export const howToGetPostgres =
  'PostgreSQL tests need a server: install Debian\'s postgresql package (apt-get update && apt-get install -y postgresql; .ci/run does so) or set DURABLE_IPC_PG_URL=postgres://user:password@host:port/database'

/** The test user's password: checked against every error message (it must never appear). */
export const testPassword = 'pw-Zq81-never-in-errors'
const user = 'durable'

/** The bin directory of the newest installed PostgreSQL, or undefined when none is. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return undefined
  const versions = readdirSync(root)
    .filter((name) => existsSync(join(root, name, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin')
}

/** A TCP port of 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/**
 * Starts a fresh server (initdb + pg_ctl start, waiting until it accepts connections). Throws with
 * `howToGetPostgres` when the binaries are missing.
 *
 * @example
 * const server = await startPostgresServer({ crashSafe: true })
 * // ... server.url ... server.kill() ... server.restart()
 * server.stop()
 */
export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const bin = postgresBinDir()
  if (bin === undefined) throw new Error(howToGetPostgres)
  const asRoot = process.getuid?.() === 0
  // As root, in /tmp: the postgres user must be able to reach the directory (TMPDIR may be root's own).
  const dir = mkdtempSync(join(asRoot ? '/tmp' : tmpdir(), 'durable-ipc-pg-'))
  const data = join(dir, 'data')
  const pwfile = join(dir, 'pw')
  writeFileSync(pwfile, `${testPassword}\n`)
  if (asRoot) {
    const { uid, gid } = postgresUser()
    chownSync(dir, uid, gid)
    chownSync(pwfile, uid, gid)
  }
  chmodSync(dir, 0o700)
  // As root: the postgres user runs the server binaries; otherwise they run as whoever runs the tests.
  const run = (tool: string, args: string[]): void => {
    const [command, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args]
    execFileSync(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir })
  }
  run('initdb', ['-D', data, '-U', user, '--pwfile', pwfile, '-A', 'scram-sha-256', '--no-sync', '-E', 'UTF8', '--locale', 'C'])
  const port = options.port ?? (await freePort())
  const logFile = join(dir, 'server.log')
  const settings = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    `-c unix_socket_directories=${dir}`,
    ...(options.crashSafe === true
      ? // What a commit returned for must survive stop -m immediate (the WAL reaches the disk).
        ['-c fsync=on', '-c synchronous_commit=on', '-c full_page_writes=on']
      : // Throwaway data: nothing needs to reach the disk.
        ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
    ...(options.logConnections === true ? ['-c log_connections=on'] : []),
    // The contract suite opens many stores (a pool and a bridge connection each), some at once.
    '-c max_connections=400',
    '-c shared_buffers=32MB',
  ].join(' ')
  const startServer = (): void => run('pg_ctl', ['-D', data, '-o', settings, '-l', logFile, '-w', '-t', '60', 'start'])
  try {
    startServer()
  } catch (err) {
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : ''
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`The test PostgreSQL server did not start: ${(err as Error).message}\n${log}`, { cause: err })
  }
  let stopped = false
  let running = true
  return {
    url: `postgres://${user}:${testPassword}@127.0.0.1:${port}/postgres`,
    port,
    logFile,
    kill() {
      if (stopped || !running) return
      running = false
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
    },
    restart() {
      if (stopped || running) return
      startServer()
      running = true
    },
    stop() {
      if (stopped) return
      stopped = true
      try {
        if (running) run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}

function postgresUser(): { uid: number; gid: number } {
  const line = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).trim()
  const [, , uid, gid] = line.split(':')
  if (uid === undefined || gid === undefined) throw new Error(`no postgres user: ${howToGetPostgres}`)
  return { uid: Number(uid), gid: Number(gid) }
}
