// The main side's answers to a worker's blocking requests (sendSync, and sends on durable
// channels): the worker waits in Atomics.wait until one of these ends its answer.
import type { MessagePort } from 'node:worker_threads'
import type { Router } from '../router.js'
import type { WebContents } from '../../types.js'
import { claimAnswer, endAnswer, postChecked, SyncStatus, toWireError } from './protocol.js'
import type { SyncCloneFailure, WireError } from './protocol.js'

/** A connected worker: its request port, its sync reply port, and the shared words it waits on. */
export interface Connection {
  port: MessagePort
  syncPort: MessagePort
  sync: Int32Array
}

/** What answering needs of the worker's handle. */
export interface SyncAnswers {
  router(): Router
  webContents(): WebContents
  allowed(channel: string): boolean
  /** The connection while the worker may still wait for answers; undefined once it exited. */
  connection(): Connection | undefined
}

/** A worker's sendSync: the first returnValue a listener assigns is the answer. */
export function answerSync(to: SyncAnswers, seq: number, channel: string, args: unknown[]): void {
  if (!to.allowed(channel)) return answer(to, seq, SyncStatus.notAllowed, undefined)
  const reached = to.router().sendSync(to.webContents(), channel, args, (value) => answer(to, seq, SyncStatus.ok, value))
  if (reached === 0) answer(to, seq, SyncStatus.noListener, undefined)
}

// The worker's durable send waits for this answer, so the message is in SQLite when that send
// returns and a store error is thrown there, at the call. Claimed before storing: a send the worker
// gave up on (syncTimeoutMs; its send threw) must not be stored behind its back. While the
// application holds a transaction open on a shared database, the send waits (unclaimed, so the
// worker's own timeout still holds) until it ended: it is not part of it and must not roll back
// with it (see transactionWait.ts).
export function storeSend(to: SyncAnswers, seq: number, channel: string, args: unknown[]): void {
  if (!to.allowed(channel)) return answer(to, seq, SyncStatus.notAllowed, undefined)
  const router = to.router()
  // Not durable (only a worker that posts by hand): delivered the transient way, nothing to wait for.
  if (!router.isDurable(channel)) return deliverNow(to, seq, channel, args)
  // Stored with the other workers' sends of this turn, in one transaction (group commit), and
  // answered once it committed.
  let connection: Connection | undefined
  router.storeTogether(channel, {
    store: () => {
      connection = claim(to, seq)
      if (!connection) return false
      // Durable channels stay durable, so the fallback is only for a worker that posts by hand.
      if (!router.sendDurable(to.webContents(), channel, args)) router.send(to.webContents(), channel, args)
      return true
    },
    done: (error) => {
      connection ??= claim(to, seq)
      if (!connection) return
      if (error !== undefined) connection.syncPort.postMessage(toWireError(error) satisfies WireError)
      endAnswer(connection.sync, error === undefined ? SyncStatus.stored : SyncStatus.failed)
    },
  })
}

function deliverNow(to: SyncAnswers, seq: number, channel: string, args: unknown[]): void {
  const connection = claim(to, seq)
  if (!connection) return
  let status: SyncStatus = SyncStatus.stored
  try {
    to.router().send(to.webContents(), channel, args)
  } catch (error) {
    connection.syncPort.postMessage(toWireError(error) satisfies WireError)
    status = SyncStatus.failed
  } finally {
    endAnswer(connection.sync, status)
  }
}

// Takes the answer to `seq` (see protocol.ts for the handshake); undefined when the worker
// no longer waits for it (it timed out or exited): the answer is dropped then.
function claim(to: SyncAnswers, seq: number): Connection | undefined {
  const connection = to.connection()
  if (!connection) return undefined
  return claimAnswer(connection.sync, seq) ? connection : undefined
}

// Runs inside a listener's `event.returnValue = ...`, maybe long after the worker died or gave up
// waiting: it must never throw into that listener.
function answer(to: SyncAnswers, seq: number, status: SyncStatus, value: unknown): void {
  const connection = claim(to, seq)
  if (!connection) return
  const { sync, syncPort } = connection
  try {
    if (status === SyncStatus.ok) {
      try {
        postChecked(syncPort, value, value, 'returnValue')
      } catch (error) {
        const { path = 'returnValue', message = String(error) } = error as { path?: string; message?: string }
        syncPort.postMessage([path, message] satisfies SyncCloneFailure)
        status = SyncStatus.clone
      }
    }
  } finally {
    endAnswer(sync, status)
  }
}
