// Persisted schedules as the public API sees them (broker.schedule, schedules, unschedule): the
// options checked in one pass and turned into a stored schedule (its arguments encoded once, its
// first slot computed), stored rows turned into ScheduleInfo. The scheduler of every broker on the
// file (actors/durable/schedulerMachine.ts) fires them.
import { canonicalTimeZone, compileCron, DEFAULT_TIME_ZONE, slotAfter } from '../actors/durable/scheduleSlots.js'
import { InvalidArgumentError, MessageTooLargeError, UnknownChannelError } from '../errors.js'
import { assertChannel } from '../ipc/validation.js'
import { encodeEnvelope } from '../protocol/envelope.js'
import { payloadBytes } from '../store/index.js'
import type { ScheduleInput, ScheduleRow, Store } from '../store/index.js'
import type { ScheduleInfo, ScheduleOptions } from '../types.js'
import { assertKnownKeys, optionKeys } from './optionKeys.js'
import type { OptionHint } from './optionKeys.js'

/** Every key of ScheduleOptions: a key added there must be added here (the compiler says so). */
export const SCHEDULE_OPTION_KEYS = optionKeys<ScheduleOptions>()(['cron', 'everyMs', 'tz', 'channel', 'args', 'priority'])

const NOT_PER_MESSAGE = 'a scheduled message has the options of its channel: broker.channel(name, { durable: true, maxAttempts, backoff })'

// The names BullMQ (repeat: { pattern, every, tz }), pg-boss, Agenda and node-cron give these.
const SCHEDULE_HINTS: Record<string, OptionHint> = {
  pattern: 'cron',
  expression: 'cron',
  crontab: 'cron',
  schedule: 'cron',
  every: "did you mean 'everyMs'? It is in milliseconds",
  interval: "did you mean 'everyMs'? It is in milliseconds",
  intervalMs: 'everyMs',
  repeat: "give 'cron' or 'everyMs' directly: broker.schedule(name, { everyMs: 1000, channel, args })",
  timezone: 'tz',
  timeZone: 'tz',
  zone: 'tz',
  queue: 'channel',
  name: 'the name is the first argument: broker.schedule(name, options)',
  data: 'args',
  payload: 'args',
  arguments: 'args',
  key: 'a schedule enqueues once per slot by itself: no key is needed',
  delayMs: "a schedule's first slot is its first cron match, or everyMs after the call",
  startAt: "a schedule's first slot is its first cron match, or everyMs after the call",
  attempts: NOT_PER_MESSAGE,
  maxAttempts: NOT_PER_MESSAGE,
  backoff: NOT_PER_MESSAGE,
}

/** The latest time a JavaScript Date can hold: 8.64e15 ms after the epoch (year 275760). */
const MAX_DATE_MS = 8.64e15

/**
 * Checks `broker.schedule` arguments and returns the schedule to store: its definition (a cron
 * expression's zone made canonical, UTC when none), its arguments encoded once
 * (`encodeEnvelope(null, args)`: a CloneError for what cannot be cloned), and its first slot after
 * `now`. Checks everything but whether the channel is declared (the store knows that). Throws a
 * typed error, having stored nothing.
 *
 * @example
 * parseSchedule('heartbeat', { everyMs: 30_000, channel: 'health', args: [] }, Date.now())
 * // { name: 'heartbeat', cron: null, everyMs: 30000, tz: null, channel: 'health', payload: '[null,[]]', priority: 0, nextRunAt: now + 30000 }
 */
export function parseSchedule(name: unknown, options: unknown, now: number): ScheduleInput {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError('Expected the schedule name to be a non-empty string')
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('Expected schedule options to be an object')
  assertKnownKeys(options, SCHEDULE_OPTION_KEYS, 'schedule options', SCHEDULE_HINTS)
  const { cron, everyMs, tz, channel, args, priority } = options as ScheduleOptions
  if ((cron === undefined) === (everyMs === undefined)) {
    throw new InvalidArgumentError(`Expected exactly one of cron and everyMs in the options of schedule '${name}', but found ${cron === undefined ? 'neither' : 'both'}`)
  }
  if (everyMs !== undefined && (typeof everyMs !== 'number' || !Number.isSafeInteger(everyMs) || everyMs < 1)) {
    throw new InvalidArgumentError(`Expected everyMs to be a whole number of milliseconds, at least 1, but found ${String(everyMs)}`)
  }
  if (cron !== undefined && (typeof cron !== 'string' || cron.trim().length === 0)) {
    throw new InvalidArgumentError('Expected cron to be a non-empty string such as \'0 3 * * *\'')
  }
  if (tz !== undefined && cron === undefined) throw new InvalidArgumentError('tz is only for cron: an everyMs schedule has no time zone')
  if (tz !== undefined && (typeof tz !== 'string' || tz.length === 0)) throw new InvalidArgumentError('Expected tz to be an IANA time zone name such as \'Europe/Berlin\'')
  assertChannel(channel)
  if (!Array.isArray(args)) throw new InvalidArgumentError('Expected args to be an array of arguments')
  if (priority !== undefined && (typeof priority !== 'number' || !Number.isSafeInteger(priority))) {
    throw new InvalidArgumentError(`Expected priority to be a safe integer, but found ${String(priority)}`)
  }

  const zone = cron === undefined ? null : canonicalTimeZone(tz ?? DEFAULT_TIME_ZONE)
  if (cron !== undefined) compileCron(cron, zone!)
  const rule = { cron: cron ?? null, tz: zone, everyMs: everyMs ?? null }
  const nextRunAt = slotAfter(rule, now)
  if (nextRunAt > MAX_DATE_MS) throw new InvalidArgumentError(`Expected everyMs to end at a valid Date, but now + ${String(everyMs)} ms is past the year 275760`)
  return { name, ...rule, channel, payload: encodeEnvelope(null, args), priority: priority ?? 0, nextRunAt }
}

/**
 * A stored schedule as `broker.schedules()` shows it.
 *
 * @example
 * toScheduleInfo(store.listSchedules()[0]).nextRunAt // a Date
 */
export function toScheduleInfo(row: ScheduleRow): ScheduleInfo {
  return {
    name: row.name,
    cron: row.cron,
    everyMs: row.everyMs,
    tz: row.tz,
    channel: row.channel,
    nextRunAt: new Date(row.nextRunAt),
    lastRunAt: row.lastRunAt === null ? null : new Date(row.lastRunAt),
  }
}

/** The broker's schedule methods: checked here, stored by the store, fired by the scheduler. */
export class Schedules {
  readonly #store: () => Store
  readonly #changed: () => void

  /** `store`: the broker's store (opened on first use); `changed`: wakes this broker's scheduler. */
  constructor(store: () => Store, changed: () => void) {
    this.#store = store
    this.#changed = changed
  }

  /** Creates or updates schedule `name`; see Broker.schedule. */
  schedule(name: unknown, options: unknown): ScheduleInfo {
    const row = parseSchedule(name, options, Date.now())
    const store = this.#store()
    const config = store.getChannel(row.channel)
    if (config === undefined) throw new UnknownChannelError(row.channel)
    // A message no slot could ever store is bad input now, not an error at every slot.
    const bytes = payloadBytes(row.payload)
    if (config.maxMessageBytes !== null && bytes > config.maxMessageBytes) throw new MessageTooLargeError(row.channel, bytes, config.maxMessageBytes)
    const stored = store.upsertSchedule(row)
    this.#changed()
    return toScheduleInfo(stored)
  }

  list(): ScheduleInfo[] {
    return this.#store().listSchedules().map(toScheduleInfo)
  }

  unschedule(name: unknown): boolean {
    if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError('Expected the schedule name to be a non-empty string')
    const existed = this.#store().deleteSchedule(name)
    if (existed) this.#changed()
    return existed
  }
}
