// Persisted schedules on PostgreSQL: the four operations of the Store contract's Schedules block.
// Firing a slot is a compare-and-set on next_run_at and the publish of the slot's message in one
// transaction: a store that lost the race finds the row moved on (its UPDATE waits for the
// winner's commit, then matches nothing) and commits nothing, so each slot fires once across nodes.

import type { Channels } from './channels.js'
import { payloadParams, readPayload } from './payloads.js'
import { count, first, rows } from './program.js'
import type { Program } from './program.js'
import { publish } from './publish.js'
import type { PublishResult, ScheduleInput, ScheduleRow } from '../types.js'

const columns = `name, cron, every_ms AS "everyMs", tz, channel, payload, payload_text, priority, next_run_at AS "nextRunAt", last_run_at AS "lastRunAt"`

// The stored definition compared column by column (IS NOT DISTINCT FROM: null equals null).
const sameDefinition = `s.cron IS NOT DISTINCT FROM excluded.cron AND s.every_ms IS NOT DISTINCT FROM excluded.every_ms
  AND s.tz IS NOT DISTINCT FROM excluded.tz AND s.channel = excluded.channel AND s.payload = excluded.payload
  AND s.payload_text = excluded.payload_text AND s.priority = excluded.priority`

const sql = {
  upsert: `INSERT INTO durable_ipc_schedules AS s (name, cron, every_ms, tz, channel, payload, payload_text, priority, next_run_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (name) DO UPDATE SET
      next_run_at = CASE WHEN ${sameDefinition} THEN s.next_run_at ELSE excluded.next_run_at END,
      cron = excluded.cron, every_ms = excluded.every_ms, tz = excluded.tz, channel = excluded.channel,
      payload = excluded.payload, payload_text = excluded.payload_text, priority = excluded.priority
    RETURNING ${columns}`,
  list: `SELECT ${columns} FROM durable_ipc_schedules ORDER BY name COLLATE "C"`,
  delete: 'DELETE FROM durable_ipc_schedules WHERE name = $1',
  advance: `UPDATE durable_ipc_schedules SET next_run_at = $3, last_run_at = $4
    WHERE name = $1 AND next_run_at = $2 RETURNING channel, payload, payload_text, priority`,
} as const

type ScheduleDbRow = Omit<ScheduleRow, 'payload'> & { payload: Uint8Array; payload_text: boolean }

function scheduleRow({ payload_text: isText, ...row }: ScheduleDbRow): ScheduleRow {
  return { ...row, payload: readPayload(row.payload, isText) }
}

/** Creates or replaces a schedule (see Store.upsertSchedule); throws UnknownChannelError. */
export function* upsertSchedule(channels: Channels, row: ScheduleInput): Program<ScheduleRow> {
  yield* channels.require(row.channel)
  const [bytes, isText] = payloadParams(row.payload)
  const stored = yield* first<ScheduleDbRow>(sql.upsert, [row.name, row.cron, row.everyMs, row.tz, row.channel, bytes, isText, row.priority, row.nextRunAt])
  return scheduleRow(stored!)
}

/** Every schedule, by name. */
export function* listSchedules(): Program<ScheduleRow[]> {
  return (yield* rows<ScheduleDbRow>(sql.list)).map(scheduleRow)
}

/** Deletes a schedule; true when it existed. */
export function* deleteSchedule(name: string): Program<boolean> {
  return (yield* count(sql.delete, [name])) > 0
}

/** Fires one slot (see Store.fireSchedule); undefined, writing nothing, when the compare-and-set lost. */
export function* fireSchedule(channels: Channels, name: string, expectedNextRunAt: number, nextRunAt: number, now: number): Program<PublishResult | undefined> {
  const won = yield* first<{ channel: string; payload: Uint8Array; payload_text: boolean; priority: number }>(sql.advance, [name, expectedNextRunAt, nextRunAt, now])
  if (won === undefined) return undefined
  const payload = readPayload(won.payload, won.payload_text)
  return yield* publish(channels, { channel: won.channel, payload, kind: 'message', priority: won.priority, visibleAt: expectedNextRunAt, now })
}
