// The trickle path's knowledge: when an idle consumer may take a message this process publishes
// as it is stored (Store.publishClaimed), skipping the claim. That is only sound while nothing
// else is claimable on its subscription: a message taken at publish must not pass one already
// waiting (FIFO within a priority, across processes). An idle consumer read when the next message
// becomes claimable (nextVisibleAt) on its way into idle; that reading holds for as long as
//   - no other connection committed since (the store's change token is the one read with it),
//   - the time it named (a delayed message, another owner's lease running out) has not come,
//   - this consumer wrote nothing that brings a message back (a failed attempt rescheduled, a
//     hand-back): those forget it, as leaving idle does.
// Publishes of this process that were not taken (a delayed one, a full slot) wake the consumer,
// which leaves idle: the dispatcher also takes none while such a wake is pending.
import type { ClaimedPublish, PublishInput, Store } from '../../store/index.js'
import type { ConsumerWork } from './consumerWork.js'

export class Emptiness {
  /** The change token read with the last nextVisibleAt; undefined when nothing is known. */
  #token: number | undefined
  #nextAt: number | null = null

  /** Read before nextVisibleAt: a commit after this read changes the token. Undefined when the store failed. */
  static token(store: Store): number | undefined {
    try {
      return store.changeToken()
    } catch {
      return undefined
    }
  }

  /** nextVisibleAt answered `nextAt` for the store as of `token`. */
  observed(token: number | undefined, nextAt: number | null): void {
    this.#token = token
    this.#nextAt = nextAt
  }

  forget(): void {
    this.#token = undefined
  }

  /**
   * Whether nothing was claimable on the subscription at `now` beyond what this consumer holds, as
   * of the change token `token` gives: the hand-off's publish leases its message only if the store
   * still answers that token in its transaction (no other connection committed since). A change
   * another connection made also reaches an idle consumer as a recheck (storeWatchMachine.ts).
   */
  known(now: number): boolean {
    return this.#token !== undefined && (this.#nextAt === null || this.#nextAt > now)
  }

  /** The change token of the reading known() goes by. */
  get token(): number | undefined {
    return this.#token
  }
}

/**
 * Publishes `input` leased to `work`'s consumer when it may take it now (ConsumerWork.
 * mayTakeHandOff), with that consumer's buffered acknowledgements and starts in the same
 * transaction: one commit for the message and what came before it. Undefined when it may not (the
 * caller publishes as usual); a failed publish throws, nothing written, the report kept for later.
 *
 * @example
 * const published = handOff(store, work, input)
 * if (published?.claimed) work.accept(published.claimed, work.clock.now())
 */
export function handOff(store: Store, work: ConsumerWork, input: PublishInput): ClaimedPublish | undefined {
  if (store.publishClaimed === undefined) return undefined
  const now = work.clock.now()
  // Visible by the consumer's clock (a test's simulated one), and outside any application transaction.
  if (input.visibleAt > now || !store.mayWrite() || !work.mayTakeHandOff(now)) return undefined
  const report = work.takeReport()
  try {
    const claim = { subscription: work.input.subscription, owner: work.input.owner, leaseUntil: now + work.input.config().leaseMs, token: work.emptiness.token }
    const published = store.publishClaimed(input, claim, report)
    if (published.claimed) work.accept(published.claimed, now)
    return published
  } catch (error) {
    work.restoreReport(report)
    throw error
  }
}
