// `durable-ipc jobs <db> <channel>`, `job <db> <id>`, `pause <db> <channel>` and `resume <db>
// <channel>`: the job control plane from the shell, safe while the application runs (reads are
// readonly; pause and resume are one short transaction each).
import type { JobRow } from '../store/index.js'
import { decodeValue } from '../protocol/envelope.js'
import { argsToJson } from '../protocol/jsonArgs.js'
import type { JobState } from '../types.js'
import { flag, integerOption, parseCommand, schemaHelp, stringOption } from './args.js'
import type { CommandSpec } from './args.js'
import { commandTarget, openForReading, openForRepair, operationFailure, requireChannel } from './database.js'
import { decode, duration, firstLine, preview, table, timestamp, truncate } from './format.js'
import { CliError, EXIT_FAILED, EXIT_OK, println, UsageError } from './io.js'
import type { CliIo } from './io.js'

const STATES: readonly JobState[] = ['delayed', 'waiting', 'active', 'dead', 'completed', 'cancelled']

export const jobsHelp = `Usage: durable-ipc jobs <db> <channel> [options]

Lists a channel's jobs in id order: id, state (delayed, waiting, active, dead, completed,
cancelled), priority, attempts, when it runs or ran, the first line of its last error and a
preview of its arguments. Opens the file readonly.

Options:
  --state <s>        only jobs in this state
  --limit <n>        show at most n (default 50)
  --after <id>       start after this id (the next page)
  --json             print JSON (arguments and progress as JSON values, see 'dead --help')
${schemaHelp}
  -h, --help         show this help`

export const jobHelp = `Usage: durable-ipc job <db> <id> [--json]

Shows one job wherever it is: its state, channel, subscription, priority, attempts, progress,
times, last error (whole) and arguments. Exit code 1 when nothing is left of it (an acknowledged
message, or an outcome past its retention). Opens the file readonly.`

const pauseHelpText = (verb: 'pause' | 'resume'): string => `Usage: durable-ipc ${verb} <db> <channel> [--busy-timeout <ms>]

${verb === 'pause'
    ? 'Pauses a durable channel for every process on the file: no delivery of it starts (those in\nflight finish) until it is resumed; sends are still stored. Persisted across restarts.'
    : 'Resumes a paused durable channel: its deliveries start again in every process.'}`
export const pauseHelp = pauseHelpText('pause')
export const resumeHelp = pauseHelpText('resume')

const ERROR_WIDTH = 50
const ARGS_WIDTH = 50

/**
 * Runs `jobs`. Returns the exit code.
 *
 * @example
 * await jobsCommand(['app.db', 'resize', '--state', 'waiting'], io)
 */
export async function jobsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const spec: CommandSpec = { name: 'jobs', positionals: ['<db>', '<channel>'], options: { state: { type: 'string' }, limit: { type: 'string' }, after: { type: 'string' }, json: { type: 'boolean' } } }
  const parsed = parseCommand(spec, argv)
  if (parsed === undefined) return help(io, jobsHelp)
  const [, channel] = parsed.positionals as [string, string]
  const target = commandTarget('jobs', parsed)
  const state = stringOption(parsed, 'state')
  if (state !== undefined && !STATES.includes(state as JobState)) throw new UsageError('jobs', `--state must be one of ${STATES.join(', ')}`)
  const limit = integerOption('jobs', 'limit', stringOption(parsed, 'limit'), 1) ?? 50
  const afterId = integerOption('jobs', 'after', stringOption(parsed, 'after'), 0) ?? 0
  const store = openForReading(target)
  let rows: JobRow[]
  try {
    requireChannel(store, target.label, channel)
    rows = store.jobs(channel, { ...(state === undefined ? {} : { state: state as JobState }), limit, afterId }, Date.now())
  } catch (err) {
    throw operationFailure(err)
  } finally {
    store.close()
  }
  if (flag(parsed, 'json')) {
    println(io.stdout, JSON.stringify(rows.map(toJson), null, 2))
    return EXIT_OK
  }
  if (rows.length === 0) {
    println(io.stdout, `No ${state === undefined ? '' : `${state} `}jobs of '${channel}'${afterId > 0 ? ` after id ${afterId}` : ''}.`)
    return EXIT_OK
  }
  const now = Date.now()
  println(
    io.stdout,
    table(
      [{ title: 'ID', align: 'right' }, { title: 'STATE' }, { title: 'PRIORITY', align: 'right' }, { title: 'ATTEMPTS', align: 'right' }, { title: 'RUN AT', align: 'right' }, { title: 'LAST ERROR' }, { title: 'ARGS' }],
      rows.map((row) => [
        String(row.id),
        row.state,
        String(row.priority),
        String(row.attempts),
        relative(row.runAt, now),
        row.lastError === null ? '' : truncate(firstLine(row.lastError), ERROR_WIDTH),
        row.payload === null ? '' : preview(decode(row.payload), ARGS_WIDTH),
      ]),
    ),
  )
  if (rows.length === limit) println(io.stdout, `\nNext page: --after ${rows.at(-1)!.id}`)
  return EXIT_OK
}

/**
 * Runs `job`. Returns the exit code: 1 when nothing is left of the job.
 *
 * @example
 * await jobCommand(['app.db', '42'], io)
 */
export async function jobCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const spec: CommandSpec = { name: 'job', positionals: ['<db>', '<id>'], options: { json: { type: 'boolean' } } }
  const parsed = parseCommand(spec, argv)
  if (parsed === undefined) return help(io, jobHelp)
  const [, idText] = parsed.positionals as [string, string]
  const target = commandTarget('job', parsed)
  const id = integerOption('job', 'id', idText, 1)!
  const store = openForReading(target)
  let row: JobRow | undefined
  try {
    row = store.job(id, Date.now())
  } catch (err) {
    throw operationFailure(err)
  } finally {
    store.close()
  }
  if (row === undefined) {
    println(io.stderr, `durable-ipc job: nothing is left of job ${id} in ${target.label} (acknowledged, past its retention, or never stored)`)
    return EXIT_FAILED
  }
  if (flag(parsed, 'json')) {
    println(io.stdout, JSON.stringify(toJson(row), null, 2))
    return EXIT_OK
  }
  const json = toJson(row)
  const lines = [
    `Job ${row.id}: ${row.state}`,
    `  channel       ${row.channel} (${row.subscription})`,
    `  priority      ${row.priority}`,
    `  attempts      ${row.attempts}`,
    `  created       ${timestamp(row.createdAt)}`,
    `  run at        ${timestamp(row.runAt)} (${relative(row.runAt, Date.now())})`,
    `  progress      ${row.progress === null ? '-' : JSON.stringify(json.progress)}`,
    `  args          ${row.payload === null ? '- (not kept once a job ended)' : JSON.stringify(json.args)}`,
  ]
  if (row.lastError !== null) lines.push('  last error', ...row.lastError.split('\n').map((line) => `    ${line}`))
  println(io.stdout, lines.join('\n'))
  return EXIT_OK
}

/**
 * Runs `pause` or `resume`. Returns the exit code.
 *
 * @example
 * await pauseCommand('pause', ['app.db', 'resize'], io)
 */
export async function pauseCommand(verb: 'pause' | 'resume', argv: readonly string[], io: CliIo): Promise<number> {
  const spec: CommandSpec = { name: verb, positionals: ['<db>', '<channel>'], options: { 'busy-timeout': { type: 'string' } } }
  const parsed = parseCommand(spec, argv)
  if (parsed === undefined) return help(io, verb === 'pause' ? pauseHelp : resumeHelp)
  const [, channel] = parsed.positionals as [string, string]
  const target = commandTarget(verb, parsed)
  const busyTimeoutMs = integerOption(verb, 'busy-timeout', stringOption(parsed, 'busy-timeout'), 0) ?? 5000
  const session = openForRepair(target, busyTimeoutMs)
  try {
    requireChannel(session.store, target.label, channel)
    const was = session.store.isPaused(channel)
    session.store.setPaused(channel, verb === 'pause')
    const state = verb === 'pause' ? 'paused' : 'running'
    println(io.stdout, was === (verb === 'pause') ? `'${channel}' was already ${state}.` : `'${channel}' is ${state} now.`)
    return EXIT_OK
  } catch (err) {
    if (err instanceof CliError) throw err
    throw operationFailure(err)
  } finally {
    session.close()
  }
}

function help(io: CliIo, text: string): number {
  println(io.stdout, text)
  return EXIT_OK
}

function relative(at: number, now: number): string {
  return at > now ? `in ${duration(at - now)}` : `${duration(now - at)} ago`
}

function toJson(row: JobRow): Record<string, unknown> {
  const decoded = row.payload === null ? undefined : decode(row.payload)
  let progress: unknown = null
  if (row.progress !== null) {
    try {
      progress = argsToJson([decodeValue(row.progress)])
      progress = (progress as unknown[])[0]
    } catch (err) {
      progress = { $type: 'undecodable', value: err instanceof Error ? err.message : String(err) }
    }
  }
  return {
    id: row.id,
    channel: row.channel,
    subscription: row.subscription,
    state: row.state,
    priority: row.priority,
    attempts: row.attempts,
    createdAt: row.createdAt,
    runAt: row.runAt,
    lastError: row.lastError,
    progress,
    args: decoded === undefined ? null : decoded.ok ? argsToJson(decoded.envelope.args) : null,
    ...(decoded !== undefined && !decoded.ok ? { undecodable: decoded.error } : {}),
  }
}

