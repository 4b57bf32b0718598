// The plain data the store's contract (store/contract.ts) takes and gives: channel configs,
// publish inputs, claimed messages, outcomes, dead letters, jobs and schedules, in epoch ms.



/** Settings of one durable channel, as persisted. */
import type { OutcomeState } from '../protocol/jobOutcome.js'
import type { SubscriptionCounts } from '../protocol/stats.js'
import type { JobState } from '../types.js'

export interface ChannelConfig {
  maxAttempts: number
  backoffInitialMs: number
  backoffMaxMs: number
  concurrency: number
  leaseMs: number
  /** null: no limit. */
  maxMessageBytes: number | null
  /** null: no limit. Counts messages waiting or in flight for one subscription. */
  maxDepth: number | null
  /** null: none. An attempt running longer fails with JobTimeoutError (retried as any failure). */
  timeoutMs: number | null
  /** null: none. At most `max` deliveries of the channel start within any `intervalMs`, across processes. */
  rateLimit: { max: number; intervalMs: number } | null
}

/**
 * A message as stored: JSON text, or bytes (V8's serialization format, or whatever a caller of the
 * store chose). Text is what most messages are, and SQLite hands text to JavaScript as a string
 * that JSON.parse reads directly: no Buffer on the way in or out (~1 µs a message).
 */
export type Payload = Uint8Array | string

/** The size of a payload in bytes, as stored (text counts in UTF-8). */
export function payloadBytes(payload: Payload): number {
  return typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.byteLength
}

/** What kind of message a row is: a plain message, or a stored invoke request (a job). */
export type MessageKind = 'message' | 'invoke'

export interface PublishInput {
  channel: string
  /**
   * The one subscription the message is for, created if new. Without it the message goes to every
   * fan-out subscription of the channel (`main`, and any other created with `fanOut` true).
   */
  subscription?: string
  /**
   * Only with `subscription`, and only when this publish creates it: whether the new subscription
   * is a fan-out one (also receives the channel's publishes without a subscription). Default true,
   * as for `ensureSubscription`. An inbox that gets only what is addressed to it passes false.
   */
  fanOut?: boolean
  payload: Payload
  kind: MessageKind
  /** Idempotency key: while a message with this key is pending on the subscription, no second one is stored. */
  key?: string | null
  /** Epoch ms; not claimable before then. */
  visibleAt: number
  /** Higher is claimed first; FIFO within a priority. Default 0. A safe integer. */
  priority?: number
  now: number
}

export interface PublishResult {
  /** The message id (the existing message's id when duplicate). */
  id: number
  duplicate: boolean
}

/** Claim-at-publish (Store.publishClaimed): who takes the new message as it is stored. */
export interface PublishClaim {
  /** The subscription whose new row is leased (a publish's other targets are stored as usual). */
  subscription: string
  owner: string
  /** Epoch ms the lease runs to. */
  leaseUntil: number
  /**
   * Lease only if no other connection committed since the store's changeToken() answered this
   * (then nothing may wait ahead that the caller has not seen); otherwise stored unleased.
   */
  token?: number | undefined
}

export interface ClaimedPublish extends PublishResult {
  /** The message as leased to the claim's owner; undefined when nothing was (a duplicate key, another target). */
  claimed: ClaimedMessage | undefined
}

export interface ClaimedMessage {
  id: number
  channel: string
  subscription: string
  kind: MessageKind
  payload: Payload
  /** This attempt's number, 1 for the first delivery. */
  attempt: number
  priority: number
  createdAt: number
  /** The claim counted this attempt (it starts at once); otherwise `report` counts it when it starts. */
  started: boolean
  /**
   * An earlier lease of it ended without an outcome and without a recorded start (its consumer
   * died): its start must be recorded before it is delivered, so that a message that takes the
   * process down uses up its attempts.
   */
  careful: boolean
}

export interface FailInput {
  id: number
  owner: string
  /** The error as text: message and stack. */
  error: string
  /** Epoch ms of the next attempt, or null to dead-letter the message now. */
  retryAt: number | null
  now: number
  /** A job's failure outcome, stored with the dead letter (for its caller and jobResult). */
  result?: Uint8Array
}

/** What a consumer reports in one transaction: answers, starts, and leases to keep. */
export interface ReportInput {
  /** Acknowledged: deleted. */
  acks: readonly number[]
  /** Deliveries that started, whose attempt is counted now (see ClaimedMessage.started). */
  starts: readonly number[]
  /** Leases extended to `leaseUntil`: messages waiting in a claimed batch, and deliveries in flight. */
  renew?: { ids: readonly number[]; leaseUntil: number }
}

export interface DeadLetterRow {
  id: number
  channel: string
  subscription: string
  kind: MessageKind
  payload: Payload
  attempts: number
  lastError: string
  createdAt: number
  failedAt: number
}

export interface JobResultRow {
  id: number
  ok: boolean
  /** Serialized result value (ok) or serialized error (not ok). */
  payload: Uint8Array
  completedAt: number
  /** 'completed' (ok), 'failed' (the handler's final failure) or 'cancelled' (Store.cancel). */
  state: OutcomeState
}

/** One subscription's counts (ready: visible now and not leased; delayed: not visible yet). */
export type SubscriptionStats = SubscriptionCounts

/** A message as it sits in the queue, for tools that watch without consuming (the CLI's tail). */
export interface StoredMessage {
  id: number
  channel: string
  subscription: string
  kind: MessageKind
  payload: Payload
  key: string | null
  /** Attempts made so far (0 until first claimed). */
  attempts: number
  createdAt: number
  /** Epoch ms from which it can be claimed; for a leased message, its lease expiry. */
  visibleAt: number
  /** Held by a consumer right now (its lease may have expired). */
  leased: boolean
}

/** Where a job is (the public type: src/types.ts says what each state means). */
export type { JobState }

/** One job as the store knows it, wherever it is (queue, dead letters, outcomes). Times in epoch ms. */
export interface JobRow {
  id: number
  /** '' for an outcome stored before schema 006, which did not record it. */
  channel: string
  subscription: string
  /** What it was stored as, and its arguments: null once it ended with an outcome (which keeps neither). */
  kind: MessageKind | null
  payload: Payload | null
  state: JobState
  /** Attempts that started. */
  attempts: number
  priority: number
  /** The latest progress value (serialized), null when none. */
  progress: Uint8Array | null
  createdAt: number
  /** When it may run (delayed, waiting), runs since (active: its place in line), or last ran (ended). */
  runAt: number
  lastError: string | null
}

/** Which jobs `Store.jobs` lists: id order, keyset paginated (`afterId`). */
export interface JobsQuery {
  state?: JobState
  limit: number
  afterId: number
}

// --- Schedules (persisted; fired by the scheduler actor of every broker on the store) ---

/**
 * A persisted schedule, as stored: what to publish (an encoded payload, a priority) to a channel's
 * fan-out subscriptions, and when. Exactly one of `cron` (with its zone `tz`) or `everyMs` is set;
 * the store does not read either: the layers above compute the slots and hand it plain epoch ms.
 */
export interface ScheduleRow {
  name: string
  cron: string | null
  everyMs: number | null
  /** The cron expression's IANA time zone; null with everyMs. */
  tz: string | null
  channel: string
  payload: Payload
  priority: number
  /** Epoch ms of the next slot: the schedule is due once the clock reaches it. */
  nextRunAt: number
  /** Epoch ms at which it last fired (null: never). */
  lastRunAt: number | null
}

/** What upsertSchedule takes: a schedule's definition and its first slot. */
export type ScheduleInput = Omit<ScheduleRow, 'lastRunAt'>

/** How a subscription takes part in its channel's publishes. */
export interface SubscriptionOptions {
  /**
   * True (the default): it receives every publish of the channel without a subscription, as
   * `main` does. False: only messages published to it by name (an inbox).
   */
  fanOut?: boolean
}
