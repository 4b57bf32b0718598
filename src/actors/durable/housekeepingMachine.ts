// Housekeeping of one open store, as two delayed loops of one machine (parallel states):
//   pruning       job results older than jobResultRetentionMs are deleted (oldest first, in
//                 bounded batches): at open, then once a minute; not at all with Infinity
//   declarations  channels declared by another process on the same file are learnt within about
//                 a second (one read of the store's change token a second; the channel list is
//                 read only when it changed), so a renderer's send on such a channel is stored
//                 instead of being treated as transient
// Its timers never keep the process alive (the default clock unrefs them); a test may pass a
// SimulatedClock. Every step is best effort: a busy or read-only file is tried again next time.
import { assign, createActor, setup } from 'xstate'
import type { ActorRefFrom, InspectionEvent } from 'xstate'
import type { ChannelConfig, Store } from '../../store/index.js'
import { backgroundClock } from './consumerInput.js'
import type { DurableClock } from './consumerInput.js'

export const PRUNE_EVERY_MS = 60_000
export const CHECK_EVERY_MS = 1000
const BATCH = 1000
const BATCHES_PER_TICK = 10

interface HousekeepingInput {
  store: Store
  /** How long job results are kept (ms; Infinity: forever). */
  retentionMs: number
  /** Called for every declared channel each time another connection committed since the last look. */
  onChannel: (name: string, config: ChannelConfig) => void
  now: () => number
}

interface HousekeepingContext extends HousekeepingInput {
  /** The change token at the last look; undefined: list at the next look. */
  seen: number | undefined
}

/**
 * Deletes job results stored more than `retentionMs` before `now`, at most 10 batches of 1000.
 * Returns how many. Skipped while the application holds a transaction on a shared handle.
 *
 * @example
 * pruneJobResults(store, 7 * 86_400_000, Date.now())
 */
export function pruneJobResults(store: Store, retentionMs: number, now: number): number {
  if (retentionMs === Infinity || !store.mayWrite()) return 0
  let pruned = 0
  for (let i = 0; i < BATCHES_PER_TICK; i++) {
    const n = store.pruneJobResults(now - retentionMs, BATCH)
    pruned += n
    if (n < BATCH) break
  }
  return pruned
}

export const housekeepingMachine = setup({
  types: {} as { input: HousekeepingInput; context: HousekeepingContext; events: { type: 'stop' } },
  actions: {
    prune: ({ context }) => {
      try {
        pruneJobResults(context.store, context.retentionMs, context.now())
      } catch {
        // next tick
      }
    },
    checkDeclarations: assign({
      seen: ({ context }) => {
        try {
          const token = context.store.changeToken()
          if (token === context.seen) return token
          for (const { name, config } of context.store.listChannels()) context.onChannel(name, config)
          return token
        } catch {
          return context.seen // next time
        }
      },
    }),
  },
  guards: {
    keepsAll: ({ context }) => context.retentionMs === Infinity,
  },
}).createMachine({
  id: 'housekeeping',
  // The caller read the channel list as it opened: the first look is a second from now.
  context: ({ input }) => {
    let seen: number | undefined
    try {
      seen = input.store.changeToken()
    } catch {
      // the first look lists the channels
    }
    return { ...input, seen }
  },
  initial: 'running',
  states: {
    running: {
      type: 'parallel',
      on: { stop: '#housekeeping.stopped' },
      states: {
        pruning: {
          initial: 'starting',
          states: {
            starting: { always: [{ guard: 'keepsAll', target: 'off' }, { target: 'waiting', actions: 'prune' }] },
            waiting: { after: { [PRUNE_EVERY_MS]: { target: 'waiting', reenter: true, actions: 'prune' } } },
            off: {},
          },
        },
        declarations: {
          initial: 'waiting',
          states: {
            waiting: { after: { [CHECK_EVERY_MS]: { target: 'waiting', reenter: true, actions: 'checkDeclarations' } } },
          },
        },
      },
    },
    stopped: { type: 'final' },
  },
})

export type HousekeepingActor = ActorRefFrom<typeof housekeepingMachine>

/** Starts the housekeeping of `store`; send `stop` when it closes. */
export function startHousekeeping(
  input: Omit<HousekeepingInput, 'now'>,
  options: { clock?: DurableClock; inspect?: ((event: InspectionEvent) => void) | undefined } = {},
): HousekeepingActor {
  const clock = options.clock ?? backgroundClock
  const actor = createActor(housekeepingMachine, { input: { ...input, now: () => clock.now() }, clock, ...(options.inspect ? { inspect: options.inspect } : {}) })
  return actor.start()
}
