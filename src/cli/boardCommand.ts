// `durable-ipc board <db>`: serves the web board over a database file on 127.0.0.1 (by default)
// and prints the URL to open, token included; runs until Ctrl-C or SIGTERM.
import { createServer } from 'node:http'
import { once } from 'node:events'
import { createBoard } from '../board/createBoard.js'
import type { Board } from '../board/createBoard.js'
import { targetPath } from '../board/target.js'
import { flag, integerOption, parseCommand, schemaHelp, stringOption } from './args.js'
import type { CommandSpec } from './args.js'
import { commandTarget, openForReading, openForRepair } from './database.js'
import { CliError, EXIT_OK, EXIT_USAGE, println, UsageError } from './io.js'
import type { CliIo } from './io.js'

export const boardHelp = `Usage: durable-ipc board <db> [options]

Serves a web board over the file (or the PostgreSQL store a postgres:// URL names): every durable channel's counts and deliveries, renderer
inboxes, schedules, jobs by state, each job in full, live as the application (or any process)
writes. Unless --read-only it can pause and resume channels, cancel jobs, replay and purge dead
letters and run schedules now, each one short transaction. Prints the URL to open; the token in
it is needed for every page and action (GET /metrics excepted). Stops on Ctrl-C.

Options:
  --port <n>         port to listen on (default 4545; 0 picks a free one)
  --host <h>         address to bind (default 127.0.0.1; anything else exposes the data)
  --read-only        open the database readonly: no action, and the page shows none
  --token <t>        the token (16 or more printable characters; default: random per start)
${schemaHelp}
  -h, --help         show this help`

const spec: CommandSpec = {
  name: 'board',
  positionals: ['<db>'],
  options: { port: { type: 'string' }, host: { type: 'string' }, 'read-only': { type: 'boolean' }, token: { type: 'string' } },
}

/**
 * Runs `board`. Returns the exit code once stopped.
 *
 * @example
 * await boardCommand(['app.db', '--read-only'], io)
 */
export async function boardCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(spec, argv)
  if (parsed === undefined) {
    println(io.stdout, boardHelp)
    return EXIT_OK
  }
  const target = commandTarget('board', parsed)
  const port = integerOption('board', 'port', stringOption(parsed, 'port'), 0) ?? 4545
  if (port > 65535) throw new UsageError('board', '--port expects a port number up to 65535')
  const host = stringOption(parsed, 'host') ?? '127.0.0.1'
  const readOnly = flag(parsed, 'read-only')
  const token = stringOption(parsed, 'token')
  if (token !== undefined && !/^[\x21-\x7e]{16,256}$/.test(token)) throw new UsageError('board', '--token expects 16 to 256 printable characters without spaces')

  // The command-line tool's checks first: one clear line for a missing or unusable file.
  if (readOnly) openForReading(target).close()
  else openForRepair(target, 5000).close()
  let board: Board
  try {
    board = createBoard({ path: targetPath(target) }, { readOnly, ...(token === undefined ? {} : { token }) })
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message.split('\n')[0]! : String(err), EXIT_USAGE, { cause: err })
  }
  const server = createServer(board.handler)
  try {
    server.listen(port, host)
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err as Error))])
  } catch (err) {
    board.close()
    throw new CliError(`cannot listen on ${host}:${port}: ${(err as Error).message}`, EXIT_USAGE, { cause: err })
  }
  const address = server.address()
  const bound = typeof address === 'object' && address !== null ? address.port : port
  const shownHost = host.includes(':') ? `[${host}]` : host
  println(io.stdout, `durable-ipc board on ${target.label}${readOnly ? ' (read-only)' : ''}`)
  println(io.stdout, `Open ${board.url(`http://${shownHost}:${bound}`)}`)
  println(io.stdout, `Metrics at http://${shownHost}:${bound}/metrics. Ctrl-C to stop.`)
  if (!io.signal.aborted) await once(io.signal, 'abort')
  board.close()
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  println(io.stderr, 'Board stopped.')
  return EXIT_OK
}
