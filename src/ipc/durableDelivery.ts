// How one stored message reaches its receivers: a channel's main-side listeners (acknowledged when
// all of them returned), its invoke handler (a job, whose outcome is stored), or a renderer's inbox.
import type { DeliveryControl, DeliveryOutcome } from '../actors/durable/consumerInput.js'
import type { CallOutcome } from '../actors/listenerActor.js'
import type { ClaimedMessage } from '../store/index.js'
import { NoHandlerError } from '../errors.js'
import { InvokeEvent, MainEvent } from './events.js'
import { toInvokeFailure } from './invokeErrors.js'
import type { IpcMainImpl } from './ipcMain.js'
import { encodeJobFailure, encodeJobSuccess } from '../protocol/jobOutcome.js'
import { noHandler } from './router.js'
import { decodeEnvelope } from '../protocol/envelope.js'
import type { Envelope } from '../protocol/envelope.js'
import type { WebContents } from '../types.js'

/** A live renderer as durable inboxes see it. In-process and worker renderers both offer this. */
export interface InboxEndpoint {
  /** True while the renderer has a listener on `channel`. */
  listensTo(channel: string): boolean
  /** Calls the renderer's listeners; resolves when all returned, rejects when one failed or the renderer went away. */
  deliverDurable(channel: string, args: unknown[], meta: { messageId: number; attempt: number }): Promise<void>
}

/** Marks a delivery cut short because its renderer went away: handed on, not counted as a failure. */
export class DeliveryAborted extends Error {
  override name = 'DeliveryAborted'
}

// A stored invoke is a job; so is a message (broker.enqueue) on a channel that has a handler and
// no listener: the handler runs it and its result is stored under the message id for jobResult.
function isHandlerJob(ipcMain: IpcMainImpl, message: ClaimedMessage): boolean {
  return message.kind === 'invoke' || (ipcMain.listenerCount(message.channel) === 0 && ipcMain.hasHandler(message.channel))
}

/**
 * Delivers a stored message to the main side: its handler (a job) or its listeners. Their event's
 * `signal` and `progress` go to `control`.
 */
export function deliverToMain(
  ipcMain: IpcMainImpl,
  webContentsFor: (id: string | null) => WebContents,
  message: ClaimedMessage,
  done: (outcome: DeliveryOutcome) => void,
  control: DeliveryControl,
): void {
  const envelope = decoded(message, done)
  if (!envelope) return
  const { sender, args } = envelope
  const channel = message.channel
  if (isHandlerJob(ipcMain, message)) {
    const event = new InvokeEvent(webContentsFor(sender), process.pid)
    event.attempt = message.attempt
    event.messageId = message.id
    event.attachJob(control, message)
    const found = ipcMain.invokeHandler(channel, event, args, (outcome) => done(jobOutcome(outcome)))
    if (!found) {
      done({ ok: false, error: new NoHandlerError(`No handler registered for '${channel}'`), result: encodeJobFailure(noHandler(channel)) })
    }
    return
  }
  const event = new MainEvent(webContentsFor(sender), process.pid)
  event.attempt = message.attempt
  event.messageId = message.id
  event.attachJob(control, message)
  // Acknowledged when every listener succeeded; the first failure fails the attempt.
  let expected = -1
  let settled = 0
  let failure: { error: unknown } | undefined
  const finish = (): void => {
    if (expected < 0 || settled < expected) return
    expected = -2 // once
    done(failure ? { ok: false, error: failure.error } : { ok: true })
  }
  const reached = ipcMain.deliver(channel, event, args, (outcome: CallOutcome) => {
    settled++
    if (!outcome.ok && !failure) failure = { error: outcome.error }
    finish()
  })
  if (reached === 0) {
    done({ ok: false, aborted: true })
    return
  }
  expected = reached
  finish()
}

/**
 * Delivers a stored message to a renderer's inbox. Its listeners get no signal nor progress (an
 * IpcRendererEvent); a timeout still fails the attempt, and a cancel still ends it, unrecorded.
 */
export function deliverToInbox(endpoint: InboxEndpoint, channel: string, message: ClaimedMessage, done: (outcome: DeliveryOutcome) => void): void {
  const envelope = decoded(message, done)
  if (!envelope) return
  const { args } = envelope
  endpoint.deliverDurable(channel, args, { messageId: message.id, attempt: message.attempt }).then(
    () => done({ ok: true }),
    (error: unknown) => done(error instanceof DeliveryAborted ? { ok: false, aborted: true } : { ok: false, error }),
  )
}

/**
 * The outcome of a main-side delivery the consumer failed itself (a timeout): a handler job's
 * carries its failure, stored as its outcome when it was the last attempt.
 *
 * @example
 * failedOnMain(ipcMain, message, new JobTimeoutError(30_000, message.id))
 */
export function failedOnMain(ipcMain: IpcMainImpl, message: ClaimedMessage, error: Error): DeliveryOutcome {
  return isHandlerJob(ipcMain, message) ? jobOutcome({ ok: false, error }) : { ok: false, error }
}

function jobOutcome(outcome: CallOutcome): DeliveryOutcome {
  if (!outcome.ok) return { ok: false, error: outcome.error, result: encodeJobFailure(toInvokeFailure(outcome.error)) }
  try {
    return { ok: true, result: encodeJobSuccess(outcome.value) }
  } catch (error) {
    // An uncloneable result fails the job like a throw would, and says why.
    return { ok: false, error, result: encodeJobFailure(toInvokeFailure(error)) }
  }
}

// A stored message that cannot be read (damaged bytes, a format this Node.js does not read) will
// not read on a retry either: it fails once and for all, a dead letter that shows as undecodable
// (and a job's caller gets the error).
function decoded(message: ClaimedMessage, done: (outcome: DeliveryOutcome) => void): Envelope | undefined {
  try {
    return decodeEnvelope(message.payload)
  } catch (cause) {
    const error = new Error(`Message ${message.id} on '${message.channel}' cannot be decoded: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
    done({ ok: false, error, final: true, ...(message.kind === 'invoke' ? { result: encodeJobFailure(toInvokeFailure(error)) } : {}) })
    return undefined
  }
}
