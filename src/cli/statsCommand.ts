// `durable-ipc stats <db>`: queue counts per durable channel and per renderer inbox, and the
// schedules' next and last runs, as a table or JSON, once or refreshed until Ctrl-C.
import { setTimeout as sleep } from 'node:timers/promises'
import { summarizeStats } from '../protocol/stats.js'
import type { DurableChannelStats, RendererInboxStats } from '../protocol/stats.js'
import type { Store } from '../store/index.js'
import { flag, integerOption, parseCommand, schemaHelp, stringOption } from './args.js'
import type { CommandSpec } from './args.js'
import { commandTarget, openForReading, operationFailure } from './database.js'
import { count, duration, table, timestamp } from './format.js'
import { EXIT_OK, println } from './io.js'
import type { CliIo } from './io.js'
import { readSchedules, scheduleTable } from './schedulesCommand.js'
import type { ScheduleJson } from './schedulesCommand.js'

export const statsHelp = `Usage: durable-ipc stats <db> [options]

Shows, per durable channel, the messages ready, delayed (back-off or delayMs), in flight and
dead, and the age of the oldest waiting one; then each renderer inbox's depth; then each
schedule's channel, next slot and last run (see 'durable-ipc schedules'). Opens the file
readonly: safe while the application runs. In a directory it cannot write (a read-only mount)
it reads the file as immutable: as it is when the command starts, also with --watch.

Options:
  --json             print JSON instead of a table: the shape of broker.stats() ({ at,
                     durable, renderers, transient }, plus path: the file, or a
                     URL's label without its user and password), with null for what only a
                     running broker knows: each channel's delivered and failed (counts since
                     that broker opened), each renderer's open, and transient (listeners);
                     plus schedules, as 'durable-ipc schedules --json' prints them
  --watch            refresh until Ctrl-C (JSON: one object per line)
  --interval <ms>    time between refreshes with --watch (default 1000)
  --count <n>        with --watch: stop after n refreshes
${schemaHelp}
  -h, --help         show this help`

const spec: CommandSpec = {
  name: 'stats',
  positionals: ['<db>'],
  options: {
    json: { type: 'boolean' },
    watch: { type: 'boolean' },
    interval: { type: 'string' },
    count: { type: 'string' },
  },
}

/**
 * What `--json` prints: broker.stats()'s shape, every key there, null where only the running broker
 * could tell (its counts since it opened, its open renderers, its transient listeners).
 */
interface StatsJson {
  path: string
  at: number
  durable: Record<string, Omit<DurableChannelStats, 'delivered' | 'failed'> & { delivered: null; failed: null }>
  renderers: Record<string, Omit<RendererInboxStats, 'open'> & { open: null }>
  transient: null
  schedules: ScheduleJson[]
}

/**
 * Runs `stats`. Returns the exit code.
 *
 * @example
 * await statsCommand(['app.db', '--json'], io)
 */
export async function statsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(spec, argv)
  if (parsed === undefined) return help(io)
  const target = commandTarget('stats', parsed)
  const json = flag(parsed, 'json')
  const watch = flag(parsed, 'watch')
  const interval = integerOption('stats', 'interval', stringOption(parsed, 'interval'), 10) ?? 1000
  const frames = integerOption('stats', 'count', stringOption(parsed, 'count'), 1)

  const store = openForReading(target)
  try {
    for (let frame = 1; ; frame++) {
      const snapshot = read(store, target.label)
      if (json) println(io.stdout, JSON.stringify(snapshot, null, watch ? undefined : 2))
      else render(io, snapshot, watch)
      if (!watch || (frames !== undefined && frame >= frames)) return EXIT_OK
      try {
        await sleep(interval, undefined, { signal: io.signal })
      } catch {
        return EXIT_OK // Ctrl-C: the way --watch is meant to end
      }
    }
  } finally {
    store.close()
  }
}

function help(io: CliIo): number {
  println(io.stdout, statsHelp)
  return EXIT_OK
}

function read(store: Store, path: string): StatsJson {
  const at = Date.now()
  let stored: ReturnType<typeof summarizeStats>
  try {
    stored = summarizeStats(store.stats(at), at)
  } catch (err) {
    throw operationFailure(err)
  }
  const stats: StatsJson = { path, at, durable: {}, renderers: {}, transient: null, schedules: readSchedules(store) }
  for (const [name, channel] of Object.entries(stored.channels)) stats.durable[name] = { ...channel, delivered: null, failed: null }
  for (const [id, inbox] of Object.entries(stored.renderers)) stats.renderers[id] = { ...inbox, open: null }
  return stats
}

function render(io: CliIo, stats: StatsJson, watch: boolean): void {
  const lines: string[] = []
  // A terminal gets a redrawn screen; a pipe or file gets frames one after another.
  if (watch && io.stdout.isTTY) io.stdout.write('\x1b[H\x1b[2J')
  if (watch) lines.push(`${stats.path}  ${timestamp(stats.at)}${io.stdout.isTTY ? '  (Ctrl-C to stop)' : ''}`, '')

  const channels = Object.entries(stats.durable).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  if (channels.length === 0) {
    lines.push(`No durable channels in ${stats.path}.`)
  } else {
    lines.push(
      table(
        [
          { title: 'CHANNEL' },
          { title: 'READY', align: 'right' },
          { title: 'DELAYED', align: 'right' },
          { title: 'IN FLIGHT', align: 'right' },
          { title: 'DEAD', align: 'right' },
          { title: 'OLDEST', align: 'right' },
        ],
        channels.map(([name, c]) => [
          c.paused ? `${name} (paused)` : name,
          count(c.ready),
          count(c.delayed),
          count(c.inFlight),
          count(c.dead),
          c.oldestAgeMs === null ? '-' : duration(c.oldestAgeMs),
        ]),
      ),
    )
  }

  const renderers = Object.entries(stats.renderers).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  if (renderers.length > 0) {
    lines.push(
      '',
      table(
        [{ title: 'RENDERER' }, { title: 'INBOX', align: 'right' }, { title: 'CHANNELS' }],
        renderers.map(([id, inbox]) => [
          id,
          count(inbox.depth),
          Object.entries(inbox.channels)
            .map(([channel, depth]) => `${channel} ${count(depth)}`)
            .join(', '),
        ]),
      ),
    )
  }
  if (stats.schedules.length > 0) lines.push('', scheduleTable(stats.schedules, stats.at, false))
  if (watch && !io.stdout.isTTY) lines.push('')
  println(io.stdout, lines.join('\n'))
}
