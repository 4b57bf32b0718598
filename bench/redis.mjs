// A throwaway local Redis for the BullMQ baseline: Debian's redis-server on a free port, with no
// persistence files (--save "" --appendonly no: BullMQ's usual local setup), stopped by the bench.
// BullMQ is a devDependency of the benchmark only. Without redis-server the bench says so in one
// line and leaves BullMQ out.
import { spawn, spawnSync } from 'node:child_process'
import { createServer } from 'node:net'

/** Starts redis-server, or returns undefined (after one line on stderr) when there is none. */
export async function startRedis() {
  if (spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status !== 0) {
    console.error('  BullMQ left out: no redis-server here (Debian: apt-get install -y redis-server)')
    return undefined
  }
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'], { stdio: 'ignore' })
  for (let i = 0; i < 100; i++) {
    if (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG') {
      return { port, stop: () => child.kill('SIGTERM') }
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  child.kill('SIGKILL')
  console.error('  BullMQ left out: redis-server did not answer')
  return undefined
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
