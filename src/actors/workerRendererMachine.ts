// The main-side actor of one worker-thread renderer: its life from spawn to exit, and what a
// message to the worker does in each phase (held, posted, or dropped).
//
//   starting     the thread runs, but its ipcRenderer has not connected yet: messages are held.
//   online       connected: messages go to the worker's port, in order.
//   terminating  terminate() was asked for: messages are dropped; waiting for the thread to end.
//   draining     the thread ended; what it sent before dying is still being read off its port.
//   closing      the port closed (everything read); the thread's exit event is on its way.
//   exited       final: pending deliveries are handed back and `exit` is emitted, once.
import { assign, createActor, setup } from 'xstate'
import type { ActorRefFrom, InspectionEvent } from 'xstate'

/** What the actor does to the world; the handle implements it. */
export interface WorkerRendererHooks<M> {
  /** Connected: post the held messages, then post directly from now on. */
  online(held: M[]): void
  /** Leaving online: stop posting. */
  offline(): void
  post(message: M): void
  /** Ask the thread to stop (worker.terminate()). */
  terminate(): void
  /** The end: hand back pending work, emit `exit`. */
  exited(exitCode: number): void
}

export interface WorkerRendererInput<M> {
  id: string
  hooks: WorkerRendererHooks<M>
  /** How long to wait, after the thread ended, for its port to close (normally a few ms). */
  drainTimeoutMs?: number
}

interface WorkerRendererContext<M> {
  id: string
  hooks: WorkerRendererHooks<M>
  drainTimeoutMs: number
  /** Messages for a worker that has not connected yet, in send order. */
  held: M[]
  connected: boolean
  exitCode: number
}

export type WorkerRendererEvent<M> =
  | { type: 'connect' }
  | { type: 'post'; message: M }
  | { type: 'terminate' }
  /** The thread ended (Worker 'exit'). */
  | { type: 'exit'; code: number }
  /** The port to the worker closed: everything it sent has been read. */
  | { type: 'portClosed' }

// Message types are opaque to the actor; the handle picks them.
type Message = unknown

export const workerRendererMachine = setup({
  types: {} as { input: WorkerRendererInput<Message>; context: WorkerRendererContext<Message>; events: WorkerRendererEvent<Message> },
  actions: {
    // The held list is a mailbox, not state anyone compares: pushing keeps a burst of sends linear.
    hold: ({ context, event }) => {
      if (event.type === 'post') context.held.push(event.message)
    },
    post: ({ context, event }) => {
      if (event.type === 'post') context.hooks.post(event.message)
    },
    goOnline: ({ context }) => context.hooks.online(context.held.splice(0)),
    goOffline: ({ context }) => context.hooks.offline(),
    dropHeld: ({ context }) => {
      context.held.length = 0
    },
    requestTerminate: ({ context }) => context.hooks.terminate(),
    markConnected: assign({ connected: true }),
    recordExit: assign({ exitCode: ({ event, context }) => (event.type === 'exit' ? event.code : context.exitCode) }),
    finish: ({ context }) => context.hooks.exited(context.exitCode),
  },
  guards: {
    connected: ({ context }) => context.connected,
  },
  delays: {
    drainTimeout: ({ context }) => context.drainTimeoutMs,
  },
}).createMachine({
  id: 'workerRenderer',
  context: ({ input }) => ({ id: input.id, hooks: input.hooks, drainTimeoutMs: input.drainTimeoutMs ?? 2000, held: [], connected: false, exitCode: 1 }),
  initial: 'starting',
  states: {
    starting: {
      on: {
        post: { actions: 'hold' },
        connect: { target: 'online', actions: 'markConnected' },
        terminate: { target: 'terminating' },
        exit: { target: 'exited', actions: 'recordExit' },
      },
    },
    online: {
      entry: 'goOnline',
      exit: 'goOffline',
      on: {
        post: { actions: 'post' },
        terminate: { target: 'terminating' },
        exit: { target: 'draining', actions: 'recordExit' },
        portClosed: { target: 'closing' },
      },
    },
    terminating: {
      entry: ['dropHeld', 'requestTerminate'],
      on: {
        // Its port is read from now on, so the exit must wait for it to drain like any other.
        connect: { actions: 'markConnected' },
        // Connected or not, it is too late to talk: the port (if any) is read until it closes.
        exit: [
          { guard: 'connected', target: 'draining', actions: 'recordExit' },
          { target: 'exited', actions: 'recordExit' },
        ],
        portClosed: { target: 'closing' },
      },
    },
    draining: {
      on: { portClosed: { target: 'exited' } },
      // A port that never reports closing must not keep `exit` from the user.
      after: { drainTimeout: { target: 'exited' } },
    },
    closing: {
      on: { exit: { target: 'exited', actions: 'recordExit' } },
    },
    exited: { type: 'final', entry: 'finish' },
  },
})

export type WorkerRendererActor = ActorRefFrom<typeof workerRendererMachine>

/** Starts the actor of one worker renderer. `M` is the type of message the handle posts. */
export function startWorkerRendererActor<M>(input: WorkerRendererInput<M>, inspect?: (event: InspectionEvent) => void): WorkerRendererActor {
  const logic = workerRendererMachine
  const typed = input as WorkerRendererInput<Message>
  const actor = createActor(logic, inspect ? { input: typed, inspect } : { input: typed })
  actor.start()
  return actor
}
