// `durable-ipc tail <db> [channel]`: prints messages as they are stored, from a readonly
// connection that polls PRAGMA data_version (a cheap "someone committed" probe) and reads what has
// an id above the last one it printed.
import { setTimeout as sleep } from 'node:timers/promises'
import type { StoredMessage } from '../store/index.js'
import { flag, integerOption, parseCommand, schemaHelp, stringOption } from './args.js'
import type { CommandSpec } from './args.js'
import { commandTarget, openForReading, operationFailure, requireChannel } from './database.js'
import { decode, duration, preview } from './format.js'
import { EXIT_OK, println } from './io.js'
import type { CliIo } from './io.js'
import { argsToJson } from '../protocol/jsonArgs.js'

export const tailHelp = `Usage: durable-ipc tail <db> [channel] [options]

Prints each message as it is stored (one line per subscription it is stored for), until Ctrl-C.
Opens the file readonly. It sees what is still stored when it looks, every --interval ms: a
message acknowledged sooner than that may not show. In a directory it cannot write (a read-only
mount) it reads the file as immutable, as it is when it starts: nothing new shows.

Options:
  --existing         first print the messages already waiting
  --json             one JSON object per line, the arguments as JSON values (tagged as in
                     'dead --json' where JSON cannot hold them; null when undecodable)
  --count <n>        stop after n messages
  --interval <ms>    how often to look (default 100)
${schemaHelp}
  -h, --help         show this help`

const spec: CommandSpec = {
  name: 'tail',
  positionals: ['<db>', '[channel]'],
  options: {
    existing: { type: 'boolean' },
    json: { type: 'boolean' },
    count: { type: 'string' },
    interval: { type: 'string' },
  },
}

const PAGE = 500
const ARGS_WIDTH = 200

/**
 * Runs `tail`. Returns the exit code (0 when stopped by Ctrl-C or after --count messages).
 *
 * @example
 * await tailCommand(['app.db', 'jobs', '--json'], io)
 */
export async function tailCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(spec, argv)
  if (parsed === undefined) {
    println(io.stdout, tailHelp)
    return EXIT_OK
  }
  const [, channel] = parsed.positionals as [string, string | undefined]
  const target = commandTarget('tail', parsed)
  const limit = integerOption('tail', 'count', stringOption(parsed, 'count'), 1)
  const interval = integerOption('tail', 'interval', stringOption(parsed, 'interval'), 1) ?? 100
  const json = flag(parsed, 'json')

  const store = openForReading(target)
  try {
    if (channel !== undefined) requireChannel(store, target.label, channel)
    let after = flag(parsed, 'existing') ? 0 : guard(() => store.lastMessageId())
    let printed = 0
    let version: number | undefined
    while (!io.signal.aborted) {
      const now = guard(() => store.changeToken())
      // Nothing committed since the last look: skip the read.
      if (now !== version) {
        version = now
        for (;;) {
          const page = guard(() => store.messagesAfter(after, channel, PAGE))
          for (const message of page) {
            println(io.stdout, json ? toJson(message) : toLine(message))
            if (limit !== undefined && ++printed >= limit) return EXIT_OK
          }
          if (page.length === 0) break
          after = page.at(-1)!.id
          if (page.length < PAGE) break
        }
      }
      try {
        await sleep(interval, undefined, { signal: io.signal })
      } catch {
        break // Ctrl-C
      }
    }
    return EXIT_OK
  } finally {
    store.close()
  }
}

function guard<R>(read: () => R): R {
  try {
    return read()
  } catch (err) {
    throw operationFailure(err)
  }
}

/**
 * `2026-11-25T12:00:01.123Z  #43  jobs  main  [ { order: 42 } ]`, plus kind, key, delay and sender
 * when notable. Not its attempts: they change after it is stored (JSON has them, as first seen).
 */
function toLine(message: StoredMessage): string {
  const decoded = decode(message.payload)
  const parts = [new Date(message.createdAt).toISOString(), `#${message.id}`, message.channel, message.subscription]
  if (message.kind === 'invoke') parts.push('invoke')
  if (message.key !== null) parts.push(`key=${message.key}`)
  if (message.visibleAt > message.createdAt && !message.leased && message.attempts === 0) parts.push(`delayed ${duration(message.visibleAt - message.createdAt)}`)
  if (decoded.ok && decoded.envelope.sender !== null) parts.push(`from=${decoded.envelope.sender}`)
  parts.push(preview(decoded, ARGS_WIDTH))
  return parts.join('  ')
}

function toJson(message: StoredMessage): string {
  const decoded = decode(message.payload)
  return JSON.stringify({
    id: message.id,
    channel: message.channel,
    subscription: message.subscription,
    kind: message.kind,
    key: message.key,
    createdAt: message.createdAt,
    visibleAt: message.visibleAt,
    attempts: message.attempts,
    sender: decoded.ok ? decoded.envelope.sender : null,
    args: decoded.ok ? argsToJson(decoded.envelope.args) : null,
    undecodable: decoded.ok ? undefined : decoded.error,
  })
}
