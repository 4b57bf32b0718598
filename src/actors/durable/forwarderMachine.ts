// The forwarder of a store-and-forward broker (createBroker({ path, postgres })): moves what this
// node's sends stored in its SQLite file to PostgreSQL, in batches, oldest first. Modes:
//   idle        nothing known to wait; a local write wakes it (once per burst of sends, as the
//               dispatcher's wakes are), and it looks anyway every IDLE_LOOK_MS (rows committed by
//               the application's own transactions in the outbox mode, or another process on the file)
//   forwarding  one batch in flight (store.forwarding.forward, on the async pool, never the
//               synchronous bridge); a full batch, or a wake meanwhile, goes straight on to the next
//   backingOff  PostgreSQL failed: waits (100 ms doubling to 1 s), then tries again; wakes do not
//               shorten it, so an outage costs one attempt per back-off, not one per send (and
//               while the store knows the server is out of reach, an attempt fails without a
//               connection: the back-off bounds how long the backlog waits once it is back)
//   stopped     the broker closed; on the way, what waits is forwarded while PostgreSQL answers
// A failure is reported once per outage (until a batch goes through again), not once per retry. A
// row PostgreSQL refuses (its queue full, say) stops the line there: rows are forwarded one at a
// time up to it, and it is tried again after the back-off, so that nothing passes it.
import { assign, createActor, fromPromise, setup } from 'xstate'
import type { ActorRefFrom, InspectionEvent } from 'xstate'
import { StoreError } from '../../errors.js'
import type { ForwardingSide, ForwardResult } from '../../store/index.js'
import { backgroundClock } from './consumerInput.js'
import type { DurableClock } from './consumerInput.js'

export const BATCH_ROWS = 500
export const IDLE_LOOK_MS = 250
export const BACKOFF_MIN_MS = 100
export const BACKOFF_MAX_MS = 1000

interface ForwarderInput {
  forwarding: ForwardingSide
  /** A failure, once per outage (the broker's 'error' event). */
  onError: (error: unknown) => void
}

interface ForwarderContext extends ForwarderInput {
  /** Rows per batch: 1 after a refused row, until a batch goes through. */
  limit: number
  backoffMs: number
  /** This outage was reported. */
  reported: boolean
  /** Woken while a batch was in flight: look again at once. */
  woken: boolean
  stopping: boolean
}

type ForwarderEvent = { type: 'wake' } | { type: 'stop' }

/** A failure of PostgreSQL itself (down, slow, busy), not of one row. */
function isOutage(error: unknown): boolean {
  return error instanceof StoreError
}

export const forwarderMachine = setup({
  types: {} as { input: ForwarderInput; context: ForwarderContext; events: ForwarderEvent },
  actors: {
    forward: fromPromise<ForwardResult, { forwarding: ForwardingSide; limit: number }>(({ input }) => input.forwarding.forward(input.limit)),
  },
  actions: {
    // After a back-off the row that failed went through: whole batches again.
    succeeded: assign(({ context }) => ({ reported: false, backoffMs: BACKOFF_MIN_MS, woken: false, limit: context.reported ? BATCH_ROWS : context.limit })),
    failed: assign(({ context, event }) => {
      const error = (event as { error?: unknown }).error
      if (!context.reported) context.onError(error)
      // A refused row: the next tries go one row at a time, so what comes before it goes through.
      const limit = isOutage(error) ? context.limit : 1
      return { reported: true, limit, backoffMs: Math.min(context.backoffMs * 2, BACKOFF_MAX_MS) }
    }),
    wide: assign({ limit: BATCH_ROWS }),
    noteWake: assign({ woken: true }),
    noteStop: assign({ stopping: true }),
  },
  guards: {
    stopping: ({ context }) => context.stopping,
    goOn: ({ context, event }) => {
      const result = (event as unknown as { output: ForwardResult }).output
      return result.more || (context.woken && !context.stopping)
    },
    refusedInBatch: ({ context, event }) => context.limit > 1 && !isOutage((event as { error?: unknown }).error),
  },
  delays: {
    backoff: ({ context }) => context.backoffMs,
  },
}).createMachine({
  id: 'forwarder',
  context: ({ input }) => ({ ...input, limit: BATCH_ROWS, backoffMs: BACKOFF_MIN_MS, reported: false, woken: false, stopping: false }),
  // Rows left by a previous run of this file are forwarded at once.
  initial: 'forwarding',
  states: {
    idle: {
      on: { wake: 'forwarding', stop: { target: 'forwarding', actions: 'noteStop' } },
      after: { [IDLE_LOOK_MS]: 'forwarding' },
    },
    forwarding: {
      entry: assign({ woken: false }),
      on: { wake: { actions: 'noteWake' }, stop: { actions: 'noteStop' } },
      invoke: {
        src: 'forward',
        input: ({ context }) => ({ forwarding: context.forwarding, limit: context.limit }),
        onDone: [
          { guard: 'goOn', target: 'forwarding', reenter: true, actions: 'succeeded' },
          { guard: 'stopping', target: 'stopped' },
          // A refused row went through alone: back to whole batches.
          { target: 'idle', actions: ['succeeded', 'wide'] },
        ],
        onError: [
          { guard: 'stopping', target: 'stopped' },
          // Which row? One at a time from here finds it, and forwards those before it now.
          { guard: 'refusedInBatch', target: 'forwarding', reenter: true, actions: assign({ limit: 1 }) },
          { target: 'backingOff', actions: 'failed' },
        ],
      },
    },
    backingOff: {
      on: { stop: 'stopped' },
      after: { backoff: 'forwarding' },
    },
    stopped: { type: 'final' },
  },
})

export type ForwarderActor = ActorRefFrom<typeof forwarderMachine>

/**
 * Starts the forwarder of a store-and-forward store, woken by each local write (once per turn).
 *
 * @example
 * const forwarder = startForwarder({ forwarding: store.forwarding!, onError: (e) => report(e) })
 * forwarder.send({ type: 'stop' }) // forwards what waits while PostgreSQL answers, then stops
 */
export function startForwarder(
  input: ForwarderInput,
  options: { clock?: DurableClock; inspect?: ((event: InspectionEvent) => void) | undefined } = {},
): ForwarderActor {
  const clock = options.clock ?? backgroundClock
  const actor = createActor(forwarderMachine, { input, clock, ...(options.inspect ? { inspect: options.inspect } : {}) })
  let pending = false
  input.forwarding.onStored(() => {
    if (pending) return
    pending = true
    setImmediate(() => {
      pending = false
      actor.send({ type: 'wake' })
    })
  })
  return actor.start()
}
