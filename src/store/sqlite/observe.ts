// Reads for tools that watch a database without consuming from it (the command-line tool's tail
// and dead): pages of messages and dead letters in id order, and the last id given.

import { InvalidArgumentError } from '../../errors.js'
import type { Statements } from './statements.js'
import type { DeadLetterRow, StoredMessage } from '../types.js'

function checkPage(afterId: number, limit: number): void {
  if (!Number.isSafeInteger(afterId)) throw new InvalidArgumentError(`Expected afterId to be an integer, but found ${String(afterId)}`)
  if (!Number.isSafeInteger(limit) || limit < 1) throw new InvalidArgumentError(`Expected limit to be a positive integer, but found ${String(limit)}`)
}

/**
 * Up to `limit` messages stored with an id above `afterId`, oldest first; of `channel` only when
 * given. Ids only grow and commits are serialized, so a poller that remembers the last id it saw
 * misses nothing that is still stored when it looks.
 *
 * @example
 * messagesAfter(s, store.lastMessageId(), 'jobs', 100)
 */
export function messagesAfter(s: Statements, afterId: number, channel: string | undefined, limit: number): StoredMessage[] {
  checkPage(afterId, limit)
  return s.messagesAfter.all({ after: afterId, channel: channel ?? null, limit }).map((row) => ({ ...row, leased: row.leased === 1 }))
}

/**
 * Up to `limit` dead letters with an id above `afterId`, oldest first, of every channel or of
 * `channel`: a page at a time, so a long dead-letter queue is never read into memory at once.
 *
 * @example
 * deadLettersAfter(s, 0, 'jobs', 100).map((d) => d.id)
 */
export function deadLettersAfter(s: Statements, afterId: number, channel: string | undefined, limit: number): DeadLetterRow[] {
  checkPage(afterId, limit)
  const rows = channel === undefined
    ? s.deadLettersAfter.all({ after: afterId, limit })
    : s.deadLettersAfterInChannel.all({ channel, after: afterId, limit })
  return rows.map((row) => ({ ...row }))
}

/**
 * The highest id a message was ever given: in use, dead-lettered, settled as a job, or deleted
 * below the high-water mark. 0 for a database that never stored one.
 *
 * @example
 * const start = lastMessageId(s) // then poll messagesAfter(s, start, ...)
 */
export function lastMessageId(s: Statements): number {
  return s.lastMessageId.get() ?? 0
}
