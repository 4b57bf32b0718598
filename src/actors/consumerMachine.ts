// The actor that consumes one durable subscription in this process (a channel's main side, or one
// renderer's inbox). Its modes:
//   running   claims and delivers; stays while every slot waits on an answer, pumps again on each
//             answer and on each wake (with concurrency > 1 a new message may take a free slot)
//   yielding  gave the event loop a turn after a long slice of synchronous deliveries
//   idle      nothing claimable (answers may still be outstanding): sleeps until woken (a local
//             publish, a new listener, an answer) or until its poll finds that another process
//             committed or a delayed message came due; now and then it also hands back the leases
//             of dead processes of this host, so survivors take over a crashed one's deliveries
//   backingOff  the store failed (busy, disk full): tries again a little later
//   stopping  no new claims, undelivered claims handed back; waits for the answers still
//             outstanding, writing each as it comes (close() may give up waiting at any time)
//   stopped   acknowledgements written
import { createActor, setup, assign } from 'xstate'
import type { ActorRefFrom, InspectionEvent } from 'xstate'
import type { ClaimedMessage } from '../store/index.js'
import { ConsumerWork } from './consumerWork.js'
import type { ConsumerInput, DeliveryOutcome } from './consumerWork.js'

/** Cross-process wake-up: the idle poll starts here after activity and doubles up to the max. */
export const POLL_MIN_MS = 2
export const POLL_MAX_MS = 100
const STORE_RETRY_MS = 250
/** How often an idle consumer looks for leases held by dead processes of this host. */
export const SWEEP_MS = 250

export type ConsumerEvent =
  | { type: 'wake' }
  | { type: 'settled'; message: ClaimedMessage; outcome: DeliveryOutcome }
  | { type: 'stop' }

interface ConsumerContext {
  work: ConsumerWork
  status: 'drained' | 'busy' | 'yield' | 'error'
  pollMs: number
  dataVersion: number
  /** When the next message becomes claimable, as last read; null when none waits. */
  nextAt: number | null
  /** When this consumer last looked for dead owners' leases. */
  sweptAt: number
}

export const consumerMachine = setup({
  types: {} as { input: ConsumerInput; context: ConsumerContext; events: ConsumerEvent },
  actions: {
    pump: assign({ status: ({ context }) => context.work.pump() }),
    settle: ({ context, event }) => {
      if (event.type === 'settled') context.work.settle(event.message, event.outcome)
    },
    resetPoll: assign({ pollMs: POLL_MIN_MS }),
    slowPoll: assign({ pollMs: ({ context }) => Math.min(context.pollMs * 2, POLL_MAX_MS) }),
    // Read on the way into idle: what another process commits from now on changes data_version.
    // A process that dies commits nothing, so its leases are looked for separately, and released
    // before reading when the next message is due (the released ones are due at once).
    observe: assign(({ context }) => {
      const { store, channel, subscription } = context.work.input
      const now = Date.now()
      try {
        // Not inside the application's transaction (the outbox): the release would roll back with it.
        const sweep = now - context.sweptAt >= SWEEP_MS && !store.inTransaction()
        if (sweep) store.releaseDeadOwners(now)
        return { dataVersion: store.dataVersion(), nextAt: store.nextVisibleAt(channel, subscription), sweptAt: sweep ? now : context.sweptAt }
      } catch (error) {
        context.work.input.onError(error)
        return { nextAt: now + STORE_RETRY_MS, sweptAt: now }
      }
    }),
    releaseBatch: ({ context }) => context.work.releaseBatch(),
    flush: ({ context }) => context.work.flushAcks(),
  },
  guards: {
    drained: ({ context }) => context.status === 'drained',
    yielded: ({ context }) => context.status === 'yield',
    failed: ({ context }) => context.status === 'error',
    idleInFlight: ({ context }) => context.work.inFlight === 0,
    // True when a claim might find something: another connection committed, or a message came due.
    worthClaiming: ({ context }) => {
      if (context.nextAt !== null && context.nextAt <= Date.now()) return true
      try {
        return context.work.input.store.dataVersion() !== context.dataVersion
      } catch {
        return true
      }
    },
  },
  delays: {
    poll: ({ context }) => (context.nextAt === null ? context.pollMs : Math.max(0, Math.min(context.pollMs, context.nextAt - Date.now()))),
    storeRetry: STORE_RETRY_MS,
  },
}).createMachine({
  id: 'consumer',
  context: ({ input }) => ({ work: new ConsumerWork(input), status: 'drained', pollMs: POLL_MIN_MS, dataVersion: -1, nextAt: null, sweptAt: 0 }),
  initial: 'running',
  on: {
    stop: { target: '.stopping' },
  },
  states: {
    running: {
      entry: 'pump',
      always: [
        { guard: 'drained', target: 'idle' },
        { guard: 'yielded', target: 'yielding' },
        { guard: 'failed', target: 'backingOff' },
      ],
      on: {
        settled: { target: 'running', reenter: true, actions: 'settle' },
        wake: { target: 'running', reenter: true },
      },
    },
    yielding: {
      after: { 0: 'running' },
      on: { settled: { actions: 'settle' }, wake: {} },
    },
    backingOff: {
      after: { storeRetry: 'running' },
      on: { settled: { actions: 'settle' }, wake: {} },
    },
    idle: {
      entry: 'observe',
      after: {
        poll: [
          { guard: 'worthClaiming', target: 'running', actions: 'resetPoll' },
          { target: 'idle', reenter: true, actions: 'slowPoll' },
        ],
      },
      on: {
        wake: { target: 'running', actions: 'resetPoll' },
        settled: { target: 'running', actions: 'settle' },
      },
    },
    stopping: {
      entry: 'releaseBatch',
      always: { guard: 'idleInFlight', target: 'stopped' },
      // Written at once: close() may stop waiting for the rest, and what returned must be recorded.
      on: { settled: { actions: ['settle', 'flush'] } },
    },
    stopped: { type: 'final', entry: 'flush' },
  },
})

export type ConsumerActor = ActorRefFrom<typeof consumerMachine>

/** Starts consuming one subscription. Send `wake` after a local publish; `stop` to finish. */
export function startConsumer(input: ConsumerInput, inspect?: (event: InspectionEvent) => void): ConsumerActor {
  const actor = createActor(consumerMachine, inspect ? { input, inspect } : { input })
  const work = (): ConsumerWork => actor.getSnapshot().context.work
  actor.start()
  work().onLateOutcome((message, outcome) => actor.send({ type: 'settled', message, outcome }))
  return actor
}
