// A worker renderer's invoke, answered by the main side: refused when the channel is not allowed,
// routed to ipcMain.handle (transient), or stored as a job whose outcome settles it (durable, once
// no application transaction is open on a shared database). The answer is posted back on the
// worker's port; a worker gone or going drops it.
import type { MessagePort } from 'node:worker_threads'
import { ChannelNotAllowedError } from '../../errors.js'
import { toInvokeFailure } from '../invokeErrors.js'
import type { InvokeResult, Router } from '../router.js'
import type { WebContentsImpl } from '../webContents.js'
import { postChecked, ToWorkerKind, toWireError } from './protocol.js'
import type { ToWorker } from './protocol.js'

/** What answering one worker's invokes needs of its main side. */
export interface InvokeAnswering {
  router: Router
  rendererId: string
  webContents: WebContentsImpl
  allowed: (channel: string) => boolean
  /** The worker's port while it is connected. */
  port: () => MessagePort | undefined
}

/**
 * Answers the worker's invoke `id` on `channel`.
 *
 * @example
 * answerInvoke(answering, 7, 'add', [1, 2])
 */
export function answerInvoke(on: InvokeAnswering, id: number, channel: string, args: unknown[]): void {
  const { router, webContents } = on
  const postResult = (result: InvokeResult): void => postInvokeResult(on.port(), id, result)
  const postRejection = (error: unknown): void => on.port()?.postMessage([ToWorkerKind.rejected, id, toWireError(error)] satisfies ToWorker)
  if (!on.allowed(channel)) return postResult({ ok: false, failure: toInvokeFailure(new ChannelNotAllowedError(channel, on.rendererId)) })
  if (!router.isDurable(channel)) return router.invoke(webContents, channel, args, postResult)
  // Stored once no application transaction is open on a shared database, as a durable send is.
  router.afterTransaction(channel, (refused) => {
    let stored: Promise<unknown> | undefined
    try {
      if (refused) throw refused
      stored = router.invokeDurable(webContents, channel, args)
    } catch (error) {
      return postRejection(error)
    }
    if (!stored) return router.invoke(webContents, channel, args, postResult)
    // A durable invoke settles from its stored outcome, whose error is already the caller's.
    stored.then((value) => postResult({ ok: true, value }), postRejection)
  })
}

function postInvokeResult(port: MessagePort | undefined, id: number, result: InvokeResult): void {
  // The worker is gone or going: its pending invoke is dropped with it.
  if (!port) return
  if (!result.ok) return port.postMessage([ToWorkerKind.failed, id, result.failure] satisfies ToWorker)
  try {
    postChecked(port, [ToWorkerKind.resolved, id, result.value] satisfies ToWorker, result.value, 'result')
  } catch (error) {
    port.postMessage([ToWorkerKind.failed, id, toInvokeFailure(error)] satisfies ToWorker)
  }
}
