// Storing a message: limits first, then idempotency, then one row per target subscription.

import { MessageTooLargeError, QueueFullError, StoreError } from '../../errors.js'
import type { Channels } from './channels.js'
import type { Statements } from './statements.js'
import { payloadBytes } from '../types.js'
import type { PublishInput, PublishResult } from '../types.js'

/** Ids for the messages of one bulk publish, taken in order inside its transaction. */
export interface IdCounter {
  take(): number
}

/**
 * Stores one message; must run inside a transaction, so that a limit hit on the second
 * subscription of a fan-out leaves nothing of the first behind. `cached`: the transaction is the
 * store's own, not an application's, so channel config may come from cache (Channels.publishPlan).
 *
 * A publish with a `subscription` goes to that one (created if new, with `input.fanOut`, default
 * true: an inbox's first message creates it with false); without one it goes to every fan-out
 * subscription of the channel (today: `main`). The result is the first target's; `duplicate` only
 * when every target already held a message with this key.
 *
 * @example
 * publish(s, channels, { channel: 'jobs', payload, kind: 'message', visibleAt: now, now })
 */
export function publish(s: Statements, channels: Channels, input: PublishInput, cached = false, ids?: IdCounter): PublishResult {
  const { channel, payload, now } = input
  const { config, fanOut } = channels.publishPlan(channel, cached)
  if (config.maxMessageBytes !== null) {
    const bytes = payloadBytes(payload)
    if (bytes > config.maxMessageBytes) throw new MessageTooLargeError(channel, bytes, config.maxMessageBytes)
  }

  let targets: readonly string[]
  if (input.subscription !== undefined) {
    channels.touchSubscription(channel, input.subscription, input.fanOut ?? true, now, cached)
    targets = [input.subscription]
  } else {
    targets = fanOut
  }
  if (targets.length === 0) {
    throw new StoreError('ERR_STORE', `Channel '${channel}' has no subscription to publish to`)
  }

  const key = input.key ?? null
  let result: PublishResult | undefined
  let allDuplicates = true
  for (const subscription of targets) {
    const existing = key === null ? undefined : s.idByKey.get({ channel, subscription, key })
    if (existing !== undefined) {
      result ??= { id: existing, duplicate: true }
      continue
    }
    allDuplicates = false
    if (config.maxDepth !== null && (s.depth.get({ channel, subscription, max: config.maxDepth }) ?? 0) >= config.maxDepth) {
      throw new QueueFullError(channel, config.maxDepth)
    }
    const row = { channel, subscription, kind: input.kind, payload, key, now, visibleAt: input.visibleAt, priority: input.priority ?? 0 }
    const id = ids === undefined ? Number(s.insertMessage.run(row).lastInsertRowid) : ids.take()
    if (ids !== undefined) s.insertMessageWithId.run({ ...row, id })
    result ??= { id, duplicate: false }
  }
  // result is set: targets is not empty.
  return { id: (result as PublishResult).id, duplicate: allDuplicates }
}
