// What a command of the command-line tool works with: the three streams, a signal for Ctrl-C,
// and the errors that end a command with a given exit code.

/** A stream the tool writes to; `isTTY` is true when it is a terminal. */
export type Output = NodeJS.WritableStream & { isTTY?: boolean }

/**
 * The outside world of one run of the tool. Results go to stdout, progress and questions to
 * stderr, so that `durable-ipc stats app.db --json | jq` stays clean.
 *
 * @example
 * const io: CliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, signal }
 */
export interface CliIo {
  stdout: Output
  stderr: Output
  stdin: NodeJS.ReadableStream & { isTTY?: boolean }
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM: commands that run until stopped return cleanly. */
  signal: AbortSignal
}

/** Exit codes: 0 success, 1 the operation failed, 2 bad usage or a database the tool cannot use. */
export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2

/**
 * Ends a command with a one-line message on stderr and `exitCode`.
 *
 * @example
 * throw new CliError(`no such file: ${path}`, EXIT_USAGE)
 */
export class CliError extends Error {
  readonly exitCode: number
  constructor(message: string, exitCode: number = EXIT_FAILED, options?: { cause?: unknown }) {
    super(message, options)
    this.exitCode = exitCode
  }
}
CliError.prototype.name = 'CliError'

/**
 * Bad arguments: the message, then a pointer to the command's help; exit code 2.
 *
 * @example
 * throw new UsageError('replay', 'give --id or --all')
 */
export class UsageError extends CliError {
  readonly command: string | undefined
  constructor(command: string | undefined, message: string) {
    super(message, EXIT_USAGE)
    this.command = command
  }
}
UsageError.prototype.name = 'UsageError'

/**
 * Writes one line.
 *
 * @example
 * println(io.stdout, 'Replayed 3 dead letters')
 */
export function println(stream: Output, text = ''): void {
  stream.write(`${text}\n`)
}
