// Persisted schedules through the public API (issue "jobs:", point 10): every bad input is a typed
// error at the call and stores nothing; an upsert with the same definition keeps the slot, a
// changed one moves it; schedules fire into a listener, once for all the slots missed while no
// process ran, and a fire that cannot publish is reported and keeps the schedule; cron slots in a
// time zone follow its daylight-saving changes.

import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { slotAfter } from '../../src/actors/durable/scheduleSlots.js'
import {
  BrokerClosedError,
  CloneError,
  InvalidArgumentError,
  InvalidChannelError,
  MessageTooLargeError,
  UnknownChannelError,
} from '../../src/index.js'
import type { ScheduleInfo } from '../../src/index.js'
import { connect, Counter, dbPath, openBroker, storedMessages, thrown, turns, useDurableFixtures, wait } from './durableHelpers.js'

useDurableFixtures()

const HOUR = 3_600_000

/** The schedules as another connection sees them in the file. */
function storedSchedules(path: string): Array<{ name: string; next_run_at: number; last_run_at: number | null }> {
  const db = new Database(path, { readonly: true })
  try {
    return db.prepare('SELECT name, next_run_at, last_run_at FROM durable_ipc_schedules ORDER BY name').all() as Array<{ name: string; next_run_at: number; last_run_at: number | null }>
  } finally {
    db.close()
  }
}

describe('broker.schedule() refuses bad input with a typed error and stores nothing', () => {
  const cases: Array<[string, unknown, unknown, new (...args: never[]) => Error, RegExp?]> = [
    ['an empty name', '', { everyMs: 1000, channel: 'jobs', args: [] }, InvalidArgumentError],
    ['a name that is not a string', 7, { everyMs: 1000, channel: 'jobs', args: [] }, InvalidArgumentError],
    ['options that are not an object', 'tick', null, InvalidArgumentError],
    ['an unknown key, with a hint', 'tick', { every: 1000, channel: 'jobs', args: [] }, InvalidArgumentError, /Unknown option 'every' in schedule options: did you mean 'everyMs'/],
    ['timezone for tz', 'tick', { cron: '* * * * *', timezone: 'UTC', channel: 'jobs', args: [] }, InvalidArgumentError, /did you mean 'tz'/],
    ['neither cron nor everyMs', 'tick', { channel: 'jobs', args: [] }, InvalidArgumentError, /exactly one of cron and everyMs.*neither/],
    ['both cron and everyMs', 'tick', { cron: '* * * * *', everyMs: 1000, channel: 'jobs', args: [] }, InvalidArgumentError, /both/],
    ['everyMs 0', 'tick', { everyMs: 0, channel: 'jobs', args: [] }, InvalidArgumentError, /everyMs/],
    ['a fractional everyMs', 'tick', { everyMs: 1.5, channel: 'jobs', args: [] }, InvalidArgumentError, /everyMs/],
    ['everyMs as text', 'tick', { everyMs: '1000', channel: 'jobs', args: [] }, InvalidArgumentError, /everyMs/],
    ['an unsafe everyMs', 'tick', { everyMs: 2 ** 53, channel: 'jobs', args: [] }, InvalidArgumentError, /everyMs/],
    ['an everyMs past the last Date', 'tick', { everyMs: 2 ** 53 - 1, channel: 'jobs', args: [] }, InvalidArgumentError, /275760/],
    ['tz with everyMs', 'tick', { everyMs: 1000, tz: 'UTC', channel: 'jobs', args: [] }, InvalidArgumentError, /only for cron/],
    ['a minute of 61', 'tick', { cron: '61 * * * *', channel: 'jobs', args: [] }, InvalidArgumentError, /cron expression/],
    ['words for a cron expression', 'tick', { cron: 'every day', channel: 'jobs', args: [] }, InvalidArgumentError, /cron expression/],
    ['seven fields', 'tick', { cron: '0 0 0 1 1 * 2030', channel: 'jobs', args: [] }, InvalidArgumentError, /cron expression/],
    ['a date for a cron expression', 'tick', { cron: '2030-01-01T00:00:00', channel: 'jobs', args: [] }, InvalidArgumentError, /date/],
    ['a cron expression that never fires', 'tick', { cron: '0 0 30 2 *', channel: 'jobs', args: [] }, InvalidArgumentError, /never/],
    ['an empty cron expression', 'tick', { cron: ' ', channel: 'jobs', args: [] }, InvalidArgumentError, /cron/],
    ['an unknown time zone', 'tick', { cron: '0 3 * * *', tz: 'Mars/Olympus', channel: 'jobs', args: [] }, InvalidArgumentError, /IANA time zone.*Mars\/Olympus/],
    ['an undeclared channel', 'tick', { everyMs: 1000, channel: 'nope', args: [] }, UnknownChannelError],
    ['a transient channel', 'tick', { everyMs: 1000, channel: 'transient', args: [] }, UnknownChannelError],
    ['an empty channel name', 'tick', { everyMs: 1000, channel: '', args: [] }, InvalidChannelError],
    ['args that are not an array', 'tick', { everyMs: 1000, channel: 'jobs', args: 'x' }, InvalidArgumentError, /args/],
    ['args that cannot be cloned', 'tick', { everyMs: 1000, channel: 'jobs', args: [{ save: () => {} }] }, CloneError],
    ['a fractional priority', 'tick', { everyMs: 1000, channel: 'jobs', args: [], priority: 0.5 }, InvalidArgumentError, /priority/],
    ['args over maxMessageBytes', 'tick', { everyMs: 1000, channel: 'small', args: ['x'.repeat(100)] }, MessageTooLargeError],
  ]

  it.each(cases)('%s', (_what, name, options, type, message) => {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('jobs', { durable: true })
    broker.channel('small', { durable: true, maxMessageBytes: 64 })
    broker.ipcMain.on('transient', () => {})
    const error = thrown(() => broker.schedule(name as string, options as never))
    expect(error).toBeInstanceOf(type)
    expect(error.code).toMatch(/^ERR_/)
    if (message) expect(error.message).toMatch(message)
    expect(broker.schedules()).toEqual([])
    expect(storedSchedules(path)).toEqual([])
  })

  it('keeps a stored schedule as it was when its update is refused', () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true })
    const before = broker.schedule('tick', { everyMs: HOUR, channel: 'jobs', args: [1] })
    expect(() => broker.schedule('tick', { cron: 'nope', channel: 'jobs', args: [2] })).toThrow(InvalidArgumentError)
    expect(broker.schedules()).toEqual([before])
  })

  it('refuses every schedule method after close() with BrokerClosedError', async () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true })
    await broker.close()
    expect(() => broker.schedule('tick', { everyMs: 1000, channel: 'jobs', args: [] })).toThrow(BrokerClosedError)
    expect(() => broker.schedules()).toThrow(BrokerClosedError)
    expect(() => broker.unschedule('tick')).toThrow(BrokerClosedError)
  })

  it('refuses an unschedule without a name', () => {
    const broker = openBroker({ path: dbPath() })
    expect(() => broker.unschedule('' as string)).toThrow(InvalidArgumentError)
  })
})

describe('upsert, list and unschedule', () => {
  it('returns and lists what it stored: an interval from now, never run', () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true })
    const before = Date.now()
    const info = broker.schedule('heartbeat', { everyMs: HOUR, channel: 'jobs', args: ['ping'] })
    const after = Date.now()
    expect(info).toEqual({ name: 'heartbeat', cron: null, everyMs: HOUR, tz: null, channel: 'jobs', nextRunAt: expect.any(Date), lastRunAt: null })
    expect(info.nextRunAt.getTime()).toBeGreaterThanOrEqual(before + HOUR)
    expect(info.nextRunAt.getTime()).toBeLessThanOrEqual(after + HOUR)
    expect(broker.schedules()).toEqual([info])
  })

  it('gives a cron schedule its zone, UTC by default, by its canonical name', () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('report', { durable: true })
    const utc = broker.schedule('utc', { cron: '0 3 * * *', channel: 'report', args: [] })
    const berlin = broker.schedule('berlin', { cron: '0 3 * * *', tz: 'europe/berlin', channel: 'report', args: [] })
    expect([utc.tz, berlin.tz]).toEqual(['UTC', 'Europe/Berlin'])
    expect(utc.nextRunAt.getUTCHours()).toBe(3)
    expect(berlin.nextRunAt.getTime()).toBe(slotAfter({ cron: '0 3 * * *', tz: 'Europe/Berlin', everyMs: null }, Date.now()))
    expect(broker.schedules().map((s) => s.name)).toEqual(['berlin', 'utc'])
  })

  it('keeps the slot when the same definition is scheduled again, by this process or another', async () => {
    const path = dbPath()
    const first = openBroker({ path })
    first.channel('jobs', { durable: true })
    const info = first.schedule('tick', { everyMs: HOUR, channel: 'jobs', args: [{ n: 1 }], priority: 2 })
    await wait(5)
    expect(first.schedule('tick', { everyMs: HOUR, channel: 'jobs', args: [{ n: 1 }], priority: 2 })).toEqual(info)
    await first.close()
    const second = openBroker({ path }) // a restart: the application schedules on start-up again
    second.channel('jobs', { durable: true })
    expect(second.schedule('tick', { everyMs: HOUR, channel: 'jobs', args: [{ n: 1 }], priority: 2 })).toEqual(info)
  })

  it.each([
    ['the interval', { everyMs: 2 * HOUR }],
    ['the arguments', { args: [{ n: 2 }] }],
    ['the priority', { priority: 3 }],
  ] as Array<[string, { everyMs?: number; args?: unknown[]; priority?: number }]>)('takes its slot from now when %s changed', async (_what, change) => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true })
    const info = broker.schedule('tick', { everyMs: HOUR, channel: 'jobs', args: [{ n: 1 }] })
    await wait(5)
    const before = Date.now()
    const changed = broker.schedule('tick', { everyMs: HOUR, channel: 'jobs', args: [{ n: 1 }], ...change })
    expect(changed.nextRunAt.getTime()).toBeGreaterThanOrEqual(before + (change.everyMs ?? HOUR))
    expect(changed.nextRunAt.getTime()).toBeGreaterThan(info.nextRunAt.getTime())
  })

  it('moves a schedule from an interval to cron and back', () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true })
    broker.schedule('tick', { everyMs: HOUR, channel: 'jobs', args: [] })
    expect(broker.schedule('tick', { cron: '*/5 * * * *', tz: 'Asia/Tokyo', channel: 'jobs', args: [] })).toMatchObject({ cron: '*/5 * * * *', everyMs: null, tz: 'Asia/Tokyo' })
    expect(broker.schedule('tick', { everyMs: 10, channel: 'jobs', args: [] })).toMatchObject({ cron: null, everyMs: 10, tz: null })
    expect(broker.schedules()).toHaveLength(1)
  })

  it('unschedules: true when it existed, and it stays gone across a restart', async () => {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('jobs', { durable: true })
    broker.schedule('a', { everyMs: HOUR, channel: 'jobs', args: [] })
    broker.schedule('b', { everyMs: HOUR, channel: 'jobs', args: [] })
    expect(broker.unschedule('a')).toBe(true)
    expect(broker.unschedule('a')).toBe(false)
    expect(broker.unschedule('never')).toBe(false)
    await broker.close()
    expect(openBroker({ path }).schedules().map((s) => s.name)).toEqual(['b'])
  })
})

describe('firing', () => {
  it('enqueues the arguments on the channel at every slot, into a listener', async () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true })
    const got = new Counter<{ args: unknown[]; at: number }>()
    broker.ipcMain.on('jobs', (_event, ...args: unknown[]) => got.push({ args, at: Date.now() }))
    const info = broker.schedule('tick', { everyMs: 40, channel: 'jobs', args: [{ job: 'tick' }, 2] })
    await got.reach(3)
    broker.unschedule('tick')
    expect(got.items.slice(0, 3).map((g) => g.args)).toEqual([[{ job: 'tick' }, 2], [{ job: 'tick' }, 2], [{ job: 'tick' }, 2]])
    // Not before the first slot.
    expect(got.items[0]!.at).toBeGreaterThanOrEqual(info.nextRunAt.getTime())
  })

  it('enqueues at its priority, each job running at its slot: ahead of the waiting jobs of a lower one', async () => {
    const broker = openBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true })
    broker.enqueue('jobs', ['plain'])
    const { nextRunAt } = broker.schedule('urgent', { everyMs: 30, channel: 'jobs', args: ['urgent'], priority: 7 })
    await expect.poll(() => broker.jobs('jobs').length, { timeout: 5000 }).toBeGreaterThanOrEqual(2)
    broker.unschedule('urgent')
    const scheduled = broker.jobs('jobs').find((job) => job.priority === 7)!
    expect(scheduled).toMatchObject({ state: 'waiting', runAt: nextRunAt })
    const got = new Counter<unknown>()
    broker.ipcMain.on('jobs', (_event, what: unknown) => got.push(what))
    await got.reach(2)
    expect(got.items[0]).toBe('urgent')
  })

  it('records the last run, and the next slot on the grid', async () => {
    const path = dbPath()
    const broker = openBroker({ path })
    broker.channel('jobs', { durable: true })
    const got = new Counter()
    broker.ipcMain.on('jobs', () => got.push(1))
    const first = broker.schedule('tick', { everyMs: 30, channel: 'jobs', args: [] }).nextRunAt.getTime()
    await got.reach(1)
    const [info] = broker.schedules() as [ScheduleInfo]
    expect(info.lastRunAt!.getTime()).toBeGreaterThanOrEqual(first)
    expect((info.nextRunAt.getTime() - first) % 30).toBe(0)
    expect(info.nextRunAt.getTime()).toBeGreaterThan(info.lastRunAt!.getTime())
  })

  it('after downtime fires once for all the missed slots, then continues on time', async () => {
    const path = dbPath()
    const setup = openBroker({ path })
    setup.channel('jobs', { durable: true })
    const made = setup.schedule('hourly', { everyMs: HOUR, channel: 'jobs', args: ['hourly'] }).nextRunAt.getTime()
    await setup.close()
    // Nobody ran for a day and a bit: 25 slots went by.
    const missedFrom = made - 25 * HOUR - 1000
    const db = connect(path)
    db.prepare('UPDATE durable_ipc_schedules SET next_run_at = ?').run(missedFrom)
    db.close()

    const broker = openBroker({ path })
    const got = new Counter<unknown[]>()
    broker.ipcMain.on('jobs', (_event, ...args: unknown[]) => got.push(args))
    await got.reach(1)
    await wait(100)
    await turns()
    expect(got.items).toEqual([['hourly']])
    const [info] = broker.schedules() as [ScheduleInfo]
    const now = Date.now()
    expect(info.nextRunAt.getTime()).toBeGreaterThan(now)
    expect(info.nextRunAt.getTime()).toBeLessThanOrEqual(now + HOUR)
    expect((info.nextRunAt.getTime() - missedFrom) % HOUR).toBe(0)
    expect(storedMessages(path, 'jobs')).toEqual([])
  })

  it('reports a fire whose channel vanished, and keeps the schedule', async () => {
    const path = dbPath()
    const setup = openBroker({ path })
    setup.channel('gone', { durable: true })
    setup.schedule('orphan', { everyMs: HOUR, channel: 'gone', args: [] })
    await setup.close()
    const db = connect(path)
    db.prepare("DELETE FROM durable_ipc_channels WHERE name = 'gone'").run()
    db.prepare('UPDATE durable_ipc_schedules SET next_run_at = 1000').run()
    db.close()

    const broker = openBroker({ path })
    const errors = new Counter<{ error: unknown; channel: string }>()
    broker.on('error', (error: unknown, channel: string) => errors.push({ error, channel }))
    await errors.reach(1)
    expect(errors.items[0]).toEqual({ error: expect.any(UnknownChannelError), channel: 'gone' })
    expect(broker.schedules()).toEqual([expect.objectContaining({ name: 'orphan', nextRunAt: new Date(1000), lastRunAt: null })])
  })
})

describe('cron slots in a time zone follow its daylight-saving changes', () => {
  const berlin = (cron: string) => ({ cron, tz: 'Europe/Berlin', everyMs: null })
  const next = (cron: string, from: string) => new Date(slotAfter(berlin(cron), Date.parse(from))).toISOString()

  it("fires '30 2 * * *' at 03:00 on the spring-forward day, when 02:30 does not exist, and at 02:30 again after", () => {
    // 2024-03-31: Berlin's clocks go from 02:00 CET to 03:00 CEST.
    expect(next('30 2 * * *', '2024-03-30T12:00:00Z')).toBe('2024-03-31T01:00:00.000Z') // 03:00 CEST
    expect(next('30 2 * * *', '2024-03-31T01:00:00Z')).toBe('2024-04-01T00:30:00.000Z') // 02:30 CEST
    expect(next('30 2 * * *', '2024-03-29T12:00:00Z')).toBe('2024-03-30T01:30:00.000Z') // 02:30 CET
  })

  it("fires '30 2 * * *' once on the fall-back day, when 02:30 happens twice", () => {
    // 2024-10-27: from 03:00 CEST back to 02:00 CET.
    const first = next('30 2 * * *', '2024-10-26T12:00:00Z')
    expect(first).toBe('2024-10-27T00:30:00.000Z') // 02:30 CEST
    expect(next('30 2 * * *', first)).toBe('2024-10-28T01:30:00.000Z') // 02:30 CET, the next day
  })

  it('keeps local wall-clock time across the change: 09:00 Berlin is 08:00 UTC in winter, 07:00 in summer', () => {
    expect(next('0 9 * * *', '2024-03-30T12:00:00Z')).toBe('2024-03-31T07:00:00.000Z')
    expect(next('0 9 * * *', '2024-03-29T12:00:00Z')).toBe('2024-03-30T08:00:00.000Z')
  })

  it('counts an interval in real milliseconds, whatever the zone does', () => {
    expect(slotAfter({ cron: null, tz: null, everyMs: HOUR }, Date.parse('2024-03-31T01:30:00Z'), Date.parse('2024-03-31T00:00:00Z'))).toBe(Date.parse('2024-03-31T02:00:00Z'))
  })
})
