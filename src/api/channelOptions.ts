// The options of a durable channel: defaults, validation, and the stored config they become.
import { InvalidArgumentError } from '../errors.js'
import type { ChannelConfig } from '../store/index.js'

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
  /** How long a delivery may run before another process may take it over. Default 30000. */
  leaseMs?: number
  /** Largest serialized message accepted; larger sends throw MessageTooLargeError. */
  maxMessageBytes?: number
  /** Most messages waiting per subscription; more throw QueueFullError. */
  maxDepth?: number
}

export const DEFAULT_CONFIG: ChannelConfig = {
  maxAttempts: 5,
  backoffInitialMs: 1000,
  backoffMaxMs: 60_000,
  concurrency: 1,
  leaseMs: 30_000,
  maxMessageBytes: null,
  maxDepth: null,
}

/** Validates options and merges them over `base` (the defaults, or the channel's current config). */
export function toChannelConfig(options: unknown, base: ChannelConfig = DEFAULT_CONFIG): ChannelConfig {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('Expected channel options to be an object')
  const o = options as Record<string, unknown>
  if (o.durable !== true) throw new InvalidArgumentError("Only durable channels are declared: pass { durable: true }")
  const backoff = o.backoff === undefined ? {} : o.backoff
  if (typeof backoff !== 'object' || backoff === null) throw new InvalidArgumentError('Expected backoff to be an object')
  const b = backoff as Record<string, unknown>
  const config: ChannelConfig = {
    maxAttempts: integer(o.maxAttempts, 'maxAttempts', 1) ?? base.maxAttempts,
    backoffInitialMs: integer(b.initialMs, 'backoff.initialMs', 0) ?? base.backoffInitialMs,
    backoffMaxMs: integer(b.maxMs, 'backoff.maxMs', 0) ?? base.backoffMaxMs,
    concurrency: integer(o.concurrency, 'concurrency', 1) ?? base.concurrency,
    leaseMs: integer(o.leaseMs, 'leaseMs', 1) ?? base.leaseMs,
    maxMessageBytes: integer(o.maxMessageBytes, 'maxMessageBytes', 1) ?? base.maxMessageBytes,
    maxDepth: integer(o.maxDepth, 'maxDepth', 1) ?? base.maxDepth,
  }
  if (config.backoffMaxMs < config.backoffInitialMs) throw new InvalidArgumentError('Expected backoff.maxMs to be at least backoff.initialMs')
  return config
}

function integer(value: unknown, name: string, min: number): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidArgumentError(`Expected ${name} to be an integer >= ${min}, but found ${String(value)}`)
  }
  return value
}
