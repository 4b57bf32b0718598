// Storing messages: limits first, then idempotency, then one row per target subscription; a bulk
// publish is the same for each input, in one transaction (all or nothing).

import { QueueFullError, StoreError } from '../../errors.js'
import type { Channels } from './channels.js'
import { newMessageColumns, payloadParams, pushMessage } from './payloads.js'
import { first, rows, run } from './program.js'
import type { Program } from './program.js'
import type { PublishInput, PublishResult } from '../types.js'
import { assertMessageSize } from '../messageSize.js'

const sql = {
  idByKey: 'SELECT id FROM durable_ipc_messages WHERE channel = $1 AND subscription = $2 AND key = $3',
  // Publishers to one subscription with a maxDepth take turns on its row, so the count holds.
  lockSubscription: 'SELECT 1 FROM durable_ipc_subscriptions WHERE channel = $1 AND name = $2 FOR UPDATE',
  // LIMIT bounds the count's work to maxDepth index entries, however long the queue.
  depth: `SELECT count(*)::int AS n FROM (SELECT 1 FROM durable_ipc_messages
    WHERE channel = $1 AND subscription = $2 LIMIT $3) AS d`,
  // A concurrent publish of the same key wins the unique index: this one then reads its id.
  insert: `INSERT INTO durable_ipc_messages (channel, subscription, kind, payload, payload_text, key, created_at, visible_at, priority)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (channel, subscription, key) WHERE key IS NOT NULL DO NOTHING RETURNING id`,
} as const

/**
 * Stores one message (see Store.publish); runs inside the caller's transaction, so a limit hit on
 * the second target of a fan-out leaves nothing of the first behind.
 *
 * @example
 * const { id } = yield* publish(channels, { channel: 'jobs', payload, kind: 'message', visibleAt: now, now })
 */
export function* publish(channels: Channels, input: PublishInput): Program<PublishResult> {
  const { channel, payload, now } = input
  const { config, fanOut } = yield* channels.publishPlan(channel)
  assertMessageSize(input, config)
  let targets: readonly string[]
  if (input.subscription !== undefined) {
    yield* channels.touchSubscription(channel, input.subscription, input.fanOut ?? true, now)
    targets = [input.subscription]
  } else {
    targets = fanOut
  }
  if (targets.length === 0) throw new StoreError('ERR_STORE', `Channel '${channel}' has no subscription to publish to`)

  const key = input.key ?? null
  const [bytes, isText] = payloadParams(payload)
  let result: PublishResult | undefined
  let allDuplicates = true
  for (const subscription of targets) {
    // Looked up first: an insert that loses to the key would still use up an id of the sequence.
    const existing = key === null ? undefined : yield* first<{ id: number }>(sql.idByKey, [channel, subscription, key])
    if (existing !== undefined) {
      result ??= { id: existing.id, duplicate: true }
      continue
    }
    if (config.maxDepth !== null) {
      yield* run(sql.lockSubscription, [channel, subscription])
      const depth = yield* first<{ n: number }>(sql.depth, [channel, subscription, config.maxDepth])
      if ((depth?.n ?? 0) >= config.maxDepth) throw new QueueFullError(channel, config.maxDepth)
    }
    const inserted = yield* first<{ id: number }>(sql.insert, [channel, subscription, input.kind, bytes, isText, key, now, input.visibleAt, input.priority ?? 0])
    if (inserted === undefined) {
      const raced = yield* first<{ id: number }>(sql.idByKey, [channel, subscription, key])
      result ??= { id: raced!.id, duplicate: true }
      continue
    }
    allDuplicates = false
    result ??= { id: inserted.id, duplicate: false }
  }
  return { id: (result as PublishResult).id, duplicate: allDuplicates }
}

// A run of plain messages (no key, no subscription of their own, one fan-out target, no maxDepth)
// goes in as one INSERT of up to ROWS_PER_INSERT rows: one round trip instead of one per message.
const ROWS_PER_INSERT = 500
// Ids come from the sequence in the order the rows are produced (ORDER BY ordinality).
const insertRun = `INSERT INTO durable_ipc_messages (channel, subscription, kind, payload, payload_text, created_at, visible_at, priority)
  SELECT $1, $2, kind, payload, payload_text, created_at, visible_at, priority
  FROM unnest($3::text[], $4::bytea[], $5::boolean[], $6::bigint[], $7::bigint[], $8::bigint[])
    WITH ORDINALITY AS m (kind, payload, payload_text, created_at, visible_at, priority, n)
  ORDER BY n RETURNING id`

function plain(input: PublishInput): boolean {
  return (input.key === undefined || input.key === null) && input.subscription === undefined
}

/**
 * Stores several messages in order, in the caller's one transaction: the first failure throws and
 * (with the transaction) stores none. Runs of plain messages to one channel go in as multi-row
 * inserts; anything else through publish() one by one.
 *
 * @example
 * const results = yield* publishMany(channels, inputs)
 */
export function* publishMany(channels: Channels, inputs: readonly PublishInput[]): Program<PublishResult[]> {
  const results: PublishResult[] = new Array(inputs.length)
  let i = 0
  while (i < inputs.length) {
    const first = inputs[i]!
    const { config, fanOut } = yield* channels.publishPlan(first.channel)
    const target = fanOut.length === 1 && config.maxDepth === null ? fanOut[0] : undefined
    if (target === undefined || !plain(first)) {
      results[i] = yield* publish(channels, first)
      i++
      continue
    }
    const start = i
    const columns = newMessageColumns()
    for (; i < inputs.length && i - start < ROWS_PER_INSERT; i++) {
      const input = inputs[i]!
      if (input.channel !== first.channel || !plain(input)) break
      assertMessageSize(input, config)
      pushMessage(columns, input)
    }
    const ids = (yield* rows<{ id: number }>(insertRun, [first.channel, target, ...columns])).map((row) => row.id).sort((a, b) => a - b)
    ids.forEach((id, k) => {
      results[start + k] = { id, duplicate: false }
    })
  }
  return results
}
