// Persisted schedules through the Store contract: an upsert that keeps the slot of an unchanged
// definition and moves that of a changed one; and firing, a compare-and-set on the slot plus the
// publish of the slot's message in one transaction, so that of every store on the database
// exactly one fires a slot, and a fire that cannot publish leaves the schedule as it was.

import { beforeEach, describe, expect, it } from 'vitest'
import { QueueFullError, UnknownChannelError } from '../../../src/errors.js'
import type { ScheduleInput, Store } from '../../../src/store/index.js'
import { channelConfig, text } from '../helpers.js'
import { backends } from './backends.js'
import { useStores } from './fixture.js'

const t0 = 1_700_000_000_000

/** A schedule of 'jobs' every second, first slot at t0 + 1000; override what a test needs. */
function tick(overrides: Partial<ScheduleInput> = {}): ScheduleInput {
  return { name: 'tick', cron: null, everyMs: 1000, tz: null, channel: 'jobs', payload: '"tick"', priority: 0, nextRunAt: t0 + 1000, ...overrides }
}

describe.each(backends)('$name store: schedules', (backend) => {
  const stores = useStores(backend)
  let store: Store

  beforeEach(() => {
    store = stores.store()
    store.declareChannel('jobs', channelConfig())
  })

  const messages = (on: Store = store) => on.messagesAfter(0, 'jobs', 100)

  describe('upsert, list, delete', () => {
    it('stores a schedule and lists it by name, never run', async () => {
      const stored = store.upsertSchedule(tick())
      expect(stored).toEqual({ ...tick(), lastRunAt: null })
      store.upsertSchedule(tick({ name: 'nightly', cron: '0 3 * * *', everyMs: null, tz: 'Europe/Berlin', payload: new Uint8Array([1, 2]) }))
      const listed = store.listSchedules()
      expect(listed.map((row) => row.name)).toEqual(['nightly', 'tick'])
      expect(listed[0]).toMatchObject({ cron: '0 3 * * *', everyMs: null, tz: 'Europe/Berlin', lastRunAt: null })
      expect([...(listed[0]!.payload as Uint8Array)]).toEqual([1, 2])
    })

    it('keeps the stored slot and last run when the same definition is upserted again', async () => {
      store.upsertSchedule(tick())
      store.fireSchedule('tick', t0 + 1000, t0 + 2000, t0 + 1001)
      const again = store.upsertSchedule(tick({ nextRunAt: t0 + 9999 }))
      expect(again).toMatchObject({ nextRunAt: t0 + 2000, lastRunAt: t0 + 1001 })
      expect(store.listSchedules()).toEqual([again])
    })

    it.each([
      ['everyMs', { everyMs: 500 }],
      ['cron instead of everyMs', { cron: '* * * * *', everyMs: null, tz: 'UTC' }],
      ['payload', { payload: '"tock"' }],
      ['payload text versus bytes', { payload: new TextEncoder().encode('"tick"') }],
      ['priority', { priority: 3 }],
    ] as Array<[string, Partial<ScheduleInput>]>)('takes the new slot when the %s changed, keeping the last run', (_what, change) => {
      store.upsertSchedule(tick())
      store.fireSchedule('tick', t0 + 1000, t0 + 2000, t0 + 1001)
      const { payload, ...definition } = store.upsertSchedule(tick({ ...change, nextRunAt: t0 + 5000 }))
      const { payload: newPayload = '"tick"', ...newDefinition } = change
      expect(definition).toMatchObject({ ...newDefinition, nextRunAt: t0 + 5000, lastRunAt: t0 + 1001 })
      expect([typeof payload, text(payload)]).toEqual([typeof newPayload, text(newPayload)])
    })

    it('takes the new slot when the channel or the zone changed', async () => {
      store.declareChannel('other', channelConfig())
      store.upsertSchedule(tick({ cron: '0 3 * * *', everyMs: null, tz: 'UTC' }))
      expect(store.upsertSchedule(tick({ cron: '0 3 * * *', everyMs: null, tz: 'Asia/Tokyo', nextRunAt: 7 })).nextRunAt).toBe(7)
      expect(store.upsertSchedule(tick({ cron: '0 3 * * *', everyMs: null, tz: 'Asia/Tokyo', channel: 'other', nextRunAt: 8 })).nextRunAt).toBe(8)
    })

    it('refuses a schedule of an undeclared channel and stores nothing', async () => {
      expect(() => store.upsertSchedule(tick({ channel: 'nope' }))).toThrow(UnknownChannelError)
      expect(store.listSchedules()).toEqual([])
    })

    it('deletes a schedule once: true when it existed', async () => {
      store.upsertSchedule(tick())
      expect(store.deleteSchedule('tick')).toBe(true)
      expect(store.deleteSchedule('tick')).toBe(false)
      expect(store.listSchedules()).toEqual([])
    })

    it('shows one store the schedules another one wrote', async () => {
      const database = stores.database()
      const a = database.open()
      const b = database.open()
      a.declareChannel('jobs', channelConfig())
      a.upsertSchedule(tick())
      expect(b.listSchedules().map((row) => row.name)).toEqual(['tick'])
      expect(database.open({ readonly: true }).listSchedules()).toHaveLength(1)
    })
  })

  describe('fire', () => {
    it('publishes the payload to the fan-out subscriptions, visible from the slot, and moves the schedule on', async () => {
      store.ensureSubscription('jobs', 'audit')
      store.ensureSubscription('jobs', 'inbox-1', { fanOut: false })
      store.upsertSchedule(tick())
      const fired = store.fireSchedule('tick', t0 + 1000, t0 + 2000, t0 + 1003)
      expect(fired).toEqual({ id: expect.any(Number), duplicate: false })
      const stored = messages().map((m) => [m.subscription, text(m.payload), m.kind, m.visibleAt, m.createdAt])
      expect(stored.sort()).toEqual([
        ['audit', '"tick"', 'message', t0 + 1000, t0 + 1003],
        ['main', '"tick"', 'message', t0 + 1000, t0 + 1003],
      ])
      expect(store.listSchedules()[0]).toMatchObject({ nextRunAt: t0 + 2000, lastRunAt: t0 + 1003 })
    })

    it('publishes with the schedule\'s priority: claimed before the waiting messages of a lower one', async () => {
      store.publish({ channel: 'jobs', payload: '"plain"', kind: 'message', visibleAt: t0, now: t0 })
      store.upsertSchedule(tick({ priority: 5 }))
      const fired = store.fireSchedule('tick', t0 + 1000, t0 + 2000, t0 + 1000)!
      expect(store.job(fired.id, t0 + 1000)).toMatchObject({ priority: 5, state: 'waiting', runAt: t0 + 1000 })
      const [first] = (await store.claim('jobs', 'main', backend.ownerId(), t0 + 1000, 1000, 1))
      expect([first!.id, text(first!.payload)]).toEqual([fired.id, '"tick"'])
    })

    it('fires a slot once: a second fire with the stale expected time stores nothing', async () => {
      store.upsertSchedule(tick())
      expect(store.fireSchedule('tick', t0 + 1000, t0 + 2000, t0 + 1000)).toBeDefined()
      expect(store.fireSchedule('tick', t0 + 1000, t0 + 2000, t0 + 1001)).toBeUndefined()
      expect(store.fireSchedule('tick', t0 + 1000, t0 + 3000, t0 + 1002)).toBeUndefined()
      expect(messages()).toHaveLength(1)
      expect(store.listSchedules()[0]).toMatchObject({ nextRunAt: t0 + 2000, lastRunAt: t0 + 1000 })
    })

    it('lets exactly one of two stores on the database fire a slot they both saw', async () => {
      const database = stores.database()
      const a = database.open()
      const b = database.open()
      a.declareChannel('jobs', channelConfig())
      a.upsertSchedule(tick())
      const [seenByA] = a.listSchedules()
      const [seenByB] = b.listSchedules()
      const results = [a.fireSchedule('tick', seenByA!.nextRunAt, t0 + 2000, t0 + 1000), b.fireSchedule('tick', seenByB!.nextRunAt, t0 + 2000, t0 + 1000)]
      expect(results.filter((r) => r !== undefined)).toHaveLength(1)
      expect(messages(b)).toHaveLength(1)
      // The next slot is anyone's again.
      expect(b.fireSchedule('tick', t0 + 2000, t0 + 3000, t0 + 2000)).toBeDefined()
      expect(a.fireSchedule('tick', t0 + 2000, t0 + 3000, t0 + 2000)).toBeUndefined()
      expect(messages(a)).toHaveLength(2)
    })

    it('fires nothing of a deleted schedule, nor the old slot of a changed one', async () => {
      store.upsertSchedule(tick())
      store.upsertSchedule(tick({ everyMs: 5000, nextRunAt: t0 + 5000 }))
      expect(store.fireSchedule('tick', t0 + 1000, t0 + 2000, t0 + 1000)).toBeUndefined()
      store.deleteSchedule('tick')
      expect(store.fireSchedule('tick', t0 + 5000, t0 + 10_000, t0 + 5000)).toBeUndefined()
      expect(messages()).toEqual([])
    })

    it('applies the channel limits: a fire that cannot publish throws and leaves the schedule as it was', async () => {
      store.declareChannel('jobs', channelConfig({ maxDepth: 1 }))
      store.upsertSchedule(tick())
      store.fireSchedule('tick', t0 + 1000, t0 + 2000, t0 + 1000)
      expect(() => store.fireSchedule('tick', t0 + 2000, t0 + 3000, t0 + 2000)).toThrow(QueueFullError)
      expect(store.listSchedules()[0]).toMatchObject({ nextRunAt: t0 + 2000, lastRunAt: t0 + 1000 })
      expect(messages()).toHaveLength(1)
    })
  })
})
