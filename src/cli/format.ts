// Text output of the command-line tool: aligned tables, durations, times, and short previews of
// stored arguments and errors.
import { inspect } from 'node:util'
import { decodeEnvelope } from '../protocol/envelope.js'
import type { Envelope } from '../protocol/envelope.js'

/** A table column: its heading, and whether numbers line up on the right. */
export interface Column {
  title: string
  align?: 'left' | 'right'
}

/**
 * Lays out rows under headings, columns two spaces apart, trailing spaces trimmed.
 *
 * @example
 * table([{ title: 'CHANNEL' }, { title: 'READY', align: 'right' }], [['jobs', '12']])
 * // 'CHANNEL  READY\njobs        12'
 */
export function table(columns: readonly Column[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string =>
    columns
      .map((c, i) => {
        const cell = cells[i] ?? ''
        const width = widths[i]!
        return c.align === 'right' ? cell.padStart(width) : cell.padEnd(width)
      })
      .join('  ')
      .trimEnd()
  return [line(columns.map((c) => c.title)), ...rows.map(line)].join('\n')
}

/**
 * A count with thousands separators, as people read them.
 *
 * @example
 * count(12345) // '12,345'
 */
export function count(n: number): string {
  return n.toLocaleString('en-US')
}

/**
 * A duration in the two largest units: `850ms`, `12s`, `4m 12s`, `3h 5m`, `2d 4h`.
 *
 * @example
 * duration(252_000) // '4m 12s'
 */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${s % 60}s`
  const h = Math.floor(m / 60)
  if (h < 24) return `${h}h ${m % 60}m`
  return `${Math.floor(h / 24)}d ${h % 24}h`
}

/**
 * Epoch ms as local date and time, to the second: `2026-11-25 12:00:01`.
 *
 * @example
 * timestamp(Date.now())
 */
export function timestamp(ms: number): string {
  const d = new Date(ms)
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

/**
 * Cuts `text` to `max` characters, ending with an ellipsis when cut.
 *
 * @example
 * truncate('abcdef', 4) // 'abc…'
 */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`
}

/**
 * The first line of a stored error (its stack starts with name and message).
 *
 * @example
 * firstLine('Error: boom\n    at work (app.js:1:1)') // 'Error: boom'
 */
export function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? ''
  return line.trim()
}

/** A stored payload decoded, or why it could not be (e.g. written by a newer Node.js). */
export type Decoded = { ok: true; envelope: Envelope } | { ok: false; error: string }

/**
 * Decodes a stored message's payload without throwing.
 *
 * @example
 * const decoded = decode(row.payload)
 */
export function decode(payload: Uint8Array | string): Decoded {
  try {
    return { ok: true, envelope: decodeEnvelope(payload) }
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) }
  }
}

/**
 * A one-line preview of a message's arguments: nested objects, long arrays and strings are
 * shortened by util.inspect, and the whole is cut to `max` characters.
 *
 * @example
 * preview(decode(row.payload), 60) // "[ { order: 42, items: [Array] } ]"
 */
export function preview(decoded: Decoded, max: number): string {
  if (!decoded.ok) return `<undecodable: ${decoded.error}>`
  const text = inspect(decoded.envelope.args, {
    depth: 2,
    maxArrayLength: 10,
    maxStringLength: 80,
    breakLength: Infinity,
    compact: true,
    colors: false,
    sorted: false,
  })
  return truncate(text, max)
}
