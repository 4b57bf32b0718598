// The scheduler of one open store: fires the persisted schedules' slots (broker.schedule()) as they
// come due. Every broker on the file runs one; the store's compare-and-set makes each slot fire in
// exactly one of them. Two loops of one machine (parallel states):
//   reading  the schedules are read about once a second (a small table), so that those added,
//            changed, deleted or fired by other processes are seen; a local schedule() or
//            unschedule() reads at once (`wake`)
//   timer    first waits for the opener's turn to end; then fires every due slot (the enqueue and
//            the move to the following slot in one store transaction) and sleeps until the earliest
//            slot (at most an hour), again and again; it is re-armed after every read
// After downtime a schedule fires once for all the slots it missed and then continues on time:
// the following slot is always the first one after now. A failed fire (a full queue, a channel that
// vanished) is reported and tried again later, backing off from 1 s to a minute; the schedule stays.
// Time comes from a DurableClock: unref'd Node timers by default (no reason to keep the process
// alive), XState's SimulatedClock in tests.
import { createActor, enqueueActions, raise, setup } from 'xstate'
import type { ActorRefFrom, InspectionEvent } from 'xstate'
import type { ScheduleRow, Store } from '../../store/index.js'
import { backgroundClock } from './consumerInput.js'
import type { DurableClock } from './consumerInput.js'
import { slotAfter } from './scheduleSlots.js'

/** How often the schedules are read again. */
export const READ_EVERY_MS = 1000
/** The longest the timer sleeps, however far the next slot. */
export const MAX_SLEEP_MS = 3_600_000
/** A failed fire is tried again after 1 s, then 2 s, 4 s, ... up to a minute. */
export const RETRY_FIRST_MS = 1000
export const RETRY_MAX_MS = 60_000
/** How long due slots wait while the application holds a transaction on a shared handle. */
export const HELD_RETRY_MS = 50

export interface SchedulerInput {
  store: Store
  /** A slot fired: its message is stored on `channel` (wake the channel's consumer here). */
  onFired: (channel: string, name: string) => void
  /** A store failure: reading (channel '*') or firing (the schedule's channel). */
  onError: (error: unknown, channel: string) => void
  now: () => number
}

/** A fire of slot `slot` that failed: not tried again before `retryAt`. */
interface Failure {
  slot: number
  delayMs: number
  retryAt: number
}

interface SchedulerContext extends SchedulerInput {
  /** The schedules as last read (slots this scheduler fired already moved on). */
  schedules: readonly ScheduleRow[]
  failures: ReadonlyMap<string, Failure>
  /** Epoch ms before which nothing fires: the application holds a transaction on the shared handle. */
  heldUntil: number
}

export type SchedulerEvent = { type: 'wake' } | { type: 'stop' } | { type: 'rearm' }

function readSchedules(context: SchedulerContext): readonly ScheduleRow[] {
  try {
    return context.store.listSchedules()
  } catch (error) {
    context.onError(error, '*')
    return context.schedules // tried again at the next read
  }
}

/** When a schedule may fire next: its slot, or later while a failed fire of that slot backs off. */
function dueAt(row: ScheduleRow, failures: ReadonlyMap<string, Failure>): number {
  const failure = failures.get(row.name)
  return failure !== undefined && failure.slot === row.nextRunAt ? Math.max(row.nextRunAt, failure.retryAt) : row.nextRunAt
}

export const schedulerMachine = setup({
  types: {} as { input: SchedulerInput; context: SchedulerContext; events: SchedulerEvent },
  actions: {
    read: enqueueActions(({ context, enqueue }) => {
      const schedules = readSchedules(context)
      // A failure of a slot that is no longer the schedule's (fired elsewhere, redefined) is over.
      const failures = new Map([...context.failures].filter(([name, f]) => schedules.some((row) => row.name === name && row.nextRunAt === f.slot)))
      enqueue.assign({ schedules, failures })
    }),
    rearm: raise({ type: 'rearm' }),
    fireDue: enqueueActions(({ context, enqueue }) => {
      const { store } = context
      const now = context.now()
      const due = context.schedules.filter((row) => dueAt(row, context.failures) <= now)
      if (due.length === 0 || now < context.heldUntil) return
      let writable: boolean
      try {
        writable = store.mayWrite()
      } catch (error) {
        writable = false
        context.onError(error, '*')
      }
      // Inside the application's transaction (the outbox) a fire would join it and could roll back.
      if (!writable) {
        enqueue.assign({ heldUntil: now + HELD_RETRY_MS })
        return
      }
      const moved = new Map<string, ScheduleRow>()
      const failures = new Map(context.failures)
      let lost = false
      for (const row of due) {
        try {
          const next = slotAfter(row, now, row.nextRunAt)
          const fired = store.fireSchedule(row.name, row.nextRunAt, next, now)
          failures.delete(row.name)
          if (fired === undefined) {
            lost = true // another process fired it first, or it changed: the read below shows how it is
            continue
          }
          moved.set(row.name, { ...row, nextRunAt: next, lastRunAt: now })
          context.onFired(row.channel, row.name)
        } catch (error) {
          context.onError(error, row.channel)
          const before = failures.get(row.name)
          const delayMs = before !== undefined && before.slot === row.nextRunAt ? Math.min(before.delayMs * 2, RETRY_MAX_MS) : RETRY_FIRST_MS
          failures.set(row.name, { slot: row.nextRunAt, delayMs, retryAt: now + delayMs })
        }
      }
      const schedules = lost ? readSchedules(context) : context.schedules.map((row) => moved.get(row.name) ?? row)
      enqueue.assign({ schedules, failures, heldUntil: 0 })
    }),
  },
  delays: {
    // Until the earliest slot that may fire (now, if one is due), at most MAX_SLEEP_MS.
    untilDue: ({ context }) => {
      const now = context.now()
      let at = now + MAX_SLEEP_MS
      for (const row of context.schedules) at = Math.min(at, dueAt(row, context.failures))
      return Math.max(0, at - now, context.heldUntil - now)
    },
  },
}).createMachine({
  id: 'scheduler',
  context: ({ input }) => {
    const context: SchedulerContext = { ...input, schedules: [], failures: new Map(), heldUntil: 0 }
    return { ...context, schedules: readSchedules(context) }
  },
  initial: 'running',
  states: {
    running: {
      type: 'parallel',
      on: {
        stop: '#scheduler.stopped',
        wake: { actions: ['read', 'rearm'] },
      },
      states: {
        reading: {
          initial: 'waiting',
          states: {
            waiting: { after: { [READ_EVERY_MS]: { target: 'waiting', reenter: true, actions: ['read', 'rearm'] } } },
          },
        },
        timer: {
          initial: 'starting',
          on: { rearm: { target: '.armed', reenter: true } },
          states: {
            // The first slots fire once the opener's turn ended (createBroker returned, its error
            // listener is attached), not inside it.
            starting: { after: { 0: 'armed' } },
            // Entered anew whenever something may have changed: due slots fire, then it sleeps.
            armed: {
              entry: 'fireDue',
              after: { untilDue: { target: 'armed', reenter: true } },
            },
          },
        },
      },
    },
    stopped: { type: 'final' },
  },
})

export type SchedulerActor = ActorRefFrom<typeof schedulerMachine>

/**
 * Starts the scheduler of `store`; send `wake` after changing a schedule here, `stop` before the
 * store closes.
 *
 * @example
 * const scheduler = startScheduler({ store, onFired: (channel) => wake(channel), onError: report })
 * scheduler.send({ type: 'stop' })
 */
export function startScheduler(
  input: Omit<SchedulerInput, 'now'>,
  options: { clock?: DurableClock; inspect?: ((event: InspectionEvent) => void) | undefined } = {},
): SchedulerActor {
  const clock = options.clock ?? backgroundClock
  const actor = createActor(schedulerMachine, { input: { ...input, now: () => clock.now() }, clock, ...(options.inspect ? { inspect: options.inspect } : {}) })
  return actor.start()
}
