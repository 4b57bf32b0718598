// `durable-ipc replay` and `durable-ipc purge`: dead letters of one channel back into its queue, or
// deleted. Each run is one transaction, so the application sees all of it or none; pages within it
// let a long run report progress.
import type { MaintenanceSession } from '../store/index.js'
import { flag, integerOption, listOption, messageIds, parseCommand, stringOption } from './args.js'
import type { CommandSpec } from './args.js'
import { confirm } from './confirm.js'
import { openForRepair, operationFailure, requireChannel } from './database.js'
import { count } from './format.js'
import { CliError, EXIT_FAILED, EXIT_OK, EXIT_USAGE, println, UsageError } from './io.js'
import type { CliIo } from './io.js'

const PAGE = 1000

const idOptions = `  --id <n>           a dead letter's id; repeat it, or give several: --id 3,4 or --id 3 4
  --all              every dead letter of the channel
  --busy-timeout <ms>  how long to wait for the application's write lock (default 5000)`

export const replayHelp = `Usage: durable-ipc replay <db> <channel> (--id <n>... | --all) [options]

Puts dead letters back in their queue (main or renderer inbox) as fresh messages with new ids
and no attempts used, in their original order. One transaction: safe while the application
runs; its consumers pick the messages up.

Options:
${idOptions}
  -h, --help         show this help`

export const purgeHelp = `Usage: durable-ipc purge <db> <channel> (--id <n>... | --all) [options]

Deletes dead letters for good. Asks for confirmation on a terminal; without one, --yes is
required. One transaction: safe while the application runs.

Options:
${idOptions}
  -y, --yes          do not ask for confirmation
  -h, --help         show this help`

const baseOptions: CommandSpec['options'] = {
  id: { type: 'string', multiple: true },
  all: { type: 'boolean' },
  'busy-timeout': { type: 'string' },
}

type Action = 'replay' | 'purge'

/**
 * Runs `replay`. Returns the exit code: 1 when an --id was not a dead letter of the channel.
 *
 * @example
 * await replayCommand(['app.db', 'jobs', '--all'], io)
 */
export function replayCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return repair('replay', argv, io)
}

/**
 * Runs `purge`. Returns the exit code: 2 when it may not ask and has no --yes.
 *
 * @example
 * await purgeCommand(['app.db', 'jobs', '--id', '12', '--yes'], io)
 */
export function purgeCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return repair('purge', argv, io)
}

async function repair(action: Action, argv: readonly string[], io: CliIo): Promise<number> {
  const spec: CommandSpec = {
    name: action,
    positionals: ['<db>', '<channel>'],
    extraPositionals: true,
    options: action === 'purge' ? { ...baseOptions, yes: { type: 'boolean', short: 'y' } } : baseOptions,
  }
  const parsed = parseCommand(spec, argv)
  if (parsed === undefined) {
    println(io.stdout, action === 'replay' ? replayHelp : purgeHelp)
    return EXIT_OK
  }
  const [path, channel, ...extra] = parsed.positionals as [string, string, ...string[]]
  const idValues = listOption(parsed, 'id')
  if (extra.length > 0 && idValues === undefined) throw new UsageError(action, `unexpected argument '${extra[0]}'`)
  const ids = idValues === undefined ? undefined : messageIds(action, idValues, extra)
  if ((ids === undefined) === !flag(parsed, 'all')) throw new UsageError(action, 'give either --id <n>... or --all')
  if (ids !== undefined && ids.length === 0) throw new UsageError(action, '--id needs at least one id')
  const busyTimeoutMs = integerOption(action, 'busy-timeout', stringOption(parsed, 'busy-timeout'), 0) ?? 5000

  const session = openForRepair(path, busyTimeoutMs)
  try {
    requireChannel(session.store, path, channel)
    // What the command is about to touch, for the question and the progress. The transaction
    // below re-reads it: anything that changed meanwhile is handled as it is then.
    let planned: number
    let missing: number[] = []
    try {
      if (ids === undefined) {
        planned = session.store.stats().filter((s) => s.channel === channel).reduce((n, s) => n + s.dead, 0)
      } else {
        const found = new Set(session.store.deadLetters(channel, ids).map((d) => d.id))
        missing = ids.filter((id) => !found.has(id))
        planned = found.size
      }
    } catch (err) {
      throw operationFailure(err)
    }
    if (missing.length > 0) {
      println(io.stderr, `durable-ipc ${action}: not dead letters of '${channel}': ${missing.join(', ')}`)
    }
    if (planned === 0) {
      println(io.stdout, `No dead letters of '${channel}' to ${action}.`)
      return missing.length > 0 ? EXIT_FAILED : EXIT_OK
    }
    if (action === 'purge' && !flag(parsed, 'yes')) {
      if (io.stdin.isTTY !== true) {
        throw new CliError(`refusing to purge ${count(planned)} dead letters of '${channel}' without confirmation: stdin is not a terminal; pass --yes`, EXIT_USAGE)
      }
      const question = `Purge ${count(planned)} dead letter${planned === 1 ? '' : 's'} of '${channel}' from ${path}? This cannot be undone. [y/N] `
      if (!(await confirm(io, question))) {
        println(io.stderr, 'Nothing purged.')
        return EXIT_FAILED
      }
    }

    const done = run(session, action, channel, ids, planned, io)
    const verb = action === 'replay' ? 'Replayed' : 'Purged'
    println(io.stdout, `${verb} ${count(done)} dead letter${done === 1 ? '' : 's'} of '${channel}'.`)
    return missing.length > 0 ? EXIT_FAILED : EXIT_OK
  } finally {
    session.close()
  }
}

/** The repair itself: one transaction, a page of ids at a time, progress on stderr. */
function run(session: MaintenanceSession, action: Action, channel: string, ids: number[] | undefined, planned: number, io: CliIo): number {
  const { store } = session
  const progress = new Progress(io, action === 'replay' ? 'replayed' : 'purged', planned)
  const apply = (page: readonly number[]): number =>
    action === 'replay' ? store.replay(channel, page, Date.now()) : store.purgeDeadLetters(channel, page)
  try {
    return session.transaction(() => {
      let done = 0
      if (ids !== undefined) {
        for (let i = 0; i < ids.length; i += PAGE) {
          done += apply(ids.slice(i, i + PAGE))
          progress.update(done)
        }
        return done
      }
      // By pages in id order: replayed ones get new ids in the same order, so FIFO holds.
      for (let after = 0; ; ) {
        const page = store.deadLettersAfter(after, channel, PAGE).map((d) => d.id)
        if (page.length === 0) return done
        done += apply(page)
        after = page.at(-1)!
        progress.update(done)
      }
    })
  } catch (err) {
    throw operationFailure(err)
  } finally {
    progress.end()
  }
}

/**
 * Progress of a long repair on stderr: a line redrawn in place on a terminal, a line per tenth
 * otherwise. Short repairs (one page) print nothing.
 */
class Progress {
  readonly #io: CliIo
  readonly #verb: string
  readonly #total: number
  #shown = false
  #lastTenth = 0

  constructor(io: CliIo, verb: string, total: number) {
    this.#io = io
    this.#verb = verb
    this.#total = total
  }

  update(done: number): void {
    if (this.#total <= PAGE) return
    const text = `${this.#verb} ${count(done)} of ${count(this.#total)} dead letters`
    if (this.#io.stderr.isTTY) {
      this.#io.stderr.write(`\r${text}…`)
      this.#shown = true
      return
    }
    const tenth = Math.floor((done / this.#total) * 10)
    if (tenth > this.#lastTenth) {
      this.#lastTenth = tenth
      println(this.#io.stderr, text)
    }
  }

  end(): void {
    if (this.#shown) this.#io.stderr.write('\n')
  }
}
