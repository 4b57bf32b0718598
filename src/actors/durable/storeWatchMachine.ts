// One watcher per store for the consumers that sit idle: it notices other processes' commits and
// dead processes' leases, and tells the idle consumers to look again. Without it each idle
// consumer polled on its own, so idle cost grew with the number of channels (1,000 channels with
// listeners: a third of a core). Its modes:
//   off       no consumer is idle: no timer at all
//   watching  polls the store's change token (one cheap read, changed by other connections' commits)
//             every 2 ms after activity, backing off to 100 ms; every SWEEP_MS it also looks for
//             leases of this host's dead processes (a read, unless there are some) and ends them.
//             On a change, every idle consumer rechecks (one index read each); the next poll waits
//             at least ten times what that took, so many channels under a busy writer cost a bounded
//             share of a core.
//   stopped   the broker closed
import { whenAnswered } from './answer.js'
import { assign, createActor, setup } from 'xstate'
import type { ActorRefFrom, InspectionEvent } from 'xstate'
import type { Store } from '../../store/index.js'

/** Cross-process wake-up: the poll starts here after activity and doubles up to the max. */
export const POLL_MIN_MS = 2
export const POLL_MAX_MS = 100
/** How often leases held by dead processes of this host are looked for. */
export const SWEEP_MS = 250

/** What the watcher needs of an idle consumer: to be told to look again. */
export interface IdleConsumer {
  send(event: { type: 'recheck' }): void
}

export type StoreWatchEvent =
  | { type: 'idle'; consumer: IdleConsumer }
  | { type: 'busy'; consumer: IdleConsumer }
  | { type: 'stop' }
  /** Dead owners' leases were released by a sweep that answered late (a server): everyone rechecks. */
  | { type: 'released' }

interface StoreWatchInput {
  store: Store
  onError: (error: unknown) => void
}

interface StoreWatchContext extends StoreWatchInput {
  idle: Set<IdleConsumer>
  pollMs: number
  version: number
  sweptAt: number
}

export const storeWatchMachine = setup({
  types: {} as { input: StoreWatchInput; context: StoreWatchContext; events: StoreWatchEvent },
  actions: {
    add: ({ context, event }) => {
      if (event.type === 'idle') context.idle.add(event.consumer)
    },
    remove: ({ context, event }) => {
      if (event.type === 'busy') context.idle.delete(event.consumer)
    },
    // What other connections commit from now on changes the change token.
    baseline: assign({
      version: ({ context }) => readVersion(context),
      pollMs: POLL_MIN_MS,
    }),
    recheckAll: ({ context }) => {
      for (const consumer of [...context.idle]) consumer.send({ type: 'recheck' })
    },
    probe: assign(({ context, self }) => {
      const { store } = context
      const now = Date.now()
      let changed = false
      let sweptAt = context.sweptAt
      if (now - sweptAt >= SWEEP_MS) {
        sweptAt = now
        // Not inside the application's transaction (the outbox): the release would roll back with it.
        // An answer that comes later (a server) makes the next probe recheck.
        if (store.mayWrite()) {
          let answered = false
          whenAnswered(() => store.releaseDeadOwners(now), (released) => {
            if (released === 0) return
            if (answered) self.send({ type: 'released' })
            else changed = true
          }, context.onError)
          answered = true
        }
      }
      const version = readVersion(context)
      if (version !== context.version) changed = true
      if (!changed) return { version, sweptAt, pollMs: Math.min(context.pollMs * 2, POLL_MAX_MS) }
      const started = performance.now()
      for (const consumer of [...context.idle]) consumer.send({ type: 'recheck' })
      const costMs = performance.now() - started
      return { version, sweptAt, pollMs: Math.max(POLL_MIN_MS, Math.min(POLL_MAX_MS, costMs * 10)) }
    }),
  },
  guards: {
    nobodyIdle: ({ context }) => context.idle.size === 0,
  },
  delays: {
    poll: ({ context }) => context.pollMs,
  },
}).createMachine({
  id: 'storeWatch',
  context: ({ input }) => ({ ...input, idle: new Set(), pollMs: POLL_MIN_MS, version: -1, sweptAt: 0 }),
  initial: 'off',
  on: {
    stop: { target: '.stopped' },
  },
  states: {
    off: {
      on: { idle: { target: 'watching', actions: ['add', 'baseline'] } },
    },
    watching: {
      always: { guard: 'nobodyIdle', target: 'off' },
      after: { poll: { target: 'watching', reenter: true, actions: 'probe' } },
      on: {
        idle: { actions: 'add' },
        busy: { actions: 'remove' },
        released: { actions: 'recheckAll' },
      },
    },
    stopped: { type: 'final' },
  },
})

function readVersion(context: StoreWatchContext): number {
  try {
    return context.store.changeToken()
  } catch (error) {
    context.onError(error)
    return context.version
  }
}

export type StoreWatchActor = ActorRefFrom<typeof storeWatchMachine>

/** Starts the watcher of one store; send `stop` when the store closes. */
export function startStoreWatch(input: StoreWatchInput, inspect?: (event: InspectionEvent) => void): StoreWatchActor {
  const actor = createActor(storeWatchMachine, inspect ? { input, inspect } : { input })
  actor.start()
  return actor
}
