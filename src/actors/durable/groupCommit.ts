// Group commit for the durable sends of worker renderers. Each such send blocks its worker until
// main stored it; sends that reach main in the same turn (several workers sending at once) are
// stored in one transaction, each in a savepoint of its own, and every worker is answered once
// that transaction committed: the guarantee is unchanged (stored before its send returns), the
// commit is shared. One bad send (too large, a full queue) fails alone: its savepoint is undone,
// the others commit. While the application holds a transaction open on a shared database (the
// outbox), the sends wait for it to end as before (transactionWait.ts), in arrival order.
import { BrokerClosedError } from '../../errors.js'
import type { Store } from '../../store/index.js'
import { TransactionWait } from './transactionWait.js'
import type { WaitingWrite } from './transactionWait.js'

/** One write of a group: stored inside the group's transaction, answered after it ended. */
export interface GroupedWrite {
  /**
   * Stores it (a savepoint of the group's transaction); false when there is nothing to store any
   * more (its caller gave up waiting). Throws its own failure.
   */
  store(): boolean
  /**
   * Called once the group's transaction ended, for each write whose store() stored or threw, and
   * for one refused before it was stored: `error` is its own failure, the whole transaction's, or
   * why it was refused (BrokerClosedError, the application's transaction held too long).
   */
  done(error: unknown): void
}

interface Queued {
  channel: string
  write: GroupedWrite
}

export class GroupCommit {
  readonly #store: Store
  readonly #wait: TransactionWait
  #queue: Queued[] = []
  #closed = false

  constructor(store: Store, wait: TransactionWait) {
    this.#store = store
    this.#wait = wait
  }

  /**
   * Stores `write` with the others of this turn, in one transaction, after the current turn.
   *
   * @example
   * group.add('jobs', { store: () => (publish(), true), done: (error) => answer(error) })
   */
  add(channel: string, write: GroupedWrite): void {
    if (this.#closed) return write.done(new BrokerClosedError())
    this.#queue.push({ channel, write })
    if (this.#queue.length === 1) setImmediate(this.#flush)
  }

  /** Refuses what is queued with BrokerClosedError, and every later write. */
  close(): void {
    this.#closed = true
    const queue = this.#queue
    this.#queue = []
    for (const { write } of queue) write.done(new BrokerClosedError())
  }

  readonly #flush = (): void => {
    const group = this.#queue
    this.#queue = []
    if (group.length === 0) return
    // Nothing waits for an application's transaction (or what waited went first): all at once.
    if (this.#wait.releaseIfFree()) return this.#commit(group)
    for (const queued of group) this.#wait.run(queued.channel, (refused) => (refused ? queued.write.done(refused) : this.#commit([queued])))
  }

  #commit(group: readonly Queued[]): void {
    const ran: Array<[GroupedWrite, unknown]> = []
    const storeAll = (): void => {
      for (const { write } of group) {
        try {
          if (write.store()) ran.push([write, undefined])
        } catch (error) {
          ran.push([write, error])
        }
      }
    }
    try {
      if (this.#store.writeTogether) this.#store.writeTogether(storeAll)
      else storeAll()
    } catch (error) {
      // The transaction failed as a whole (its BEGIN or its COMMIT): none of it was stored.
      const tried = new Set(ran.map(([write]) => write))
      for (const [write, own] of ran) write.done(own ?? error)
      for (const { write } of group) if (!tried.has(write)) write.done(error)
      return
    }
    for (const [write, own] of ran) write.done(own)
  }
}

/**
 * The durable writes of worker renderers, as the dispatcher takes them: each waits out an open
 * application transaction (transactionWait.ts); durable sends are stored together per turn.
 */
export class WorkerWrites {
  readonly #store: () => Store
  readonly #busyTimeoutMs: number
  #wait: TransactionWait | undefined
  #group: GroupCommit | undefined

  constructor(store: () => Store, busyTimeoutMs: number) {
    this.#store = store
    this.#busyTimeoutMs = busyTimeoutMs
  }

  /** Runs `write` once no application transaction is open (at once when none is), never inside one. */
  afterTransaction(channel: string, write: WaitingWrite): void {
    this.#waitForTransactions().run(channel, write)
  }

  /** Stores `write` with the others that arrive in this turn, in one transaction. */
  storeTogether(channel: string, write: GroupedWrite): void {
    this.#group ??= new GroupCommit(this.#store(), this.#waitForTransactions())
    this.#group.add(channel, write)
  }

  /** Refuses what waits, and every later write, with BrokerClosedError. */
  close(): void {
    this.#group?.close()
    this.#wait?.close()
  }

  #waitForTransactions(): TransactionWait {
    return (this.#wait ??= new TransactionWait(() => this.#store().mayWrite(), this.#busyTimeoutMs))
  }
}
