// The broker's own lifecycle: open -> closing -> closed. Closing runs once, however many times
// close() is called: every caller waits for the same shutdown, and nothing opens again after it.
import { assign, createActor, fromPromise, setup, toPromise } from 'xstate'
import type { ActorRefFrom } from 'xstate'

interface BrokerLifecycleInput {
  /** Stops deliveries, closes renderers and the database; runs once, in `closing`. */
  shutdown: () => Promise<void>
}

export const brokerMachine = setup({
  types: {} as { input: BrokerLifecycleInput; context: BrokerLifecycleInput & { error?: unknown }; events: { type: 'close' } },
  actors: {
    shutdown: fromPromise(({ input }: { input: BrokerLifecycleInput }) => input.shutdown()),
  },
}).createMachine({
  id: 'broker',
  context: ({ input }) => ({ ...input }),
  initial: 'open',
  states: {
    open: { on: { close: 'closing' } },
    closing: {
      invoke: {
        src: 'shutdown',
        input: ({ context }) => context,
        onDone: 'closed',
        // Closed all the same: what failed is reported to every close() caller.
        onError: { target: 'closed', actions: assign({ error: ({ event }) => event.error }) },
      },
    },
    closed: { type: 'final' },
  },
})

export type BrokerLifecycle = ActorRefFrom<typeof brokerMachine>

/** Starts a broker's lifecycle in `open`. */
export function startBrokerLifecycle(input: BrokerLifecycleInput): BrokerLifecycle {
  return createActor(brokerMachine, { input }).start()
}

/**
 * Closes (the first call starts the shutdown) and resolves when it has finished, for every caller;
 * rejects with the shutdown's error if it failed.
 *
 * @example
 * await closeBroker(lifecycle)
 */
export async function closeBroker(lifecycle: BrokerLifecycle): Promise<void> {
  if (lifecycle.getSnapshot().status === 'active') lifecycle.send({ type: 'close' })
  await toPromise(lifecycle)
  const { error } = lifecycle.getSnapshot().context
  if (error !== undefined) throw error
}
