// What a store-and-forward backend offers its forwarder (actors/durable/forwarderMachine.ts) on top
// of the Store contract: a batch moved from the local outbox to PostgreSQL, the backlog, and a
// signal for each local write. Plain data, no actors.

import type { OutboxBacklog } from './localOutbox.js'

export type { OutboxBacklog }

/** What one forward moved. */
export interface ForwardResult {
  /** Rows now in PostgreSQL and deleted locally (0: the outbox was empty). */
  forwarded: number
  /** The batch was full: more rows may wait. */
  more: boolean
}

/** The forwarder's side of a store-and-forward store (Store.forwarding). */
export interface ForwardingSide {
  /** This node's id (stable per SQLite file): the origin of what it forwards. */
  readonly nodeId: string
  /**
   * Moves up to `limit` of the oldest local rows to PostgreSQL (one transaction there, each under
   * its origin key: never stored twice) and then deletes them locally. Rejects with a StoreError
   * when PostgreSQL fails (nothing was deleted locally), or with the channel's error for a row
   * PostgreSQL refuses (QueueFullError, ...: with `limit` 1, the refused row itself).
   */
  forward(limit: number): Promise<ForwardResult>
  backlog(): OutboxBacklog
  /**
   * Whether a message was ever stored with `id` (a send's id of any node, or PostgreSQL's), even
   * if nothing is left of it now: what `id > lastMessageId()` tells on a single store.
   */
  wasStored(id: number): boolean
  /** `listener` runs (synchronously) after each local write of messages. */
  onStored(listener: () => void): void
}
