// `durable-ipc replay` and `durable-ipc purge`: dead letters of one channel back into its queue, or
// deleted. In batches, each its own short transaction, so that a big run never holds the write lock
// long enough to make the application's sends wait (one transaction over 600k rows took 6-8 s, and
// the application's sends failed with ERR_STORE_BUSY meanwhile).
import { setTimeout as sleep } from 'node:timers/promises'
import { flag, integerOption, listOption, messageIds, parseCommand, schemaHelp, stringOption } from './args.js'
import type { CommandSpec } from './args.js'
import { confirm } from './confirm.js'
import { commandTarget, openForRepair, operationFailure, requireChannel } from './database.js'
import type { RepairSession } from './database.js'
import { count } from './format.js'
import { CliError, EXIT_FAILED, EXIT_OK, EXIT_USAGE, println, UsageError } from './io.js'
import type { CliIo } from './io.js'

// A batch is sized to hold the write lock about TARGET_MS: it starts at FIRST_BATCH rows and then
// follows the rate measured, within MIN_BATCH..MAX_BATCH (at most doubling at a time). Between
// batches the tool sleeps PAUSE_MS, longer than the application's longest wait between tries for
// the lock (busyWait.ts: 2 ms +50%), so a waiting send always gets its turn.
const TARGET_MS = 50
const FIRST_BATCH = 1000
const MIN_BATCH = 100
const MAX_BATCH = 10_000
const PAUSE_MS = 5
// Progress is shown for repairs of more than this many dead letters.
const QUIET_UP_TO = 1000

const idOptions = `  --id <n>           a dead letter's id; repeat it, or give several: --id 3,4 or --id 3 4
  --all              every dead letter of the channel
  --busy-timeout <ms>  how long to wait for the application's write lock (default 5000)`

export const replayHelp = `Usage: durable-ipc replay <db> <channel> (--id <n>... | --all) [options]

Puts dead letters back in their queue (main or renderer inbox) as fresh messages with new ids
and no attempts used, in their original order. Safe while the application runs; its consumers
pick the messages up. A large replay is not one transaction: it runs in batches of up to 10,000
(about 50 ms each), so the application's sends never wait long for it. An interrupted run
(Ctrl-C, a failure) leaves the rest as dead letters; running it again continues. --all takes the
dead letters there are when it starts.

Options:
${idOptions}
${schemaHelp}
  -h, --help         show this help`

export const purgeHelp = `Usage: durable-ipc purge <db> <channel> (--id <n>... | --all) [options]

Deletes dead letters for good. Asks for confirmation on a terminal; without one, --yes is
required. Safe while the application runs. A large purge is not one transaction: it runs in
batches of up to 10,000 (about 50 ms each), so the application's sends never wait long for it. An
interrupted run (Ctrl-C, a failure) leaves the rest as dead letters; running it again continues.
--all takes the dead letters there are when it starts.

Options:
${idOptions}
  -y, --yes          do not ask for confirmation
${schemaHelp}
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
  const [, channel, ...extra] = parsed.positionals as [string, string, ...string[]]
  const target = commandTarget(action, parsed)
  const idValues = listOption(parsed, 'id')
  if (extra.length > 0 && idValues === undefined) throw new UsageError(action, `unexpected argument '${extra[0]}'`)
  const ids = idValues === undefined ? undefined : messageIds(action, idValues, extra)
  if ((ids === undefined) === !flag(parsed, 'all')) throw new UsageError(action, 'give either --id <n>... or --all')
  if (ids !== undefined && ids.length === 0) throw new UsageError(action, '--id needs at least one id')
  const busyTimeoutMs = integerOption(action, 'busy-timeout', stringOption(parsed, 'busy-timeout'), 0) ?? 5000

  const session = openForRepair(target, busyTimeoutMs)
  try {
    requireChannel(session.store, target.label, channel)
    // What the command is about to touch, for the question and the progress. Each batch re-reads
    // it: anything that changed meanwhile is handled as it is then.
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
      const question = `Purge ${count(planned)} dead letter${planned === 1 ? '' : 's'} of '${channel}' from ${target.label}? This cannot be undone. [y/N] `
      if (!(await confirm(io, question))) {
        println(io.stderr, 'Nothing purged.')
        return EXIT_FAILED
      }
    }

    const { done, interrupted } = await run(session, action, channel, ids, planned, io)
    const verb = action === 'replay' ? 'Replayed' : 'Purged'
    println(io.stdout, `${verb} ${count(done)} dead letter${done === 1 ? '' : 's'} of '${channel}'.`)
    if (interrupted) {
      println(io.stderr, `durable-ipc ${action}: interrupted; the rest are still dead letters: run it again to continue`)
      return EXIT_FAILED
    }
    return missing.length > 0 ? EXIT_FAILED : EXIT_OK
  } finally {
    session.close()
  }
}

/**
 * The repair itself: batches in id order (replayed messages get ids in that order, so FIFO holds),
 * each one transaction, progress on stderr. Stops between batches on Ctrl-C.
 */
async function run(
  session: RepairSession,
  action: Action,
  channel: string,
  ids: number[] | undefined,
  planned: number,
  io: CliIo,
): Promise<{ done: number; interrupted: boolean }> {
  const { store } = session
  const verb = action === 'replay' ? 'replayed' : 'purged'
  const progress = new Progress(io, verb, planned)
  const apply = (batch: readonly number[]): number =>
    action === 'replay' ? store.replay(channel, batch, Date.now()) : store.purgeDeadLetters(channel, batch)
  const sizer = new BatchSizer()
  let done = 0
  try {
    // --all: the dead letters there are now. One replayed now that fails again gets a new, higher
    // id, and must not come round again in this run.
    const last = ids === undefined ? store.lastMessageId() : 0
    let next = 0 // the index into ids, or the id after which to look
    for (;;) {
      if (io.signal.aborted) return { done, interrupted: true }
      const size = sizer.size
      let batch: number[]
      if (ids !== undefined) {
        batch = ids.slice(next, next + size)
        next += batch.length
      } else {
        batch = store.deadLettersAfter(next, channel, size).map((d) => d.id).filter((id) => id <= last)
        if (batch.length > 0) next = batch.at(-1)!
      }
      if (batch.length === 0) return { done, interrupted: false }
      let started = 0
      done += session.transaction(() => {
        started = performance.now() // once the lock is ours: waiting for it is not the batch's cost
        return apply(batch)
      })
      sizer.record(batch.length, size, performance.now() - started)
      progress.update(done)
      try {
        await sleep(PAUSE_MS, undefined, { signal: io.signal })
      } catch {
        return { done, interrupted: true } // Ctrl-C
      }
    }
  } catch (err) {
    const failure = operationFailure(err)
    if (done === 0) throw failure
    throw new CliError(`${failure.message} (after ${count(done)} ${verb}; the rest are still dead letters: run it again to continue)`, failure.exitCode, { cause: err })
  } finally {
    progress.end()
  }
}

/** The size of the next batch, from how long the last full one held the write lock. */
class BatchSizer {
  size = FIRST_BATCH

  record(rows: number, asked: number, ms: number): void {
    if (rows < asked) return // a short last batch tells little
    const fitting = ms > 0 ? (rows * TARGET_MS) / ms : MAX_BATCH
    this.size = Math.max(MIN_BATCH, Math.min(MAX_BATCH, 2 * this.size, Math.round(fitting)))
  }
}

/**
 * Progress of a long repair on stderr: a line redrawn in place on a terminal, a line per tenth
 * otherwise. Short repairs (up to QUIET_UP_TO) print nothing.
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
    if (this.#total <= QUIET_UP_TO) return
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
