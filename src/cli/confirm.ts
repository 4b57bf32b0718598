// Asking the person at the terminal before a destructive operation (purge).
import { once } from 'node:events'
import { createInterface } from 'node:readline/promises'
import type { CliIo } from './io.js'

/**
 * Asks `question` on stderr and reads one line from stdin: true only for `y` or `yes`. End of
 * input or Ctrl-C count as no.
 *
 * @example
 * if (!(await confirm(io, 'Purge 12 dead letters of jobs? [y/N] '))) return EXIT_FAILED
 */
export async function confirm(io: CliIo, question: string): Promise<boolean> {
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: io.stdin.isTTY === true })
  try {
    const closed = once(rl, 'close').then(() => '')
    const answer = await Promise.race([rl.question(question, { signal: io.signal }), closed])
    return /^\s*y(es)?\s*$/i.test(answer)
  } catch {
    return false // aborted by Ctrl-C
  } finally {
    rl.close()
  }
}
