// Refuses option keys nobody reads. An ignored key is a silent misconfiguration: `{ file: 'app.db' }`
// runs in memory and loses every message on exit, `{ delay: 1000 }` runs at once. So every options
// object is checked against the keys it knows, and the error says what was probably meant.
import { InvalidArgumentError } from '../errors.js'

/**
 * What to say about a key some peer library (or a typo) would use: a known key's name (the error
 * says "did you mean"), or a sentence of its own. A function picks one by the value given.
 */
export type OptionHint = string | ((value: unknown) => string)

/**
 * Throws InvalidArgumentError (`ERR_INVALID_ARGUMENT`) for the first own key of `options` not in
 * `known`, naming the key and `what` (the object), and suggesting the key meant: a hint from
 * `hints` (looked up ignoring case, `_` and `-`), else a known key within a small edit distance.
 * Keys are refused whatever their value, `undefined` too: `{ file: process.env.DB }` is the same mistake.
 *
 * @example
 * assertKnownKeys({ file: 'app.db' }, ['path', 'database'], 'createBroker options', { filename: 'path' })
 * // InvalidArgumentError: Unknown option 'file' in createBroker options: did you mean 'path'?
 */
export function assertKnownKeys(
  options: object,
  known: readonly string[],
  what: string,
  hints: Readonly<Record<string, OptionHint>> = {},
): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue
    const hint = hintFor(key, (options as Record<string, unknown>)[key], known, hints)
    const advice = hint === undefined ? ` (known options: ${known.join(', ')})` : known.includes(hint) ? `: did you mean '${hint}'?` : `: ${hint}`
    throw new InvalidArgumentError(`Unknown option '${key}' in ${what}${advice}`)
  }
}

/**
 * The known keys of options type `T`, checked at compile time both ways: a key `T` does not have is
 * an error, and so is a key of `T` left out (the error names it, as `unlistedKeys`), so the
 * list cannot fall behind the interface.
 *
 * @example
 * const KEYS = optionKeys<{ key?: string; delayMs?: number }>()(['key', 'delayMs'])
 */
export function optionKeys<T extends object>() {
  return <const K extends readonly (keyof T & string)[]>(keys: K & Unlisted<T, K>): K => keys
}

// Nothing when every key of T is in K; otherwise a property no array has, named after what is left out.
type Unlisted<T, K extends readonly unknown[]> = [Exclude<keyof T, K[number]>] extends [never] ? unknown : { unlistedKeys: Exclude<keyof T, K[number]> }

function hintFor(key: string, value: unknown, known: readonly string[], hints: Readonly<Record<string, OptionHint>>): string | undefined {
  const wanted = normalize(key)
  for (const [alias, hint] of Object.entries(hints)) {
    if (normalize(alias) === wanted) return typeof hint === 'function' ? hint(value) : hint
  }
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of known) {
    const distance = editDistance(wanted, normalize(candidate))
    if (distance < bestDistance && distance <= tolerance(key, candidate)) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}

// `maxattempts`, `max_attempts`, `MAX-ATTEMPTS` and `maxAttempts` are the same key to a reader.
function normalize(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '')
}

// A third of the longer name, from 1 to 3: `concurency` finds `concurrency`, `id` does not find `db`.
function tolerance(a: string, b: string): number {
  return Math.min(3, Math.max(1, Math.floor(Math.max(a.length, b.length) / 3)))
}

/**
 * Levenshtein distance, with a swap of two neighbours counting as one edit (`duarble` is one
 * from `durable`, as a reader sees it).
 *
 * @example
 * editDistance('concurency', 'concurrency') // 1
 */
export function editDistance(a: string, b: string): number {
  // rows[i][j]: the distance between a's first i and b's first j characters.
  const rows: number[][] = []
  for (let i = 0; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j)
        continue
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1)
      row.push(d)
    }
    rows.push(row)
  }
  return rows[a.length]![b.length]!
}
