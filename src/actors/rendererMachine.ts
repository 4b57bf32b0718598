// The actor of one renderer endpoint: open until closed. Messages from the main side are events
// in its mailbox, so they reach the renderer's listeners in the order they were sent, and a
// closed renderer drops them (Electron's webContents.send to a destroyed window is a no-op).
import { createActor, setup } from 'xstate'
import type { ActorRefFrom, InspectionEvent } from 'xstate'

export interface RendererInput {
  id: string
  /** Hands one message to the renderer's listeners. */
  dispatch: (channel: string, args: unknown[]) => void
  /** Hands one durable message to the renderer's listeners; settles when they are done. */
  deliverDurable: (channel: string, args: unknown[]) => Promise<void> | undefined
  /** Called once, on the way into `closed`. */
  onClosed: () => void
}

export type RendererEvent =
  | { type: 'message'; channel: string; args: unknown[] }
  | { type: 'durable'; channel: string; args: unknown[]; settle: (outcome: { done?: Promise<void>; error?: unknown; threw: boolean }) => void }
  | { type: 'close' }

export const rendererMachine = setup({
  types: {} as { input: RendererInput; context: RendererInput; events: RendererEvent },
  actions: {
    dispatch: ({ context, event }) => {
      if (event.type === 'message') context.dispatch(event.channel, event.args)
    },
    deliverDurable: ({ context, event }) => {
      if (event.type !== 'durable') return
      // A listener's throw must not stop this actor: it is the delivery's outcome.
      let done: Promise<void> | undefined
      try {
        done = context.deliverDurable(event.channel, event.args)
      } catch (error) {
        return event.settle({ error, threw: true })
      }
      event.settle(done ? { done, threw: false } : { threw: false })
    },
    notifyClosed: ({ context }) => context.onClosed(),
  },
}).createMachine({
  id: 'renderer',
  context: ({ input }) => input,
  initial: 'open',
  states: {
    open: {
      on: {
        message: { actions: 'dispatch' },
        durable: { actions: 'deliverDurable' },
        close: { target: 'closed' },
      },
    },
    closed: { type: 'final', entry: 'notifyClosed' },
  },
})

export type RendererActor = ActorRefFrom<typeof rendererMachine>

export function startRendererActor(input: RendererInput, inspect?: (event: InspectionEvent) => void): RendererActor {
  const actor = createActor(rendererMachine, inspect ? { input, inspect } : { input })
  actor.start()
  return actor
}
