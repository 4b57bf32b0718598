// The consumers of one broker, as children of one actor: one consumer per subscription that has
// a receiver here, spawned with spawnChild, told to stop when its receivers go, and stopped with
// stopChild once it finished (or once close() stopped waiting). Its modes:
//   open     consumers start, are woken and retire as receivers come and go; a retiring consumer
//            finishes its deliveries in flight first, and an inbox consumer of a renderer that
//            went away hands its place over only once it finished (the next renderer with the
//            same id must not get the messages behind the ones still in flight)
//   closing  every consumer retires; waits for them up to the close timeout, then abandons what
//            is still in flight (its leases handed back at once, attempts counted)
//   closed   every child stopped
import { assign, createActor, setup, spawnChild, stopChild } from 'xstate'
import type { ActorRefFrom, AnyActorRef, InspectionEvent } from 'xstate'
import { consumerMachine } from './consumerMachine.js'
import type { ConsumerInput } from './consumerInput.js'

export type ConsumerPoolEvent =
  | { type: 'start'; key: string; input: ConsumerInput }
  | { type: 'wake'; key: string }
  /** `handOver`: the key's next consumer waits for this one to finish (see afterHandOver). */
  | { type: 'retire'; key: string; handOver: boolean }
  | { type: 'afterHandOver'; key: string; run: () => void }
  | { type: 'close'; timeoutMs: number; detail: string }

/** A consumer reached its final state, or failed. */
type ChildFinished = { type: `xstate.done.actor.${string}` } | { type: `xstate.error.actor.${string}` }

interface ConsumerPoolContext {
  /** Subscription key -> the id of its consumer. */
  current: Map<string, string>
  /** Retiring consumer id -> the key it hands over, or null. */
  retiring: Map<string, string | null>
  /** Key -> what to run once its retiring consumer finished. */
  waiting: Map<string, Array<() => void>>
  seq: number
  closeTimeoutMs: number
  closeDetail: string
}

const DONE = 'xstate.done.actor.'
const ERROR = 'xstate.error.actor.'

function finishedId(type: string): string {
  return type.startsWith(DONE) ? type.slice(DONE.length) : type.slice(ERROR.length)
}

function child(self: AnyActorRef, id: string | undefined): AnyActorRef | undefined {
  return id === undefined ? undefined : (self.getSnapshot().children as Record<string, AnyActorRef | undefined>)[id]
}

export const consumerPoolMachine = setup({
  types: {} as { context: ConsumerPoolContext; events: ConsumerPoolEvent | ChildFinished },
  actors: { consumer: consumerMachine },
  actions: {
    // A fresh id for each consumer: a retiring one of the same key may still be finishing.
    track: assign(({ context, event }) => {
      if (event.type !== 'start') return {}
      context.current.set(event.key, `${event.key}#${context.seq + 1}`)
      return { seq: context.seq + 1 }
    }),
    start: spawnChild('consumer', {
      id: ({ context, event }) => (event.type === 'start' ? context.current.get(event.key)! : ''),
      input: ({ event }) => (event.type === 'start' ? event.input : (undefined as never)),
    }),
    // A finished consumer leaves the pool's children.
    remove: stopChild(({ event }) => finishedId(event.type)),
    wake: ({ context, event, self }) => {
      if (event.type === 'wake') child(self, context.current.get(event.key))?.send({ type: 'wake' })
    },
    retire: ({ context, event, self }) => {
      if (event.type !== 'retire') return
      const id = context.current.get(event.key)
      if (id === undefined) return
      context.current.delete(event.key)
      context.retiring.set(id, event.handOver ? event.key : null)
      child(self, id)?.send({ type: 'stop' })
    },
    retireAll: ({ context, self }) => {
      for (const [key, id] of context.current) {
        context.retiring.set(id, context.retiring.get(id) ?? null)
        child(self, id)?.send({ type: 'stop' })
        context.current.delete(key)
      }
    },
    afterHandOver: ({ context, event }) => {
      if (event.type !== 'afterHandOver') return
      const waiting = context.waiting.get(event.key)
      if (waiting) waiting.push(event.run)
      else context.waiting.set(event.key, [event.run])
    },
    // A consumer finished (or failed): it leaves, and whatever waited for its hand-over runs.
    finished: ({ context, event, self }) => {
      const id = finishedId(event.type)
      const key = context.retiring.get(id)
      context.retiring.delete(id)
      // One that finished without being told (it failed): its key has no consumer any more.
      for (const [k, current] of context.current) if (current === id) context.current.delete(k)
      if (key === undefined || key === null) return
      const waiting = context.waiting.get(key) ?? []
      context.waiting.delete(key)
      for (const run of waiting) run()
    },
    setClose: assign(({ event }) => (event.type === 'close' ? { closeTimeoutMs: event.timeoutMs, closeDetail: event.detail } : {})),
    // close() stopped waiting: what is still in flight is handed back now, its attempt counted.
    abandonAll: ({ context, self }) => {
      for (const id of context.retiring.keys()) {
        const ref = child(self, id) as ActorRefFrom<typeof consumerMachine> | undefined
        ref?.getSnapshot().context.work.abandon(context.closeDetail)
      }
    },
  },
  guards: {
    nothingRetiring: ({ context }) => context.retiring.size === 0,
  },
  delays: {
    closeTimeout: ({ context }) => context.closeTimeoutMs,
  },
}).createMachine({
  id: 'consumerPool',
  // A function: each pool its own maps.
  context: () => ({ current: new Map(), retiring: new Map(), waiting: new Map(), seq: 0, closeTimeoutMs: 0, closeDetail: '' }),
  initial: 'open',
  states: {
    open: {
      on: {
        start: { actions: ['track', 'start'] },
        wake: { actions: 'wake' },
        retire: { actions: 'retire' },
        afterHandOver: { actions: 'afterHandOver' },
        'xstate.done.actor.*': { actions: ['finished', 'remove'] },
        'xstate.error.actor.*': { actions: ['finished', 'remove'] },
        close: { target: 'closing', actions: 'setClose' },
      },
    },
    closing: {
      entry: 'retireAll',
      always: { guard: 'nothingRetiring', target: 'closed' },
      after: { closeTimeout: { target: 'closed', actions: 'abandonAll' } },
      on: {
        'xstate.done.actor.*': { actions: ['finished', 'remove'] },
        'xstate.error.actor.*': { actions: ['finished', 'remove'] },
      },
    },
    closed: { type: 'final' },
  },
})

export type ConsumerPoolActor = ActorRefFrom<typeof consumerPoolMachine>

/** Starts a broker's consumer pool. */
export function startConsumerPool(inspect?: (event: InspectionEvent) => void): ConsumerPoolActor {
  return createActor(consumerPoolMachine, inspect ? { inspect } : {}).start()
}
