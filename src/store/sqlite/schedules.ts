// Persisted schedules (migration 007): their own prepared statements, and the four operations of
// the Store contract's Schedules block. Firing a slot is a compare-and-set on next_run_at and the
// publish of the slot's message in one transaction, so each slot fires once across processes.

import type Database from 'better-sqlite3'
import type { Channels } from './channels.js'
import { publish } from './publish.js'
import type { Statements } from './statements.js'
import type { Payload, PublishResult, ScheduleInput, ScheduleRow } from '../types.js'

const columns = `name, cron, every_ms AS everyMs, tz, channel, payload, priority, next_run_at AS nextRunAt, last_run_at AS lastRunAt`

// The stored definition is compared column by column (IS: null equals null). Payloads compare as
// stored: the same arguments encode to the same text or bytes.
const sameDefinition = `cron IS excluded.cron AND every_ms IS excluded.every_ms AND tz IS excluded.tz
  AND channel = excluded.channel AND payload = excluded.payload AND priority = excluded.priority`

const sql = {
  // In an upsert's SET every column on the right is the row's old value, so the order is free.
  upsert: `INSERT INTO durable_ipc_schedules (name, cron, every_ms, tz, channel, payload, priority, next_run_at)
    VALUES (@name, @cron, @everyMs, @tz, @channel, @payload, @priority, @nextRunAt)
    ON CONFLICT (name) DO UPDATE SET
      next_run_at = CASE WHEN ${sameDefinition} THEN next_run_at ELSE excluded.next_run_at END,
      cron = excluded.cron, every_ms = excluded.every_ms, tz = excluded.tz, channel = excluded.channel,
      payload = excluded.payload, priority = excluded.priority
    RETURNING ${columns}`,
  list: `SELECT ${columns} FROM durable_ipc_schedules ORDER BY name`,
  delete: 'DELETE FROM durable_ipc_schedules WHERE name = @name',
  // The compare-and-set: only the process that still sees the slot it fires moves the schedule on.
  advance: `UPDATE durable_ipc_schedules SET next_run_at = @nextRunAt, last_run_at = @now
    WHERE name = @name AND next_run_at = @expected RETURNING channel, payload, priority`,
} as const

/** The prepared schedule statements of one open store. */
export interface ScheduleStatements {
  upsert: { get(params: Record<string, unknown>): ScheduleRow | undefined }
  list: { all(): ScheduleRow[] }
  delete: { run(params: { name: string }): Database.RunResult }
  advance: { get(params: { name: string; expected: number; nextRunAt: number; now: number }): AdvancedRow | undefined }
}

/** What a won compare-and-set hands the publish. */
interface AdvancedRow {
  channel: string
  payload: Payload
  priority: number
}

/**
 * Prepares the schedule statements of one store. Call once per open, after migrating (007).
 *
 * @example
 * const sch = prepareScheduleStatements(db)
 * listSchedules(sch)
 */
export function prepareScheduleStatements(db: Database.Database): ScheduleStatements {
  // An application's handle may have defaultSafeIntegers(true); the store's numbers are plain.
  return {
    upsert: db.prepare<[Record<string, unknown>], ScheduleRow>(sql.upsert).safeIntegers(false),
    list: db.prepare<[], ScheduleRow>(sql.list).safeIntegers(false),
    delete: db.prepare<[{ name: string }]>(sql.delete).safeIntegers(false),
    advance: db.prepare<[{ name: string; expected: number; nextRunAt: number; now: number }], AdvancedRow>(sql.advance).safeIntegers(false),
  }
}

/**
 * Creates or replaces a schedule (see Store.upsertSchedule); must run inside a transaction, so
 * that the channel check and the write see the same file. Throws UnknownChannelError.
 *
 * @example
 * upsertSchedule(sch, channels, { name: 'tick', cron: null, everyMs: 1000, tz: null, channel: 'jobs', payload, priority: 0, nextRunAt })
 */
export function upsertSchedule(sch: ScheduleStatements, channels: Channels, row: ScheduleInput): ScheduleRow {
  channels.require(row.channel)
  const { name, cron, everyMs, tz, channel, payload, priority, nextRunAt } = row
  return sch.upsert.get({ name, cron, everyMs, tz, channel, payload, priority, nextRunAt })!
}

/**
 * Every schedule, by name.
 *
 * @example
 * listSchedules(sch).map((row) => row.name)
 */
export function listSchedules(sch: ScheduleStatements): ScheduleRow[] {
  return sch.list.all()
}

/**
 * Deletes a schedule; true when it existed.
 *
 * @example
 * deleteSchedule(sch, 'nightly') // true
 */
export function deleteSchedule(sch: ScheduleStatements, name: string): boolean {
  return sch.delete.run({ name }).changes > 0
}

/**
 * Fires one slot (see Store.fireSchedule); must run inside a transaction: the compare-and-set
 * and the publish commit together, or a failed publish (a vanished channel, a full queue) undoes
 * the advance and the error reaches the caller. The message goes to the channel's fan-out
 * subscriptions through publish(), so limits and fan-out apply as to any other, and is visible from
 * the slot's time (`expectedNextRunAt`): a job's run time says which slot it was for. `cached`: as
 * for publish().
 *
 * @example
 * fireSchedule(sch, s, channels, 'tick', 1_000, 2_000, 1_003, true) // { id, duplicate: false }, or undefined
 */
export function fireSchedule(
  sch: ScheduleStatements,
  s: Statements,
  channels: Channels,
  name: string,
  expectedNextRunAt: number,
  nextRunAt: number,
  now: number,
  cached: boolean,
): PublishResult | undefined {
  const won = sch.advance.get({ name, expected: expectedNextRunAt, nextRunAt, now })
  if (won === undefined) return undefined
  const { channel, payload, priority } = won
  return publish(s, channels, { channel, payload, kind: 'message', priority, visibleAt: expectedNextRunAt, now }, cached)
}
