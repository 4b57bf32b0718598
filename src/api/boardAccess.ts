// Internal, not exported from the package: how the web board (src/board/) reads the store of a
// broker it is given (`createBoard({ broker })`) and its delivery counts. Repairs go through the
// broker's public API (broker.channel(name).pause(), ...), which also wakes its consumers. A
// registry keyed by the broker object, so the public Broker type gains no member.
import type { Store } from '../store/index.js'

/** What a board may use of a broker. */
export interface BoardAccess {
  /** The broker's store (opened on first use for an in-memory broker). */
  store(): Store
  /** Deliveries acknowledged and attempts failed in this broker since it opened, per channel. */
  counts(): ReadonlyMap<string, { delivered: number; failed: number }>
  /** Whether the broker is still open. */
  open(): boolean
}

const registry = new WeakMap<object, BoardAccess>()

/**
 * Registers `broker`'s access (called once by the broker's constructor).
 *
 * @example
 * registerBoardAccess(this, { store: () => durable.store, counts: () => counts, open })
 */
export function registerBoardAccess(broker: object, access: BoardAccess): void {
  registry.set(broker, access)
}

/**
 * The access of a broker made by createBroker; undefined for any other object.
 *
 * @example
 * const access = boardAccessOf(broker)
 * access?.store().stats()
 */
export function boardAccessOf(broker: object): BoardAccess | undefined {
  return registry.get(broker)
}
