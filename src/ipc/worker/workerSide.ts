// The worker side of a worker-thread renderer: an ipcRenderer whose transport is a MessagePort to
// the main side, and whose sendSync blocks this thread on shared memory until main answers.
import { getEnvironmentData, isMainThread, MessageChannel, parentPort, receiveMessageOnPort, setEnvironmentData } from 'node:worker_threads'
import type { MessagePort } from 'node:worker_threads'
import { ChannelNotAllowedError, CloneError, DurableIpcError, SyncReplyError } from '../../errors.js'
import { startInvokeTimeout } from '../invokeTimeout.js'
import { invokeRejection } from '../invokeErrors.js'
import { IpcRendererImpl } from '../ipcRenderer.js'
import type { RendererTransport } from '../ipcRenderer.js'
import { CONNECT_MARK, fromWireError, postChecked, SETUP_KEY, SYNC_SLOTS, SYNC_STATE, SYNC_STATUS, SyncStatus, ToMainKind, ToWorkerKind, toWireError } from './protocol.js'
import type { ConnectMessage, SyncCloneFailure, ToMain, ToWorker, WireError, WorkerSetup } from './protocol.js'
import { DirectSends } from './directSends.js'

interface PendingInvoke {
  channel: string
  resolve: (value: unknown) => void
  reject: (reason: unknown) => void
  cancelTimeout: () => void
}

/**
 * Builds this thread's ipcRenderer: connected to the main side when the thread was started by
 * `broker.spawnRenderer()`, otherwise one whose every call fails with `ERR_IPC_NOT_A_RENDERER`.
 */
export function connectWorkerRenderer(): { ipcRenderer: IpcRendererImpl; ready: Promise<void> } {
  const setup = isMainThread || !parentPort ? undefined : (getEnvironmentData(SETUP_KEY) as WorkerSetup | undefined)
  if (setup === undefined) {
    return { ipcRenderer: new IpcRendererImpl(notARenderer, { id: 'none', onListenerError: (error) => console.error(error) }), ready: Promise.resolve() }
  }
  // Workers this thread starts itself inherit its environment data: they are not this renderer.
  setEnvironmentData(SETUP_KEY, undefined)
  const transport = new WorkerTransport(setup, parentPort!)
  const ipcRenderer = new IpcRendererImpl(transport, {
    id: setup.id,
    allow: setup.allow,
    onListenerError: (error, channel) => transport.post([ToMainKind.listenerError, channel, toWireError(error)]),
    onListenersChanged: (channel) => transport.listenersChanged(channel),
  })
  transport.attach(ipcRenderer)
  return { ipcRenderer, ready: transport.ready }
}

class WorkerTransport implements RendererTransport {
  readonly #setup: WorkerSetup
  readonly #port: MessagePort
  readonly #syncPort: MessagePort
  readonly #sync: Int32Array
  readonly #invokes = new Map<number, PendingInvoke>()
  /** Channels main has been told this renderer listens to. */
  readonly #listening = new Set<string>()
  /** Channels main declared durable: sends on them wait until stored. */
  readonly #durable: Set<string>
  /** Durable sends this thread stores itself, on a broker with a file of its own. */
  readonly #direct: DirectSends | undefined
  /** Resolves once durable sends can be stored here (or cannot be: then they are round trips). */
  readonly ready: Promise<void>
  #ipcRenderer: IpcRendererImpl | undefined
  #syncSeq = 0
  #invokeSeq = 0
  #referenced = true

  constructor(setup: WorkerSetup, parent: MessagePort) {
    this.#setup = setup
    this.#durable = new Set(setup.durable)
    // This side makes the channels and sends main its ends, so nothing at import waits for main.
    const requests = new MessageChannel()
    const sync = new MessageChannel()
    const shared = new SharedArrayBuffer(SYNC_SLOTS * Int32Array.BYTES_PER_ELEMENT)
    const connect: ConnectMessage = { [CONNECT_MARK]: true, port: requests.port2, syncPort: sync.port2, shared }
    this.#port = requests.port1
    this.#syncPort = sync.port1
    this.#sync = new Int32Array(shared)
    this.#direct = setup.file === undefined ? undefined : new DirectSends(setup.file, setup.id, this.#sync, (message) => this.post(message))
    this.#port.on('message', (message: ToWorker) => this.#receive(message))
    // Durable channels already: the file opens before the script goes on (renderer.ts awaits it),
    // and main is connected only then, so nothing it sends arrives before the script's listeners.
    // None yet: it opens when the first is declared, and sends are round trips until then.
    if (this.#durable.size > 0 && this.#direct) {
      this.ready = this.#direct.open().then(() => parent.postMessage(connect, [requests.port2, sync.port2]))
    } else {
      parent.postMessage(connect, [requests.port2, sync.port2])
      this.ready = Promise.resolve()
    }
    this.#updateRef()
  }

  attach(ipcRenderer: IpcRendererImpl): void {
    this.#ipcRenderer = ipcRenderer
  }

  send(channel: string, args: readonly unknown[]): void {
    // A channel declared durable on main a moment ago may not be known here yet (the news is on its
    // way on #port): such a send goes the transient way below, and main, which knows the channel is
    // durable, stores it on receipt. It is then stored after send returned, and a store error goes to
    // the broker's 'error' event instead of being thrown here: the price of not asking main each time.
    if (this.#durable.has(channel)) return this.#sendDurable(channel, args)
    postChecked(this.#port, [ToMainKind.send, channel, ...args] satisfies ToMain, args, 'args')
  }

  sendSync(channel: string, args: readonly unknown[]): unknown {
    const status = this.#roundTrip(ToMainKind.sync, channel, args)
    switch (status) {
      case SyncStatus.ok:
        return this.#takeAnswer()
      case SyncStatus.noListener:
        throw new SyncReplyError('ERR_IPC_NO_SYNC_LISTENER', `No listener for synchronous message on channel '${channel}'`)
      case SyncStatus.notAllowed:
        throw new ChannelNotAllowedError(channel, this.#setup.id)
      case SyncStatus.clone: {
        const [path, message] = this.#takeAnswer() as SyncCloneFailure
        throw rebuildCloneError(path, message)
      }
      case TIMED_OUT:
        throw new SyncReplyError('ERR_IPC_SYNC_TIMEOUT', `No listener of channel '${channel}' assigned event.returnValue within ${this.#setup.syncTimeoutMs} ms (syncTimeoutMs)`)
      default:
        throw unexpected(status)
    }
  }

  // The durable contract holds in a worker too: the message is in SQLite when send returns, and a
  // store error (QueueFullError, MessageTooLargeError, StoreError) is thrown here, at the call. On a
  // broker's own file this thread stores it itself (directSends.ts); otherwise (the application's
  // handle, PostgreSQL) it is a blocking round trip, as sendSync is, answered once main stored it.
  #sendDurable(channel: string, args: readonly unknown[]): void {
    if (this.#direct?.send(channel, args)) return
    const status = this.#roundTrip(ToMainKind.durableSend, channel, args)
    switch (status) {
      case SyncStatus.stored:
        return
      case SyncStatus.failed:
        throw fromWireError(this.#takeAnswer() as WireError)
      case SyncStatus.notAllowed:
        throw new ChannelNotAllowedError(channel, this.#setup.id)
      case TIMED_OUT:
        // Main claims a request before storing it, so one this thread took back is never stored.
        throw new SyncReplyError('ERR_IPC_SYNC_TIMEOUT', `The main side did not store the message on durable channel '${channel}' within ${this.#setup.syncTimeoutMs} ms (syncTimeoutMs); it was not stored`)
      default:
        throw unexpected(status)
    }
  }

  // Posts a request main answers on the sync port and blocks this thread until it did (or until
  // syncTimeoutMs, then returns TIMED_OUT). The handshake is described in protocol.ts.
  #roundTrip(kind: typeof ToMainKind.sync | typeof ToMainKind.durableSend, channel: string, args: readonly unknown[]): SyncStatus | typeof TIMED_OUT {
    const seq = (this.#syncSeq = this.#syncSeq >= 0x7fffffff ? 1 : this.#syncSeq + 1)
    const sync = this.#sync
    // Waiting for `seq` before main can see the request, so main can always claim its answer.
    Atomics.store(sync, SYNC_STATE, seq)
    try {
      // Same port as send and invoke: whatever this renderer sent before reaches main before this.
      postChecked(this.#port, [kind, seq, channel, ...args] satisfies ToMain, args, 'args')
    } catch (error) {
      Atomics.store(sync, SYNC_STATE, 0)
      throw error
    }
    const timeoutMs = this.#setup.syncTimeoutMs
    let deadline = -1
    for (let state = Atomics.load(sync, SYNC_STATE); state !== 0; state = Atomics.load(sync, SYNC_STATE)) {
      if (state !== seq) {
        // -seq: main claimed the answer and is posting it; it is moments away.
        Atomics.wait(sync, SYNC_STATE, state)
        continue
      }
      const now = performance.now()
      if (deadline < 0) deadline = now + timeoutMs
      else if (now >= deadline && Atomics.compareExchange(sync, SYNC_STATE, seq, 0) === seq) return TIMED_OUT
      Atomics.wait(sync, SYNC_STATE, seq, Math.max(0, deadline - now))
    }
    return Atomics.load(sync, SYNC_STATUS) as SyncStatus
  }

  invoke(channel: string, args: readonly unknown[]): Promise<unknown> {
    const id = ++this.#invokeSeq
    postChecked(this.#port, [ToMainKind.invoke, id, channel, ...args] satisfies ToMain, args, 'args')
    return new Promise<unknown>((resolve, reject) => {
      const pending: PendingInvoke = { channel, resolve, reject, cancelTimeout: () => {} }
      pending.cancelTimeout = startInvokeTimeout(channel, this.#setup.invokeTimeoutMs, (error) => {
        this.#invokes.delete(id)
        this.#updateRef()
        reject(error)
      })
      this.#invokes.set(id, pending)
      if (this.#invokes.size === 1) this.#updateRef()
    })
  }

  /** Posts a message without arguments to check (listener errors, acknowledgements). */
  post(message: ToMain): void {
    this.#port.postMessage(message)
  }

  /** Tells main when this renderer starts or stops listening to `channel` (durable inboxes wait for it). */
  listenersChanged(channel: string): void {
    const on = (this.#ipcRenderer?.listenerCount(channel) ?? 0) > 0
    if (on === this.#listening.has(channel)) return
    if (on) this.#listening.add(channel)
    else this.#listening.delete(channel)
    this.post([ToMainKind.listen, channel, on])
    this.#updateRef()
  }

  #takeAnswer(): unknown {
    const received = receiveMessageOnPort(this.#syncPort)
    if (received === undefined) throw new SyncReplyError('ERR_IPC_SYNC_ABORTED', 'The main side signalled a sync answer that never arrived')
    return received.message
  }

  #receive(message: ToWorker): void {
    if (message[0] === ToWorkerKind.durableChannels) {
      for (const channel of message[1]) this.#durable.add(channel)
      void this.#direct?.open()
      return
    }
    const ipcRenderer = this.#ipcRenderer
    if (!ipcRenderer) return
    switch (message[0]) {
      case ToWorkerKind.message:
        ipcRenderer.dispatch(message[1], message.slice(2))
        return
      case ToWorkerKind.durable:
        this.#deliverDurable(ipcRenderer, message[1], message[4], message.slice(5))
        return
      default: {
        const pending = this.#invokes.get(message[1])
        // Gone: it timed out already, and its answer is dropped.
        if (!pending) return
        this.#invokes.delete(message[1])
        pending.cancelTimeout()
        if (this.#invokes.size === 0) this.#updateRef()
        if (message[0] === ToWorkerKind.resolved) pending.resolve(message[2])
        else if (message[0] === ToWorkerKind.failed) pending.reject(invokeRejection(pending.channel, message[2]))
        else pending.reject(fromWireError(message[2]))
      }
    }
  }

  #deliverDurable(ipcRenderer: IpcRendererImpl, id: number, channel: string, args: unknown[]): void {
    // Main sends only to a listening renderer, but the last listener may have gone in between:
    // hand the message back rather than acknowledge what nobody saw.
    if (ipcRenderer.listenerCount(channel) === 0) {
      const error = new DurableIpcError('ERR_IPC_NOT_LISTENING', `Renderer '${this.#setup.id}' has no listener of channel '${channel}'`)
      this.post([ToMainKind.done, id, toWireError(error), true])
      return
    }
    ipcRenderer.deliverDurable(channel, args).then(
      () => this.post([ToMainKind.done, id, undefined, false]),
      (error: unknown) => this.post([ToMainKind.done, id, toWireError(error), false]),
    )
  }

  // The port keeps the thread alive only while something can still arrive for it: a listener
  // waiting, or an invoke awaiting its result. A script that only sends may end on its own.
  #updateRef(): void {
    const wanted = this.#listening.size > 0 || this.#invokes.size > 0
    if (wanted === this.#referenced) return
    this.#referenced = wanted
    if (wanted) this.#port.ref()
    else this.#port.unref()
  }
}

/** What #roundTrip returns when the worker gave up waiting (syncTimeoutMs). */
const TIMED_OUT = -1

function unexpected(status: number): SyncReplyError {
  return new SyncReplyError('ERR_IPC_SYNC_ABORTED', `The main side answered with an unexpected status (${status})`)
}

// The main side found the return value uncloneable: the same CloneError an in-process sendSync throws.
function rebuildCloneError(path: string, message: string): CloneError {
  const prefix = 'An object could not be cloned. '
  const suffix = ` at ${path}`
  const detail = message.startsWith(prefix) && message.endsWith(suffix) ? message.slice(prefix.length, message.length - suffix.length) : message
  return new CloneError(path, detail)
}

const notARenderer: RendererTransport = {
  send: () => failNotARenderer(),
  sendSync: () => failNotARenderer(),
  invoke: () => failNotARenderer(),
}

function failNotARenderer(): never {
  throw new DurableIpcError('ERR_IPC_NOT_A_RENDERER', "durable-ipc/renderer works only inside a worker started by broker.spawnRenderer()")
}
