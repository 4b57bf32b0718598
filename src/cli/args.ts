// Argument parsing for every command, over node:util's parseArgs: one place that turns bad
// arguments into a UsageError (exit code 2) and knows the options every command shares.
import { parseArgs } from 'node:util'
import type { ParseArgsConfig } from 'node:util'
import { UsageError } from './io.js'

type OptionsConfig = NonNullable<ParseArgsConfig['options']>

/** What a command declares about its arguments. */
export interface CommandSpec {
  name: string
  /** Positional arguments, `[name]` when optional: e.g. `['<db>', '[channel]']`. */
  positionals: readonly string[]
  /** More positionals than declared are allowed (the command checks them). */
  extraPositionals?: boolean
  options: OptionsConfig
}

/** Parsed arguments: option values by long name (string, boolean, or a list for `multiple`). */
export interface ParsedCommand {
  values: Record<string, string | boolean | Array<string | boolean> | undefined>
  positionals: string[]
}

/** The options every command takes: --schema goes with a postgres:// URL in place of the file. */
export const commonOptions: OptionsConfig = {
  help: { type: 'boolean', short: 'h' },
  schema: { type: 'string' },
}

/** The help line of --schema, which every command takes. */
export const schemaHelp = `  --schema <name>    with a postgres:// URL for <db>: the store's schema (default public, or the
                     URL's ?schema=)`

/**
 * Parses `argv` (the words after the command's name). Returns undefined when `--help` was given:
 * the caller prints the help instead. Throws UsageError for unknown options or wrong positionals.
 *
 * @example
 * const parsed = parseCommand({ name: 'stats', positionals: ['<db>'], options: { json: { type: 'boolean' } } }, argv)
 */
export function parseCommand(spec: CommandSpec, argv: readonly string[]): ParsedCommand | undefined {
  const options: OptionsConfig = { ...spec.options, ...commonOptions }
  let parsed: ParsedCommand
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true })
  } catch (err) {
    // parseArgs' messages are clear but long ("... To specify a positional argument starting with a '-' ...").
    throw new UsageError(spec.name, (err as Error).message.split('. ')[0]!.replace(/\.$/, ''))
  }
  if (parsed.values.help === true) return undefined
  const required = spec.positionals.filter((p) => p.startsWith('<')).length
  if (parsed.positionals.length < required) {
    throw new UsageError(spec.name, `missing ${spec.positionals.slice(parsed.positionals.length, required).join(' ')}`)
  }
  if (spec.extraPositionals !== true && parsed.positionals.length > spec.positionals.length) {
    throw new UsageError(spec.name, `unexpected argument '${parsed.positionals[spec.positionals.length]}'`)
  }
  return parsed
}

/**
 * An option given as a string (`type: 'string'`), or undefined.
 *
 * @example
 * stringOption(parsed, 'interval') // '500' for --interval 500
 */
export function stringOption(parsed: ParsedCommand, name: string): string | undefined {
  const value = parsed.values[name]
  return typeof value === 'string' ? value : undefined
}

/**
 * A boolean option: true when given.
 *
 * @example
 * if (flag(parsed, 'json')) println(io.stdout, JSON.stringify(stats))
 */
export function flag(parsed: ParsedCommand, name: string): boolean {
  return parsed.values[name] === true
}

/**
 * A `multiple` string option's values, or undefined when not given.
 *
 * @example
 * listOption(parsed, 'id') // ['3', '4,5'] for --id 3 --id 4,5
 */
export function listOption(parsed: ParsedCommand, name: string): string[] | undefined {
  const value = parsed.values[name]
  return Array.isArray(value) ? value.map(String) : undefined
}

/**
 * Reads a whole-number option (`--limit 20`), with a lower bound.
 *
 * @example
 * const limit = integerOption('dead', 'limit', values.limit, 1) ?? 50
 */
export function integerOption(command: string, name: string, value: unknown, min: number): number | undefined {
  if (value === undefined) return undefined
  const text = String(value)
  const number = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(number) || number < min) {
    throw new UsageError(command, `--${name} expects a whole number of at least ${min}, not '${text}'`)
  }
  return number
}

/**
 * Message ids from `--id` values (repeated or comma-separated) and any extra positionals.
 *
 * @example
 * messageIds('purge', ['3,4'], ['5']) // [3, 4, 5]
 */
export function messageIds(command: string, values: readonly string[], extra: readonly string[]): number[] {
  const ids: number[] = []
  for (const word of [...values, ...extra].flatMap((v) => v.split(','))) {
    const text = word.trim()
    if (text === '') continue
    const id = Number(text)
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(id) || id < 1) throw new UsageError(command, `'${text}' is not a message id`)
    ids.push(id)
  }
  return [...new Set(ids)].sort((a, b) => a - b)
}
