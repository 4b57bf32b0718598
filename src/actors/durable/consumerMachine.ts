// The actor that consumes one durable subscription in this process (a channel's main side, or one
// renderer's inbox). Its modes:
//   running   claims and delivers; stays while every slot waits on an answer, pumps again on each
//             answer and on each wake (with concurrency > 1 a new message may take a free slot)
//   yielding  gave the event loop a turn after a long slice of synchronous deliveries
//   idle      nothing claimable (answers may still be outstanding): sleeps until woken (a local
//             publish, a new listener, an answer), until the next message it read comes due (a
//             delayed one, or another owner's lease running out), or until the store's watcher
//             (storeWatchMachine.ts) says another process committed or died: then it rechecks.
//             Also where a consumer waits out a pause it saw mid-batch (nothing due until resumed)
//   backingOff  the store failed (busy, disk full): tries again a little later
//   stopping  no new claims, undelivered claims handed back; waits for the answers still
//             outstanding, writing each as it comes (close() may give up waiting at any time)
//   stopped   acknowledgements written
import { whenAnswered } from './answer.js'
import { createActor, setup, assign } from 'xstate'
import type { ActorRefFrom, InspectionEvent } from 'xstate'
import type { ClaimedMessage } from '../../store/index.js'
import { ConsumerWork } from './consumerWork.js'
import { Emptiness } from './handOff.js'
import { handedDeliverer } from './handedDeliverer.js'
import type { ConsumerInput, DeliveryOutcome } from './consumerInput.js'

const STORE_RETRY_MS = 250
/**
 * A message read as due that the claim just before did not get (the application held a
 * transaction open, another process was quicker) is looked at again this much later, not in a loop.
 */
const DUE_RETRY_MS = 5
/** The longest timer set for a message due later (Node's timers cannot wait longer than ~24.8 days). */
const LONGEST_WAIT_MS = 3_600_000

export type ConsumerEvent =
  | { type: 'wake' }
  | { type: 'recheck' }
  /** nextVisibleAt answered after the read began (a server). */
  | { type: 'observed'; at: number | null }
  | { type: 'settled'; message: ClaimedMessage; outcome: DeliveryOutcome }
  /** Messages published here were leased to this consumer as they were stored (ConsumerWork.accept). */
  | { type: 'handed' }
  | { type: 'stop' }

export interface ConsumerContext {
  work: ConsumerWork
  status: 'drained' | 'busy' | 'yield' | 'error'
  /** When the next message becomes claimable, as last read; null when none waits. */
  nextAt: number | null
  /** The last claim found nothing: a message read as due now is retried after DUE_RETRY_MS. */
  drained: boolean
}

export const consumerMachine = setup({
  types: {} as { input: ConsumerInput; context: ConsumerContext; events: ConsumerEvent; children: { handed: 'handedDeliverer' } },
  actors: { handedDeliverer },
  actions: {
    connect: ({ context, self }) => {
      context.work.onLateOutcome((message, outcome) => self.send({ type: 'settled', message, outcome }))
      // A claim or a start the store answered later (a server): pump again.
      context.work.onAnswered(() => self.send({ type: 'wake' }))
    },
    pump: assign({ status: ({ context }) => context.work.pump() }),
    settle: ({ context, event }) => {
      if (event.type === 'settled') context.work.settle(event.message, event.outcome)
    },
    // Read on the way into idle, after telling the watcher: what another process commits from
    // then on reaches this consumer as a recheck.
    // An answer that comes later (a server) arrives as `observed`; untimed meanwhile.
    observe: assign(({ context, self }) => {
      const { store, channel, subscription, owner } = context.work.input
      // Paused (seen mid-batch): nothing is due until a resume, which comes as a wake (this
      // process) or a recheck (another process's commit), each reading again.
      if (context.work.controls.pausedNow()) return { nextAt: null }
      const retryAt = (error: unknown): number => {
        context.work.input.onError(error)
        return context.work.clock.now() + STORE_RETRY_MS
      }
      let nextAt: number | null = null
      let answered = false
      // Read first: a commit by another connection after it makes the reading below unusable.
      const token = Emptiness.token(store)
      whenAnswered(
        () => store.nextVisibleAt(channel, subscription, owner, context.work.clock.now()),
        (at) => {
          // Only a reading answered now is kept for hand-offs: a later one may be out of date.
          if (answered) self.send({ type: 'observed', at })
          else context.work.emptiness.observed(token, (nextAt = at))
        },
        (error) => (answered ? self.send({ type: 'observed', at: retryAt(error) }) : (nextAt = retryAt(error))),
      )
      answered = true
      return { nextAt }
    }),
    observed: assign({ nextAt: ({ context, event }) => (event.type === 'observed' ? event.at : context.nextAt) }),
    watch: ({ context, self }) => context.work.input.watch.send({ type: 'idle', consumer: self }),
    unwatch: ({ context, self }) => {
      context.work.emptiness.forget()
      context.work.input.watch.send({ type: 'busy', consumer: self })
    },
    markDrained: assign({ drained: ({ context }) => context.status === 'drained' }),
    clearDrained: assign({ drained: false }),
    releaseBatch: ({ context }) => context.work.releaseBatch(),
    flush: ({ context }) => context.work.flushAcks(),
    finish: ({ context }) => context.work.finish(),
  },
  guards: {
    drained: ({ context }) => context.status === 'drained',
    yielded: ({ context }) => context.status === 'yield',
    failed: ({ context }) => context.status === 'error',
    idleInFlight: ({ context }) => context.work.inFlight === 0,
    // Due now, and not just found unclaimable by the claim before.
    dueNow: ({ context }) => !context.drained && context.nextAt !== null && context.nextAt <= context.work.clock.now(),
    hasNextAt: ({ context }) => context.nextAt !== null,
    // Nothing claimable came up meanwhile, as far as this consumer knows (handOff.ts): it may stay idle.
    settlesQuietly: ({ context, event }) => event.type === 'settled' && event.outcome.ok && context.work.emptiness.known(context.work.clock.now()),
  },
  delays: {
    untilDue: ({ context }) => Math.min(LONGEST_WAIT_MS, Math.max(DUE_RETRY_MS, (context.nextAt ?? 0) - context.work.clock.now())),
    storeRetry: STORE_RETRY_MS,
  },
}).createMachine({
  id: 'consumer',
  context: ({ input }) => ({ work: new ConsumerWork(input), status: 'drained', nextAt: null, drained: false }),
  // Answers that arrive after pump() returned come back as events.
  entry: 'connect',
  initial: 'running',
  on: {
    stop: { target: '.stopping' },
  },
  states: {
    running: {
      entry: 'pump',
      always: [
        { guard: 'drained', target: 'idle', actions: 'markDrained' },
        { guard: 'yielded', target: 'yielding' },
        { guard: 'failed', target: 'backingOff' },
      ],
      on: {
        settled: { target: 'running', reenter: true, actions: 'settle' },
        wake: { target: 'running', reenter: true },
        handed: { target: 'running', reenter: true },
      },
    },
    yielding: {
      after: { 0: 'running' },
      on: { settled: { actions: 'settle' }, wake: {}, handed: {} },
    },
    backingOff: {
      after: { storeRetry: 'running' },
      on: { settled: { actions: 'settle' }, wake: {}, handed: {} },
    },
    idle: {
      entry: ['watch', 'observe'],
      exit: ['unwatch', 'clearDrained'],
      // Handed messages are delivered by this child while idle (handedDeliverer.ts); what it cannot
      // deliver inline comes back as `handed`, and a delivery that failed (it may come back: a
      // retry) as `wake`.
      invoke: { id: 'handed', src: 'handedDeliverer', input: ({ context }) => context.work },
      initial: 'checking',
      states: {
        checking: {
          always: [
            { guard: 'dueNow', target: '#consumer.running' },
            { guard: 'hasNextAt', target: 'timed' },
            { target: 'untimed' },
          ],
        },
        timed: { after: { untilDue: { target: '#consumer.running' } } },
        untimed: {},
      },
      on: {
        wake: { target: 'running' },
        handed: { target: 'running' },
        // Another process committed or died: read again, without leaving idle (no churn at the watcher).
        recheck: { target: '.checking', actions: ['clearDrained', 'observe'] },
        observed: { target: '.checking', actions: 'observed' },
        settled: [
          { guard: 'settlesQuietly', actions: 'settle' },
          { target: 'running', actions: 'settle' },
        ],
      },
    },
    stopping: {
      entry: 'releaseBatch',
      always: { guard: 'idleInFlight', target: 'stopped' },
      // Written at once: close() may stop waiting for the rest, and what returned must be recorded.
      on: { settled: { actions: ['settle', 'flush'] } },
    },
    stopped: { type: 'final', entry: 'finish' },
  },
})

export type ConsumerActor = ActorRefFrom<typeof consumerMachine>

/** Starts consuming one subscription. Send `wake` after a local publish; `stop` to finish. */
export function startConsumer(input: ConsumerInput, inspect?: (event: InspectionEvent) => void): ConsumerActor {
  // The machine's timers run on the consumer's clock, so that a test's SimulatedClock drives them.
  const actor = createActor(consumerMachine, { input, ...(inspect ? { inspect } : {}), ...(input.clock ? { clock: input.clock } : {}) })
  return actor.start()
}
