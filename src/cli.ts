#!/usr/bin/env node
// The `durable-ipc` executable (package.json "bin"): wires the process to the tool in src/cli/.
// First: it must run before better-sqlite3 loads.
import './cli/uriFilenames.js'
import { main } from './cli/main.js'

const stop = new AbortController()
// The first Ctrl-C stops a --watch or a tail cleanly; a second one ends the process at once.
const onSignal = (): void => {
  if (stop.signal.aborted) process.exit(130)
  stop.abort()
}
process.on('SIGINT', onSignal)
process.on('SIGTERM', onSignal)
// `durable-ipc tail app.db | head` closes the pipe: that ends the tool quietly, not with a stack.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0)
  throw err
})

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  signal: stop.signal,
})
