// While a consumer is idle, the messages this process hands it at publish (handOff.ts) are
// delivered by this child of its idle state, not by an event of the consumer's own machine. In the
// trickle shape (one message a turn) that event came once per message and cost more than the rest
// of the delivery (a macrostep of the whole machine, for no transition); a callback actor's event
// runs its receiver and nothing else. The consumer's modes stay the machine's: a message that
// cannot go inline (slow deliveries) or one that may bring more work (a failed delivery, to be
// retried) goes back to it as an event, and it leaves idle.
import { fromCallback } from 'xstate'
import type { ConsumerWork } from './consumerWork.js'

/** What the deliverer receives: messages were handed to its consumer. */
export type HandedEvent = { type: 'handed' }
/** What it sends back to its consumer: claim as usual (not inline), or look again (a wake). */
export type HandedReply = { type: 'handed' } | { type: 'wake' }

/**
 * The idle state's deliverer of handed messages; its input is the consumer's work.
 *
 * @example
 * idle: { invoke: { id: 'handed', src: 'handedDeliverer', input: ({ context }) => context.work } }
 */
export const handedDeliverer = fromCallback<HandedEvent, ConsumerWork>(({ input: work, receive, sendBack }) => {
  receive(() => {
    if (!work.handsInline()) return sendBack({ type: 'handed' } satisfies HandedReply)
    work.deliverHanded()
    if (!work.emptiness.known(work.clock.now())) sendBack({ type: 'wake' } satisfies HandedReply)
  })
})
