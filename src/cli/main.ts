// The command-line tool's dispatcher: picks the command, prints help and version, and turns any
// failure into one line on stderr and an exit code (0 ok, 1 failed, 2 bad usage or unusable file).
import { readFileSync } from 'node:fs'
import { cancelCommand, cancelHelp } from './cancelCommand.js'
import { boardCommand, boardHelp } from './boardCommand.js'
import { deadCommand, deadHelp } from './deadCommand.js'
import { CliError, EXIT_FAILED, EXIT_OK, EXIT_USAGE, println, UsageError } from './io.js'
import type { CliIo } from './io.js'
import { jobCommand, jobHelp, jobsCommand, jobsHelp, pauseCommand, pauseHelp, resumeHelp } from './jobsCommands.js'
import { purgeCommand, purgeHelp, replayCommand, replayHelp } from './repairCommands.js'
import { schedulesCommand, schedulesHelp } from './schedulesCommand.js'
import { statsCommand, statsHelp } from './statsCommand.js'
import { tailCommand, tailHelp } from './tailCommand.js'

interface Command {
  summary: string
  help: string
  run(argv: readonly string[], io: CliIo): Promise<number>
}

const commands: Record<string, Command> = {
  stats: { summary: 'queue counts per durable channel and renderer inbox, and the schedules', help: statsHelp, run: statsCommand },
  dead: { summary: 'list dead letters with their last error and arguments', help: deadHelp, run: deadCommand },
  replay: { summary: 'put dead letters back in their queue', help: replayHelp, run: replayCommand },
  purge: { summary: 'delete dead letters', help: purgeHelp, run: purgeCommand },
  tail: { summary: 'print messages as they are stored', help: tailHelp, run: tailCommand },
  jobs: { summary: "list a channel's jobs by state, a page at a time", help: jobsHelp, run: jobsCommand },
  job: { summary: 'show one job: state, attempts, progress, error, arguments', help: jobHelp, run: jobCommand },
  pause: { summary: 'stop deliveries of a channel in every process', help: pauseHelp, run: (argv, io) => pauseCommand('pause', argv, io) },
  resume: { summary: 'let deliveries of a paused channel start again', help: resumeHelp, run: (argv, io) => pauseCommand('resume', argv, io) },
  schedules: { summary: 'list the schedules with their next and last run', help: schedulesHelp, run: schedulesCommand },
  cancel: { summary: 'cancel a delayed, waiting or running job', help: cancelHelp, run: cancelCommand },
  board: { summary: 'serve the web board: queues, jobs and repairs in a browser', help: boardHelp, run: boardCommand },
}

export const mainHelp = `Usage: durable-ipc <command> <db> [options]

Looks into and repairs the SQLite file of a durable-ipc broker, also while the application runs.
<db> may be a postgres:// (or postgresql://) URL instead, for a PostgreSQL store: its schema in
?schema=<name> or --schema <name> (default public). Read commands open it read-only; what the
tool prints names it without its user or password.

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(9)} ${c.summary}`)
  .join('\n')}

Run 'durable-ipc <command> --help' for a command's options.
Exit codes: 0 done, 1 the operation failed, 2 bad usage or a file it cannot use.`

function version(): string {
  // Two levels below the package root both as src/cli/main.ts and as dist/cli/main.js.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown }
  return String(pkg.version)
}

/**
 * Runs the tool with `argv` (the words after the program name). Returns the exit code; never
 * throws.
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2), io)
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv
  try {
    if (name === undefined || name === '-h' || name === '--help') {
      println(name === undefined ? io.stderr : io.stdout, mainHelp)
      return name === undefined ? EXIT_USAGE : EXIT_OK
    }
    if (name === '--version' || name === '-v') {
      println(io.stdout, version())
      return EXIT_OK
    }
    if (name === 'help') {
      const topic = rest[0] === undefined ? undefined : commands[rest[0]]
      println(io.stdout, topic?.help ?? mainHelp)
      return EXIT_OK
    }
    const command = Object.hasOwn(commands, name) ? commands[name] : undefined
    if (command === undefined) throw new UsageError(undefined, `unknown command '${name}'`)
    return await command.run(rest, io)
  } catch (err) {
    return report(io, err)
  }
}

function report(io: CliIo, err: unknown): number {
  if (err instanceof UsageError) {
    const where = err.command === undefined ? 'durable-ipc' : `durable-ipc ${err.command}`
    println(io.stderr, `${where}: ${err.message}`)
    println(io.stderr, `Run '${where} --help' for usage.`)
    return err.exitCode
  }
  if (err instanceof CliError) {
    println(io.stderr, `durable-ipc: ${err.message}`)
    return err.exitCode
  }
  // A bug rather than a condition the tool knows: the stack helps whoever reports it.
  println(io.stderr, `durable-ipc: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
  return EXIT_FAILED
}
