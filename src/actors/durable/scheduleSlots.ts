// When a schedule's slots fall: cron expressions in an IANA time zone (croner, which knows the
// zones' daylight-saving rules) and fixed intervals. Used by broker.schedule() to check a
// definition and find its first slot, and by the scheduler to find the slot after the one it fires.
// The store never sees an expression: only the epoch ms computed here.
import { Cron } from 'croner'
import { InvalidArgumentError } from '../../errors.js'

/** What decides a schedule's slots: exactly one of `cron` (with its zone) and `everyMs`. */
export interface SlotRule {
  cron: string | null
  /** The cron expression's zone; null (with cron): UTC. */
  tz: string | null
  everyMs: number | null
}

/** The zone of a cron schedule given no `tz`. */
export const DEFAULT_TIME_ZONE = 'UTC'

/**
 * The zone's canonical IANA name (`europe/berlin` -> `Europe/Berlin`, as Intl resolves it).
 * Throws InvalidArgumentError for a name Intl does not know.
 *
 * @example
 * canonicalTimeZone('utc') // 'UTC'
 */
export function canonicalTimeZone(tz: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone
  } catch (err) {
    throw new InvalidArgumentError(`Expected tz to be an IANA time zone such as 'Europe/Berlin' or 'UTC', but found '${tz}'`, { cause: err })
  }
}

/**
 * Parses a cron expression (5 fields, or 6 with seconds first; nicknames such as `@daily`) for
 * zone `tz`. Throws InvalidArgumentError for an expression croner refuses, a date where an
 * expression belongs, or one that never fires (`0 0 30 2 *`).
 *
 * @example
 * compileCron('30 2 * * *', 'Europe/Berlin').nextRun(new Date())
 */
export function compileCron(expression: string, tz: string): Cron {
  let cron: Cron
  try {
    cron = new Cron(expression, { timezone: tz, paused: true, mode: '5-or-6-parts' })
  } catch (err) {
    throw new InvalidArgumentError(`Expected cron to be a cron expression such as '0 3 * * *', but '${expression}' is not one: ${(err as Error).message}`, { cause: err })
  }
  // Given a date, croner makes a one-off job: not a schedule.
  if (cron.getPattern() === undefined) {
    throw new InvalidArgumentError(`Expected cron to be a cron expression such as '0 3 * * *', but found the date '${expression}'`)
  }
  let first: Date | null
  try {
    first = cron.nextRun()
  } catch (err) {
    throw new InvalidArgumentError(`Cannot compute the slots of cron '${expression}' in zone '${tz}': ${(err as Error).message}`, { cause: err })
  }
  if (first === null) throw new InvalidArgumentError(`Expected cron to fire at some time, but '${expression}' never does`)
  return cron
}

/**
 * The first slot of `rule` strictly after `now` (epoch ms). An interval's slots lie on the grid
 * `anchor + k * everyMs` (anchor: the slot that came due, or the time the schedule was made), so
 * a schedule that missed several slots keeps its phase; a cron schedule's are the expression's
 * matches in its zone (daylight saving: a time skipped by the spring change fires at the first
 * valid time after it, a time repeated in autumn fires once). Throws InvalidArgumentError for a
 * rule that has no further slot.
 *
 * @example
 * slotAfter({ cron: null, tz: null, everyMs: 1000 }, 5_500, 2_000) // 6_000
 * slotAfter({ cron: '30 2 * * *', tz: 'Europe/Berlin', everyMs: null }, Date.parse('2024-03-30T12:00Z')) // 2024-03-31T01:00Z (03:00 CEST)
 */
export function slotAfter(rule: SlotRule, now: number, anchor: number = now): number {
  if (rule.everyMs !== null) {
    const base = Math.min(anchor, now)
    return base + rule.everyMs * (Math.floor((now - base) / rule.everyMs) + 1)
  }
  if (rule.cron === null) throw new InvalidArgumentError('A schedule needs cron or everyMs')
  const next = compileCron(rule.cron, rule.tz ?? DEFAULT_TIME_ZONE).nextRun(new Date(now))
  if (next === null) throw new InvalidArgumentError(`Cron '${rule.cron}' has no slot after ${new Date(now).toISOString()}`)
  return next.getTime()
}
