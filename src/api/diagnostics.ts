// node:diagnostics_channel events for durable messages (publish, deliver, ack, retry, dead-letter),
// so tracing and metrics tools can hook in without durable-ipc depending on a logger. Every event
// is published only while its channel has subscribers: with none, the hot path pays one property
// read.
import diagnosticsChannel from 'node:diagnostics_channel'
import type { ClaimedMessage, MessageKind, PublishInput, PublishResult, Store } from '../store/index.js'
import { payloadBytes } from '../store/index.js'
import type { StoredEntry } from '../ipc/worker/protocol.js'

/**
 * The names of durable-ipc's diagnostics channels.
 *
 * @example
 * import diagnosticsChannel from 'node:diagnostics_channel'
 * diagnosticsChannel.subscribe(diagnosticChannels.deadLetter, (message) => {
 *   const { channel, id, error } = message as FailureDiagnostic
 *   console.warn(`dead letter ${id} on ${channel}:`, error)
 * })
 */
export const diagnosticChannels = {
  /** A durable message was stored: {@link PublishDiagnostic}. */
  publish: 'durable-ipc:publish',
  /** A stored message was handed to a listener or renderer: {@link DeliveryDiagnostic}. */
  deliver: 'durable-ipc:deliver',
  /** A delivery succeeded: {@link DeliveryDiagnostic}. */
  ack: 'durable-ipc:ack',
  /** A delivery failed and will be tried again after a back-off: {@link FailureDiagnostic}. */
  retry: 'durable-ipc:retry',
  /** A delivery failed for the last time: {@link FailureDiagnostic}. */
  deadLetter: 'durable-ipc:dead-letter',
} as const

/**
 * The message of `durable-ipc:publish`. Published when the store has written the message; inside
 * an application's own transaction (the outbox) it still disappears if that transaction rolls back.
 *
 * @example
 * diagnosticsChannel.subscribe('durable-ipc:publish', (m) => metrics.count((m as PublishDiagnostic).channel))
 */
export interface PublishDiagnostic {
  channel: string
  /** A renderer's inbox (`renderer:<id>`); undefined for a send to the main side. */
  subscription: string | undefined
  /** The message id (the waiting message's id when `duplicate`). */
  id: number
  /** A message with the same `key` was waiting, so nothing new was stored. */
  duplicate: boolean
  kind: MessageKind
  key: string | null
  /** Epoch ms from which it can be delivered. */
  visibleAt: number
  /** The stored (serialized) size of its arguments. */
  bytes: number
}

/**
 * The message of `durable-ipc:deliver` and `durable-ipc:ack`.
 *
 * @example
 * diagnosticsChannel.subscribe('durable-ipc:ack', (m) => latency.record(Date.now() - (m as DeliveryDiagnostic).createdAt))
 */
export interface DeliveryDiagnostic {
  channel: string
  /** `main`, or `renderer:<id>` for a renderer's inbox. */
  subscription: string
  id: number
  kind: MessageKind
  /** 1 for the first attempt. */
  attempt: number
  /** Epoch ms the message was stored. */
  createdAt: number
}

/**
 * The message of `durable-ipc:retry` and `durable-ipc:dead-letter`. For an invoke job,
 * dead-letter means its last attempt failed: the error is stored as the job's result.
 *
 * @example
 * diagnosticsChannel.subscribe('durable-ipc:retry', (m) => console.warn((m as FailureDiagnostic).error))
 */
export interface FailureDiagnostic extends DeliveryDiagnostic {
  /** What the listener threw or rejected with. */
  error: unknown
}

// Created once: looking a channel up by name on every event would cost more than the event.
const publishChannel = diagnosticsChannel.channel(diagnosticChannels.publish)
const deliveryChannels = {
  deliver: diagnosticsChannel.channel(diagnosticChannels.deliver),
  ack: diagnosticsChannel.channel(diagnosticChannels.ack),
  retry: diagnosticsChannel.channel(diagnosticChannels.retry),
  dead: diagnosticsChannel.channel(diagnosticChannels.deadLetter),
}

/**
 * Publishes a consumer's trace (`onTrace` of src/actors/durable/consumerWork.ts) on its diagnostics
 * channel, if anyone listens.
 *
 * @example
 * const input = { ..., onTrace: traceDelivery }
 */
export function traceDelivery(what: 'deliver' | 'ack' | 'retry' | 'dead', message: ClaimedMessage, error?: unknown): void {
  const channel = deliveryChannels[what]
  if (!channel.hasSubscribers) return
  const event: DeliveryDiagnostic = {
    channel: message.channel,
    subscription: message.subscription,
    id: message.id,
    kind: message.kind,
    attempt: message.attempt,
    createdAt: message.createdAt,
  }
  channel.publish(what === 'retry' || what === 'dead' ? { ...event, error } : event)
}

/**
 * Announces sends a worker renderer stored itself, on its own connection (src/ipc/worker/
 * directSends.ts), as the wrapped store announces its own: each entry is channel, id, visibleAt, bytes.
 *
 * @example
 * traceStoredElsewhere([['jobs', 41, Date.now(), 57]])
 */
export function traceStoredElsewhere(entries: readonly StoredEntry[]): void {
  if (!publishChannel.hasSubscribers) return
  for (const [channel, id, visibleAt, bytes] of entries) {
    const event: PublishDiagnostic = { channel, subscription: undefined, id, duplicate: false, kind: 'message', key: null, visibleAt, bytes }
    publishChannel.publish(event)
  }
}

/**
 * Wraps a store so that every successful publish (send, enqueue, invoke, webContents.send to an
 * inbox) is announced on `durable-ipc:publish`. One place sees them all, whichever path stored them.
 *
 * @example
 * const store = tracePublishes(openSqliteStore({ path: 'app.db' }))
 */
export function tracePublishes(store: Store): Store {
  const announce = (input: PublishInput, result: PublishResult): void => {
    if (!publishChannel.hasSubscribers) return
    const event: PublishDiagnostic = {
      channel: input.channel,
      subscription: input.subscription,
      id: result.id,
      duplicate: result.duplicate,
      kind: input.kind,
      key: input.key ?? null,
      visibleAt: input.visibleAt,
      bytes: payloadBytes(input.payload),
    }
    publishChannel.publish(event)
  }
  const traced: Store = {
    ...store,
    publish(input: PublishInput) {
      const result = store.publish(input)
      announce(input, result)
      return result
    },
  }
  const { publishClaimed } = store
  if (publishClaimed) {
    traced.publishClaimed = (input, claim, report) => {
      const result = publishClaimed.call(store, input, claim, report)
      announce(input, result)
      return result
    }
  }
  return traced
}
