// `durable-ipc cancel`: cancels one job by id, also while the application runs. The store does it
// in one transaction; a consumer running the job in another process sees it at its next control
// read (within about a second) and aborts the delivery's signal.
import { integerOption, parseCommand, schemaHelp, stringOption } from './args.js'
import type { CommandSpec } from './args.js'
import { commandTarget, openForRepair, operationFailure } from './database.js'
import { EXIT_FAILED, EXIT_OK, println, UsageError } from './io.js'
import type { CliIo } from './io.js'

export const cancelHelp = `Usage: durable-ipc cancel <db> <id> [options]

Cancels job <id> (a message id) if it is delayed, waiting or running, from any process: it is
never delivered again nor retried, its outcome is kept as cancelled, and a delivery running it
has its event.signal aborted with JobCancelledError within about a second. Its invoke caller and
waitForJob reject with JobCancelledError. Safe while the application runs.

Options:
  --busy-timeout <ms>  how long to wait for the application's write lock (default 5000)
${schemaHelp}
  -h, --help           show this help

Exit codes: 0 cancelled, 1 not cancellable (no such job, or it already ended), 2 bad usage.`

const spec: CommandSpec = {
  name: 'cancel',
  positionals: ['<db>', '<id>'],
  options: { 'busy-timeout': { type: 'string' } },
}

/**
 * Runs `cancel`. Returns the exit code: 1 when the job is not there to cancel.
 *
 * @example
 * await cancelCommand(['app.db', '42'], io) // prints "Cancelled job 42."
 */
export async function cancelCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(spec, argv)
  if (parsed === undefined) {
    println(io.stdout, cancelHelp)
    return EXIT_OK
  }
  const [, idText] = parsed.positionals as [string, string]
  const target = commandTarget('cancel', parsed)
  const id = Number(idText)
  if (!/^\d+$/.test(idText) || !Number.isSafeInteger(id) || id < 1) throw new UsageError('cancel', `'${idText}' is not a job id`)
  const busyTimeoutMs = integerOption('cancel', 'busy-timeout', stringOption(parsed, 'busy-timeout'), 0) ?? 5000

  const session = openForRepair(target, busyTimeoutMs)
  try {
    let cancelled: boolean
    let ended: string | undefined
    try {
      cancelled = session.transaction(() => session.store.cancel(id, Date.now()))
      ended = cancelled ? undefined : session.store.jobResult(id)?.state
    } catch (err) {
      throw operationFailure(err)
    }
    if (cancelled) {
      println(io.stdout, `Cancelled job ${id}.`)
      return EXIT_OK
    }
    println(io.stdout, ended === undefined
      ? `Not cancelled: no job ${id} is delayed, waiting or running (unknown, acknowledged, or a dead letter).`
      : `Not cancelled: job ${id} already ended (${ended}).`)
    return EXIT_FAILED
  } finally {
    session.close()
  }
}
