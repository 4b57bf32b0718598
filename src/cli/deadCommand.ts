// `durable-ipc dead <db> [channel]`: the dead letters, oldest first, with their attempts, the
// first line of their last error and a preview of their arguments.
import type { DeadLetterRow } from '../store/index.js'
import { flag, integerOption, parseCommand, schemaHelp, stringOption } from './args.js'
import type { CommandSpec } from './args.js'
import { commandTarget, openForReading, operationFailure, requireChannel } from './database.js'
import { count, decode, duration, firstLine, preview, table, truncate } from './format.js'
import { EXIT_OK, println } from './io.js'
import type { CliIo } from './io.js'
import { argsToJson } from '../protocol/jsonArgs.js'

export const deadHelp = `Usage: durable-ipc dead <db> [channel] [options]

Lists dead letters (messages that used up their attempts), oldest first: id, channel,
subscription, attempts, when it failed, the first line of the last error, and a preview of the
arguments (<undecodable: reason> for a payload that cannot be decoded). Opens the file
readonly; in a directory it cannot write (a read-only mount) it reads the file as immutable.
Replay or purge them with 'durable-ipc replay' / 'purge'.

Options:
  --limit <n>        show at most n (default 50)
  --after <id>       start after this id (the next page)
  --json             print JSON: the whole last error, and the arguments as JSON values;
                     a value JSON cannot hold (undefined, NaN, a BigInt, a Date, a Map,
                     bytes, a repeated object...) is tagged: {"$type":"Date","value":"..."}
                     (see the README). A payload that cannot be decoded has args null and
                     'undecodable', the reason
${schemaHelp}
  -h, --help         show this help`

const spec: CommandSpec = {
  name: 'dead',
  positionals: ['<db>', '[channel]'],
  options: {
    limit: { type: 'string' },
    after: { type: 'string' },
    json: { type: 'boolean' },
  },
}

const ERROR_WIDTH = 60
const ARGS_WIDTH = 60

/**
 * Runs `dead`. Returns the exit code.
 *
 * @example
 * await deadCommand(['app.db', 'jobs', '--limit', '10'], io)
 */
export async function deadCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(spec, argv)
  if (parsed === undefined) {
    println(io.stdout, deadHelp)
    return EXIT_OK
  }
  const [, channel] = parsed.positionals as [string, string | undefined]
  const target = commandTarget('dead', parsed)
  const limit = integerOption('dead', 'limit', stringOption(parsed, 'limit'), 1) ?? 50
  const after = integerOption('dead', 'after', stringOption(parsed, 'after'), 0) ?? 0

  const store = openForReading(target)
  let rows: DeadLetterRow[]
  let total: number
  try {
    if (channel !== undefined) requireChannel(store, target.label, channel)
    // Two reads, two snapshots: a count that moved in between only makes the footer slightly off.
    rows = store.deadLettersAfter(after, channel, limit)
    total = store.stats().filter((s) => channel === undefined || s.channel === channel).reduce((n, s) => n + s.dead, 0)
  } catch (err) {
    throw operationFailure(err)
  } finally {
    store.close()
  }

  const now = Date.now()
  if (flag(parsed, 'json')) {
    const out = rows.map((row) => {
      const decoded = decode(row.payload)
      return {
        id: row.id,
        channel: row.channel,
        subscription: row.subscription,
        kind: row.kind,
        attempts: row.attempts,
        createdAt: row.createdAt,
        failedAt: row.failedAt,
        lastError: row.lastError,
        sender: decoded.ok ? decoded.envelope.sender : null,
        args: decoded.ok ? argsToJson(decoded.envelope.args) : null,
        // Only for a payload that cannot be decoded: why (args is then null).
        undecodable: decoded.ok ? undefined : decoded.error,
      }
    })
    println(io.stdout, JSON.stringify(out, null, 2))
    return EXIT_OK
  }

  const where = channel === undefined ? '' : ` of '${channel}'`
  if (rows.length === 0) {
    println(io.stdout, after > 0 ? `No dead letters${where} after id ${after}.` : `No dead letters${where}.`)
    return EXIT_OK
  }
  println(
    io.stdout,
    table(
      [
        { title: 'ID', align: 'right' },
        { title: 'CHANNEL' },
        { title: 'SUBSCRIPTION' },
        { title: 'ATTEMPTS', align: 'right' },
        { title: 'FAILED', align: 'right' },
        { title: 'LAST ERROR' },
        { title: 'ARGS' },
      ],
      rows.map((row) => [
        String(row.id),
        row.channel,
        row.subscription,
        String(row.attempts),
        `${duration(now - row.failedAt)} ago`,
        truncate(firstLine(row.lastError), ERROR_WIDTH),
        preview(decode(row.payload), ARGS_WIDTH),
      ]),
    ),
  )
  const shown = rows.length
  if (after === 0 && total > shown) {
    println(io.stdout, `\nShowing ${count(shown)} of ${count(total)} dead letters${where}; next page: --after ${rows.at(-1)!.id}`)
  } else if (shown === limit) {
    println(io.stdout, `\nNext page: --after ${rows.at(-1)!.id}`)
  }
  return EXIT_OK
}
