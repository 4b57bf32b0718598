// What a store offers the web board (src/board/) beyond the Store contract: reads shaped for its
// pages, each an index seek or range. Optional for a backend (Store.boardReads); the board falls
// back to the contract's reads without them.

import type { StoredMessage } from './types.js'

/** Queue counts of one (channel, subscription). */
export interface BoardGroupCounts {
  channel: string
  subscription: string
  /** Due now and not in flight. */
  ready: number
  /** Not due yet (delayMs, back-off) and not in flight. */
  delayed: number
  /** Held by a live lease. */
  inFlight: number
  /** Epoch ms at which the message at the head of the ready line was stored; null when none is ready. */
  oldestReadyCreatedAt: number | null
}

/** Every queue's counts, from one snapshot. */
export interface BoardQueueCounts {
  /** The `now` the counts were taken at. */
  at: number
  groups: BoardGroupCounts[]
  /** Dead letters per channel (channels without any are left out). */
  dead: Record<string, number>
  /** Names of the paused channels. */
  paused: string[]
}

/** A queued job as a page lists it: a stored message with its priority, progress and last error. Times in epoch ms. */
export interface BoardJobRow extends Pick<StoredMessage, 'id' | 'channel' | 'subscription' | 'kind' | 'payload' | 'key' | 'attempts' | 'createdAt'> {
  priority: number
  progress: Uint8Array | null
  /** When it is due (its place in line). */
  runAt: number
  lastError: string | null
}

/** Where a page in queue order continues: after this job. */
export interface QueueCursor {
  priority: number
  runAt: number
  id: number
}

/**
 * The board's reads. Each is one read snapshot.
 *
 * @example
 * const reads = store.boardReads?.()
 * reads?.waiting('resize', null, 50, Date.now()) // the next 50 to run, highest priority first
 */
export interface BoardReads {
  /** Counts of every subscription, dead letters per channel, paused channels. */
  queueCounts(now: number): BoardQueueCounts
  /** Waiting jobs of every subscription of `channel` in the order they will be claimed (priority, then due time), after `cursor`. */
  waiting(channel: string, cursor: QueueCursor | null, limit: number, now: number): BoardJobRow[]
  /** Delayed jobs of `channel`, soonest due first, after `cursor` (its priority is not used). */
  delayed(channel: string, cursor: QueueCursor | null, limit: number, now: number): BoardJobRow[]
  /** Ids of the jobs of `channel` stored with idempotency key `key` (queued or dead). */
  idsByKey(channel: string, key: string): number[]
  /** Per channel, how many messages with an id above `afterId` are kept anywhere (queue, dead letters, outcomes). */
  arrivalsAfter(afterId: number): Record<string, number>
}
