// The scheduler on XState's SimulatedClock: a slot fires at its time, not a millisecond before, and
// the scheduler re-arms for the next one; schedules written by another connection are seen within
// a second, a local change at once; after downtime the missed slots fire once; two schedulers on
// one file fire each slot once; a fire that fails is reported and retried, backing off.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SimulatedClock } from 'xstate'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { READ_EVERY_MS, RETRY_FIRST_MS, startScheduler } from '../../../src/actors/durable/schedulerMachine.js'
import type { SchedulerActor } from '../../../src/actors/durable/schedulerMachine.js'
import { QueueFullError } from '../../../src/errors.js'
import { openSqliteStore } from '../../../src/store/index.js'
import type { ChannelConfig, ScheduleInput, Store } from '../../../src/store/index.js'

const t0 = 1_700_000_000_000
const config: ChannelConfig = {
  maxAttempts: 3, backoffInitialMs: 100, backoffMaxMs: 1000, concurrency: 1, leaseMs: 30_000, maxMessageBytes: null, maxDepth: null, timeoutMs: null, rateLimit: null,
}

let dir: string
let path: string
let store: Store
let clock: SimulatedClock
const opened: Store[] = []
const schedulers: SchedulerActor[] = []

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'durable-ipc-scheduler-'))
  path = join(dir, 's.db')
  store = open()
  store.declareChannel('jobs', config)
  clock = new SimulatedClock()
  clock.set(t0)
})
afterEach(() => {
  for (const scheduler of schedulers.splice(0)) if (scheduler.getSnapshot().status === 'active') scheduler.send({ type: 'stop' })
  for (const s of opened.splice(0)) s.close()
  rmSync(dir, { recursive: true, force: true })
})

function open(): Store {
  const s = openSqliteStore({ path })
  opened.push(s)
  return s
}

/** Every `everyMs` on 'jobs', first slot `first`. */
function every(everyMs: number, first: number, name = 'tick'): ScheduleInput {
  return { name, cron: null, everyMs, tz: null, channel: 'jobs', payload: JSON.stringify([null, [name]]), priority: 0, nextRunAt: first }
}

interface Started {
  fired: string[]
  errors: unknown[]
}

function start(on: Store = store): Started {
  const seen: Started = { fired: [], errors: [] }
  schedulers.push(
    startScheduler({ store: on, onFired: (channel, name) => seen.fired.push(`${channel}/${name}`), onError: (error) => seen.errors.push(error) }, { clock }),
  )
  return seen
}

/** The slots fired so far, as the visible-at times of the stored messages (each is its slot's time). */
const slots = (): number[] => store.messagesAfter(0, 'jobs', 1000).map((m) => m.visibleAt - t0)
/** When each was stored (ms after t0). */
const firedAt = (): number[] => store.messagesAfter(0, 'jobs', 1000).map((m) => m.createdAt - t0)

/** Moves the simulated clock on in steps of at most `step` ms, as real time would pass. */
function advance(ms: number, step = 10): void {
  for (let left = ms; left > 0; left -= step) clock.increment(Math.min(step, left))
}

describe('the scheduler on a simulated clock', () => {
  it('fires at the slot, not before, and re-arms for the next one', () => {
    store.upsertSchedule(every(1000, t0 + 1500))
    const { fired } = start()
    clock.increment(1499)
    expect(slots()).toEqual([])
    clock.increment(1)
    expect(slots()).toEqual([1500])
    expect(fired).toEqual(['jobs/tick'])
    expect(store.listSchedules()[0]).toMatchObject({ nextRunAt: t0 + 2500, lastRunAt: t0 + 1500 })
    clock.increment(999)
    expect(slots()).toEqual([1500])
    clock.increment(1)
    expect(slots()).toEqual([1500, 2500])
    advance(3000)
    expect(slots()).toEqual([1500, 2500, 3500, 4500, 5500])
  })

  it('sleeps until a far slot, waking only to read', () => {
    store.upsertSchedule(every(86_400_000, t0 + 7_200_000))
    start()
    advance(7_200_000 - 1, 60_000)
    expect(slots()).toEqual([])
    clock.increment(1)
    expect(slots()).toEqual([7_200_000])
  })

  it('sees a schedule another connection wrote within a second, and a local change at once', () => {
    start()
    open().upsertSchedule(every(60_000, t0 + 200, 'remote'))
    clock.increment(200)
    expect(slots()).toEqual([])
    clock.increment(READ_EVERY_MS - 200)
    expect(slots()).toEqual([200])
    expect(firedAt()).toEqual([READ_EVERY_MS])

    store.upsertSchedule(every(60_000, t0 + 1100, 'local'))
    schedulers[0]!.send({ type: 'wake' })
    clock.increment(99)
    expect(slots()).toEqual([200])
    clock.increment(1)
    expect(slots()).toEqual([200, 1100])
    expect(firedAt()).toEqual([READ_EVERY_MS, 1100])
  })

  it('stops firing a schedule deleted elsewhere', () => {
    store.upsertSchedule(every(1000, t0 + 1000))
    start()
    clock.increment(1000)
    open().deleteSchedule('tick')
    advance(3000)
    expect(slots()).toEqual([1000])
  })

  it('after downtime fires once for all the missed slots, then continues on the grid', () => {
    store.upsertSchedule(every(1000, t0 - 10_250))
    start()
    expect(slots()).toEqual([]) // not inside the call that started it
    clock.increment(0)
    expect(slots()).toEqual([-10_250])
    expect(firedAt()).toEqual([0])
    expect(store.listSchedules()[0]).toMatchObject({ nextRunAt: t0 + 750, lastRunAt: t0 })
    clock.increment(749)
    expect(slots()).toHaveLength(1)
    clock.increment(1)
    expect(slots()).toEqual([-10_250, 750])
  })

  it('fires each slot once when two schedulers run on the file', () => {
    store.upsertSchedule(every(100, t0 + 100))
    const a = start(store)
    const b = start(open())
    advance(2000)
    expect(slots()).toEqual(Array.from({ length: 20 }, (_, i) => (i + 1) * 100))
    expect(a.fired.length + b.fired.length).toBe(20)
    expect(a.errors).toEqual([])
    expect(b.errors).toEqual([])
  })

  it('reports a fire that fails, backs off, and fires once the queue has room', () => {
    store.declareChannel('jobs', { ...config, maxDepth: 1 })
    store.publish({ channel: 'jobs', payload: '"in the way"', kind: 'message', visibleAt: t0, now: t0 })
    store.upsertSchedule(every(60_000, t0 + 100))
    const { errors } = start()
    clock.increment(100)
    expect(errors).toEqual([expect.any(QueueFullError)])
    clock.increment(RETRY_FIRST_MS - 1)
    expect(errors).toHaveLength(1)
    clock.increment(1)
    expect(errors).toHaveLength(2) // then 2 s
    advance(2 * RETRY_FIRST_MS - 10)
    expect(errors).toHaveLength(2)
    expect(store.listSchedules()[0]).toMatchObject({ nextRunAt: t0 + 100, lastRunAt: null })
    const [inTheWay] = store.claim('jobs', 'main', 'test-host/1/s', clock.now(), 1000, 1)
    store.ack([inTheWay!.id], 'test-host/1/s')
    advance(10)
    expect(slots()).toEqual([100])
    expect(errors).toHaveLength(2)
    expect(store.listSchedules()[0]).toMatchObject({ nextRunAt: t0 + 60_100 })
  })

  it('fires nothing once stopped', () => {
    store.upsertSchedule(every(1000, t0 + 1000))
    start()
    schedulers[0]!.send({ type: 'stop' })
    expect(schedulers[0]!.getSnapshot().status).toBe('done')
    advance(5000, 500)
    expect(slots()).toEqual([])
  })
})
