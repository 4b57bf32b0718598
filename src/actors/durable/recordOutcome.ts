// What a delivery's outcome writes: an acknowledgement (buffered by the caller), a job's stored
// result, a hand-back when the receiver went away, a failed attempt (retried with back-off, or
// dead-lettered with a job's failure outcome), or nothing for a cancelled job.
import type { ClaimedMessage } from '../../store/index.js'
import { backoffDelay } from './backoff.js'
import type { ConsumerInput, DeliveryOutcome, DurableClock } from './consumerInput.js'
import { errorText } from './errorText.js'

/**
 * Records one outcome in the store. A plain acknowledgement is not written here but handed to
 * `bufferAck`, so that acknowledgements share transactions. Store failures go to `input.onError`:
 * what was not recorded comes back when its lease ends (at least once).
 *
 * @example
 * recordOutcome(input, realClock, message, { ok: true }, (id) => acks.push(id))
 */
export function recordOutcome(
  input: ConsumerInput,
  clock: DurableClock,
  message: ClaimedMessage,
  outcome: DeliveryOutcome,
  bufferAck: (id: number) => void,
): void {
  const { store, owner } = input
  try {
    if (outcome.ok) {
      if (outcome.result) {
        store.ackWithResult(message.id, owner, true, outcome.result, clock.now())
        input.onJobSettled?.(message.id)
      } else {
        bufferAck(message.id)
      }
      input.onTrace?.('ack', message)
      return
    }
    // Cancelled: its message and the 'cancelled' outcome are the store's (Store.cancel); a failure
    // recorded now would find nothing held, but must not even try to dead-letter or count it.
    if ('cancelled' in outcome) return
    if ('aborted' in outcome) {
      // Handed back at once for the next receiver (here or in another process), at its place in
      // line so that it still comes before the messages behind it; the attempt counts.
      store.handBack([message.id], owner, clock.now(), true, 'The receiver went away')
      return
    }
    const config = input.config()
    const now = clock.now()
    const final = message.attempt >= config.maxAttempts || ('final' in outcome && outcome.final === true)
    input.onTrace?.(final ? 'dead' : 'retry', message, outcome.error)
    const retryAt = final ? null : now + backoffDelay({ initialMs: config.backoffInitialMs, maxMs: config.backoffMaxMs }, message.attempt)
    // A job that used up its attempts is a dead letter like any other, and its failure is stored
    // as its outcome for the caller (in this process or another) and jobResult.
    const result = final ? outcome.result : undefined
    store.fail({ id: message.id, owner, error: errorText(outcome.error), retryAt, now, ...(result ? { result } : {}) })
    if (result) input.onJobSettled?.(message.id)
  } catch (error) {
    input.onError(error)
  }
}
