// The dispatcher's wake-ups of its consumers. They wait for the current burst of sends to end (one
// setImmediate), so that a loop of sends is claimed as one batch instead of one claim transaction
// per message; a consumer that took messages at publish (handOff.ts) is told in the same burst,
// so it delivers them after send() returned, never inside it.
import { MAIN, subscriptionKey } from '../../protocol/subscriptions.js'
import type { ConsumerActor } from './consumerMachine.js'
import type { ConsumerPoolActor } from './consumerPoolMachine.js'

const none: readonly never[] = []

export class Wakeups {
  readonly #pool: ConsumerPoolActor
  readonly #toWake = new Set<string>()
  readonly #toHand = new Set<ConsumerActor>()

  constructor(pool: ConsumerPoolActor) {
    this.#pool = pool
  }

  /** Wakes the consumer of `channel`/`subscription` here, if any, after this burst of sends. */
  wake(channel: string, subscription: string): void {
    const key = subscriptionKey(channel, subscription)
    if (!this.#pool.getSnapshot().context.current.has(key) || this.#toWake.has(key)) return
    this.#toWake.add(key)
    this.#soon()
  }

  /**
   * The consumer of `channel`'s main subscription here, unless a wake for it is pending (a publish
   * of this process waits to be claimed: a hand-off now would pass it).
   */
  handOffTo(channel: string): ConsumerActor | undefined {
    const key = subscriptionKey(channel, MAIN)
    if (this.#toWake.has(key)) return undefined
    const pool = this.#pool.getSnapshot()
    const id = pool.context.current.get(key)
    return id === undefined ? undefined : (pool.children as Record<string, ConsumerActor | undefined>)[id]
  }

  /** `consumer` took messages as they were published: it delivers them after this burst. */
  hand(consumer: ConsumerActor): void {
    this.#toHand.add(consumer)
    this.#soon()
  }

  #soon(): void {
    if (this.#toWake.size + this.#toHand.size === 1) setImmediate(this.#all)
  }

  // Taken first: a listener that sends while being delivered to adds to the next burst, not this one.
  readonly #all = (): void => {
    // Mostly one consumer and no wake (the trickle path): no copies then.
    const keys = this.#toWake.size === 0 ? none : [...this.#toWake]
    const handed = this.#toHand.size === 0 ? none : [...this.#toHand]
    this.#toWake.clear()
    this.#toHand.clear()
    // A close that went on past the pool (the forwarder's last batch) leaves no one to wake.
    if (this.#pool.getSnapshot().status !== 'active') return
    for (const key of keys) this.#pool.send({ type: 'wake', key })
    // An idle consumer's deliverer takes them (handedDeliverer.ts); a busy consumer pumps them itself.
    for (const consumer of handed) (consumer.getSnapshot().children.handed ?? consumer).send({ type: 'handed' })
  }
}
