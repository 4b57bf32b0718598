// The options of a durable channel: defaults, validation, and the stored config they become.
import { InvalidArgumentError } from '../errors.js'
import type { ChannelConfig } from '../store/index.js'
import { assertKnownKeys, optionKeys } from './optionKeys.js'
import type { OptionHint } from './optionKeys.js'

/**
 * Options of `broker.channel(name, options)`.
 *
 * @example
 * broker.channel('jobs', { durable: true, maxAttempts: 5, backoff: { initialMs: 500, maxMs: 30_000 } })
 */
export interface DurableChannelOptions {
  durable: true
  /** Attempts before a message goes to the dead letters. Default 5. */
  maxAttempts?: number
  /** Retry delays: `initialMs * 2^(attempt-1)`, capped at `maxMs`, with jitter. Default 1000 / 60000. */
  backoff?: { initialMs?: number; maxMs?: number }
  /** Deliveries in flight at once per process. 1 (default) keeps FIFO order. */
  concurrency?: number
  /**
   * How long a lease lasts without renewal. Leases are renewed every leaseMs / 3 while their owner's
   * process runs, however long a delivery takes; another process takes a delivery over only once
   * its owner stopped renewing for this long (dead on another host, event loop blocked). Default 30000.
   */
  leaseMs?: number
  /** Largest serialized message accepted; larger sends throw MessageTooLargeError. */
  maxMessageBytes?: number
  /** Most messages waiting per subscription; more throw QueueFullError. */
  maxDepth?: number
  /**
   * Longest an attempt may run (ms): past it the attempt fails with JobTimeoutError (retried or
   * dead-lettered as any failure) and `event.signal` is aborted; a late answer is ignored. Default: none.
   */
  timeoutMs?: number
  /**
   * At most `max` deliveries of the channel start within any `intervalMs` (a sliding window), across
   * every process on the store. Default: none.
   */
  rateLimit?: { max: number; intervalMs: number }
}

type BackoffOptions = NonNullable<DurableChannelOptions['backoff']>
type RateLimitOptions = NonNullable<DurableChannelOptions['rateLimit']>

export const CHANNEL_OPTION_KEYS = optionKeys<DurableChannelOptions>()(['durable', 'maxAttempts', 'backoff', 'concurrency', 'leaseMs', 'maxMessageBytes', 'maxDepth', 'timeoutMs', 'rateLimit'])
export const BACKOFF_OPTION_KEYS = optionKeys<BackoffOptions>()(['initialMs', 'maxMs'])
export const RATE_LIMIT_OPTION_KEYS = optionKeys<RateLimitOptions>()(['max', 'intervalMs'])

const COUNTS_EVERY_ATTEMPT = "did you mean 'maxAttempts'? It counts every attempt, the first one included: N retries is maxAttempts N + 1"
const RETRY_DELAYS = 'retry delays are backoff: { initialMs, maxMs }'
const BACKOFF_SHAPE = 'backoff is { initialMs, maxMs }: always exponential (initialMs * 2^(attempt - 1), capped at maxMs, with jitter)'

// The names BullMQ, pg-boss, graphile-worker, SQS and others give these options.
const CHANNEL_HINTS: Record<string, OptionHint> = {
  persistent: 'durable',
  durability: 'durable',
  attempts: 'maxAttempts',
  tries: 'maxAttempts',
  retries: COUNTS_EVERY_ATTEMPT,
  retryLimit: COUNTS_EVERY_ATTEMPT,
  maxRetries: COUNTS_EVERY_ATTEMPT,
  retryDelay: RETRY_DELAYS,
  retryBackoff: RETRY_DELAYS,
  backoffMs: RETRY_DELAYS,
  delay: RETRY_DELAYS,
  lockDuration: 'leaseMs',
  visibilityTimeout: 'leaseMs',
  lease: 'leaseMs',
  parallelism: 'concurrency',
  workers: 'concurrency',
  maxSize: 'maxDepth',
  maxLength: 'maxDepth',
  maxQueueSize: 'maxDepth',
  maxMessageSize: 'maxMessageBytes',
  maxPayloadBytes: 'maxMessageBytes',
  timeout: 'timeoutMs',
  jobTimeout: 'timeoutMs',
  limiter: 'rateLimit: { max, intervalMs }',
  priority: 'priority is per job: broker.enqueue(channel, args, { priority })',
  rateLimiter: 'rateLimit: { max, intervalMs }',
  deadLetter: 'dead letters are built in: a message that used up maxAttempts goes to the channel\'s dead letters (channel.deadLetters())',
  deadLetterQueue: 'dead letters are built in: a message that used up maxAttempts goes to the channel\'s dead letters (channel.deadLetters())',
}

// BullMQ's `backoff: { type: 'exponential', delay: 1000 }` is the shape most often brought along.
const BACKOFF_HINTS: Record<string, OptionHint> = {
  type: `${BACKOFF_SHAPE}; there is no type`,
  delay: `${BACKOFF_SHAPE}; BullMQ's delay is initialMs`,
  initial: 'initialMs',
  initialDelay: 'initialMs',
  initialDelayMs: 'initialMs',
  minMs: 'initialMs',
  max: 'maxMs',
  maxDelay: 'maxMs',
  maxDelayMs: 'maxMs',
  factor: `${BACKOFF_SHAPE}; the factor is always 2`,
  multiplier: `${BACKOFF_SHAPE}; the factor is always 2`,
  jitter: `${BACKOFF_SHAPE}; jitter always applies`,
}

export const DEFAULT_CONFIG: ChannelConfig = {
  maxAttempts: 5,
  backoffInitialMs: 1000,
  backoffMaxMs: 60_000,
  concurrency: 1,
  leaseMs: 30_000,
  maxMessageBytes: null,
  maxDepth: null,
  timeoutMs: null,
  rateLimit: null,
}

/**
 * Validates options (unknown keys too, the nested backoff's included) and merges them over `base`
 * (the defaults, or the channel's current config).
 */
export function toChannelConfig(options: unknown, base: ChannelConfig = DEFAULT_CONFIG): ChannelConfig {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('Expected channel options to be an object')
  // Keys first: `{ persistent: true }` is better told 'durable' than "pass { durable: true }".
  assertKnownKeys(options, CHANNEL_OPTION_KEYS, 'broker.channel() options', CHANNEL_HINTS)
  const o = options as Record<string, unknown>
  if (o.durable !== true) throw new InvalidArgumentError("Only durable channels are declared: pass { durable: true }")
  const backoff = o.backoff === undefined ? {} : o.backoff
  if (typeof backoff !== 'object' || backoff === null) throw new InvalidArgumentError('Expected backoff to be an object')
  assertKnownKeys(backoff, BACKOFF_OPTION_KEYS, 'the backoff of broker.channel() options', BACKOFF_HINTS)
  const b = backoff as Record<string, unknown>
  const config: ChannelConfig = {
    maxAttempts: integer(o.maxAttempts, 'maxAttempts', 1) ?? base.maxAttempts,
    backoffInitialMs: integer(b.initialMs, 'backoff.initialMs', 0) ?? base.backoffInitialMs,
    backoffMaxMs: integer(b.maxMs, 'backoff.maxMs', 0) ?? base.backoffMaxMs,
    concurrency: integer(o.concurrency, 'concurrency', 1) ?? base.concurrency,
    leaseMs: integer(o.leaseMs, 'leaseMs', 1) ?? base.leaseMs,
    maxMessageBytes: integer(o.maxMessageBytes, 'maxMessageBytes', 1) ?? base.maxMessageBytes,
    maxDepth: integer(o.maxDepth, 'maxDepth', 1) ?? base.maxDepth,
    timeoutMs: integer(o.timeoutMs, 'timeoutMs', 1) ?? base.timeoutMs,
    rateLimit: o.rateLimit === undefined ? base.rateLimit : rateLimit(o.rateLimit),
  }
  if (config.backoffMaxMs < config.backoffInitialMs) throw new InvalidArgumentError('Expected backoff.maxMs to be at least backoff.initialMs')
  return config
}

// BullMQ's limiter is { max, duration }: the shape most often brought along.
const RATE_LIMIT_HINTS: Record<string, OptionHint> = {
  duration: 'intervalMs',
  durationMs: 'intervalMs',
  interval: 'intervalMs',
  windowMs: 'intervalMs',
  limit: 'max',
  count: 'max',
}

function rateLimit(value: unknown): ChannelConfig['rateLimit'] {
  if (typeof value !== 'object' || value === null) throw new InvalidArgumentError('Expected rateLimit to be an object { max, intervalMs }')
  assertKnownKeys(value, RATE_LIMIT_OPTION_KEYS, 'the rateLimit of broker.channel() options', RATE_LIMIT_HINTS)
  const r = value as Record<string, unknown>
  const max = integer(r.max, 'rateLimit.max', 1)
  const intervalMs = integer(r.intervalMs, 'rateLimit.intervalMs', 1)
  if (max === undefined || intervalMs === undefined) throw new InvalidArgumentError('Expected rateLimit to have both max and intervalMs')
  return { max, intervalMs }
}

function integer(value: unknown, name: string, min: number): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidArgumentError(`Expected ${name} to be an integer >= ${min}, but found ${String(value)}`)
  }
  return value
}
