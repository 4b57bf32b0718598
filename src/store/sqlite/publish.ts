// Storing a message: limits first, then idempotency, then one row per target subscription.

import { QueueFullError, StoreError } from '../../errors.js'
import type { Channels, PublishPlan } from './channels.js'
import type { Statements } from './statements.js'
import type { ClaimedPublish, PublishClaim, PublishInput, PublishResult } from '../types.js'
import { assertMessageSize } from '../messageSize.js'

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
  const { id, duplicate } = storeMessage(s, channels, input, cached, ids)
  return { id, duplicate }
}

// publish's work; with `claim`, the id of the row leased to it (undefined when none was stored).
function storeMessage(s: Statements, channels: Channels, input: PublishInput, cached: boolean, ids?: IdCounter, claim?: PublishClaim, plan?: PublishPlan): PublishResult & { claimedId: number | undefined } {
  const { channel, payload, now } = input
  const { config, fanOut } = plan ?? channels.publishPlan(channel, cached)
  assertMessageSize(input, config)

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
  let claimedId: number | undefined
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
    const { kind, visibleAt } = input
    const priority = input.priority ?? 0
    let id: number
    if (claim !== undefined && claim.subscription === subscription) {
      // In hand (inHand.ts), outside the queue's indexes, unless a key or maxDepth check must find it there.
      id = Number(
        key === null && config.maxDepth === null
          ? s.inHandInsert.run(channel, subscription, kind, payload, now, visibleAt, priority, claim.owner, claim.leaseUntil).lastInsertRowid
          : s.insertLeasedMessage.run({ channel, subscription, kind, payload, key, now, visibleAt, priority, owner: claim.owner, leaseUntil: claim.leaseUntil }).lastInsertRowid,
      )
      claimedId = id
    } else if (ids === undefined) {
      id = Number(s.insertMessage.run(channel, subscription, kind, payload, key, now, visibleAt, priority).lastInsertRowid)
    } else {
      id = ids.take()
      s.insertMessageWithId.run(id, channel, subscription, kind, payload, key, now, visibleAt, priority)
    }
    result ??= { id, duplicate: false }
  }
  // result is set: targets is not empty.
  return { id: (result as PublishResult).id, duplicate: allDuplicates, claimedId }
}

/**
 * Stores one message as publish does, the new row of `claim.subscription` leased to `claim.owner`
 * (unstarted: its attempt is counted when its delivery starts, by the owner's next report). Must
 * run inside the store's own transaction. `claimed` is undefined when that row was not stored (a
 * duplicate key) or the subscription is not among the targets. `plan`: the channel's publish plan
 * as the caller read it in this transaction (else it is read here).
 *
 * @example
 * publishClaimed(s, channels, input, { subscription: 'main', owner, leaseUntil: now + 30_000 })
 */
export function publishClaimed(s: Statements, channels: Channels, input: PublishInput, claim: PublishClaim, plan?: PublishPlan): ClaimedPublish {
  const { id: first, duplicate, claimedId: id } = storeMessage(s, channels, input, true, undefined, claim, plan)
  const result = { id: first, duplicate }
  if (id === undefined) return { ...result, claimed: undefined }
  const { channel, kind, payload, now } = input
  const claimed = { id, channel, subscription: claim.subscription, kind, payload, attempt: 1, priority: input.priority ?? 0, createdAt: now, started: false, careful: false }
  return { ...result, claimed }
}
