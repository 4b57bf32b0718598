// `durable-ipc schedules <db>`: the persisted schedules (broker.schedule()), by name: when each
// fires, the channel it enqueues to, its next slot and its last run; as a table or JSON. The
// schedule table is also the last part of `stats`.
import type { ScheduleRow, Store } from '../store/index.js'
import { flag, parseCommand, schemaHelp } from './args.js'
import type { CommandSpec } from './args.js'
import { commandTarget, openForReading, operationFailure } from './database.js'
import { duration, table, timestamp } from './format.js'
import { EXIT_OK, println } from './io.js'
import type { CliIo } from './io.js'

export const schedulesHelp = `Usage: durable-ipc schedules <db> [options]

Lists the persisted schedules (broker.schedule()), by name: when each fires (its cron
expression and time zone, or its interval), the channel each slot enqueues to, the next slot
and the last run (by whichever process fired it), in local time. Opens the file readonly: safe
while the application runs; in a directory it cannot write (a read-only mount) it reads the
file as immutable.

Options:
  --json             print JSON: an array in the shape of broker.schedules() ({ name, cron,
                     everyMs, tz, channel, nextRunAt, lastRunAt }), times as epoch ms,
                     lastRunAt null before the first run
${schemaHelp}
  -h, --help         show this help`

const spec: CommandSpec = {
  name: 'schedules',
  positionals: ['<db>'],
  options: { json: { type: 'boolean' } },
}

/** One schedule as `--json` prints it (and `stats --json` under `schedules`): times in epoch ms. */
export interface ScheduleJson {
  name: string
  cron: string | null
  everyMs: number | null
  tz: string | null
  channel: string
  nextRunAt: number
  lastRunAt: number | null
}

/**
 * Runs `schedules`. Returns the exit code.
 *
 * @example
 * await schedulesCommand(['app.db', '--json'], io)
 */
export async function schedulesCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(spec, argv)
  if (parsed === undefined) {
    println(io.stdout, schedulesHelp)
    return EXIT_OK
  }
  const target = commandTarget('schedules', parsed)
  const store = openForReading(target)
  let schedules: ScheduleJson[]
  try {
    schedules = readSchedules(store)
  } finally {
    store.close()
  }
  if (flag(parsed, 'json')) println(io.stdout, JSON.stringify(schedules, null, 2))
  else println(io.stdout, schedules.length === 0 ? `No schedules in ${target.label}.` : scheduleTable(schedules, Date.now(), true))
  return EXIT_OK
}

/**
 * The schedules of an open store, as the tool prints them. A failed read ends the command (exit 1).
 *
 * @example
 * readSchedules(store).map((s) => s.name)
 */
export function readSchedules(store: Pick<Store, 'listSchedules'>): ScheduleJson[] {
  let rows: ScheduleRow[]
  try {
    rows = store.listSchedules()
  } catch (err) {
    throw operationFailure(err)
  }
  return rows.map(({ name, cron, everyMs, tz, channel, nextRunAt, lastRunAt }) => ({ name, cron, everyMs, tz, channel, nextRunAt, lastRunAt }))
}

/**
 * The schedules as an aligned table: name, when it fires (`when`: the schedules command; stats
 * leaves it out), channel, next slot and last run, each time with how far from `now` it is.
 *
 * @example
 * scheduleTable(readSchedules(store), Date.now(), true)
 * // 'SCHEDULE  WHEN          CHANNEL  NEXT                          LAST\nnightly   0 3 * * * UTC  report   2026-11-26 04:00:00 (in 15h 2m)  -'
 */
export function scheduleTable(schedules: readonly ScheduleJson[], now: number, when: boolean): string {
  const columns = [{ title: 'SCHEDULE' }, ...(when ? [{ title: 'WHEN' }] : []), { title: 'CHANNEL' }, { title: 'NEXT' }, { title: 'LAST' }]
  return table(
    columns,
    schedules.map((s) => [
      s.name,
      ...(when ? [describeWhen(s)] : []),
      s.channel,
      `${timestamp(s.nextRunAt)} (${s.nextRunAt > now ? `in ${duration(s.nextRunAt - now)}` : 'due'})`,
      s.lastRunAt === null ? '-' : `${timestamp(s.lastRunAt)} (${duration(now - s.lastRunAt)} ago)`,
    ]),
  )
}

// `0 3 * * * Europe/Berlin`, or `every 30s` (`every 1500ms` when not whole seconds).
function describeWhen(s: ScheduleJson): string {
  if (s.cron !== null) return `${s.cron} ${s.tz ?? 'UTC'}`
  const ms = s.everyMs ?? 0
  return ms % 1000 === 0 ? `every ${duration(ms)}` : `every ${ms}ms`
}
