// durable-ipc/renderer: what code running in a worker started by `broker.spawnRenderer()` imports.
import type { ChannelMap, IpcRenderer } from './types.js'
import { connectWorkerRenderer } from './ipc/worker/workerSide.js'

/**
 * This worker's ipcRenderer, connected to the main side at import: send, sendSync (which really
 * blocks this thread until a main-side listener assigns `event.returnValue`), invoke, and
 * EventEmitter's listener methods. A `send` on a durable channel returns once the message is stored
 * (on a broker's own file this thread stores it itself; on a broker sharing the application's
 * database, main does, after any transaction the application holds open there ended), and throws
 * the store's error (QueueFullError, MessageTooLargeError, StoreError) at the call. Outside a spawned renderer every call fails with `ERR_IPC_NOT_A_RENDERER`.
 *
 * @example
 * import { ipcRenderer } from 'durable-ipc/renderer'
 * ipcRenderer.on('asynchronous-reply', (event, arg) => console.log(arg)) // 'pong'
 * ipcRenderer.send('asynchronous-message', 'ping')
 * console.log(ipcRenderer.sendSync('synchronous-message', 'ping')) // 'pong'
 */
const connected = connectWorkerRenderer()
export const ipcRenderer: IpcRenderer = connected.ipcRenderer
// On a broker with a file, a worker stores its durable sends itself: its connection opens before
// the script that imports this goes on (ipc/worker/directSends.ts).
await connected.ready

/**
 * This worker's ipcRenderer (the same object as `ipcRenderer`), typed by the channel map the main
 * side gave `createBroker<Channels>()`: send, sendSync and invoke are checked, their results and
 * listener arguments typed. Nothing checks at run time that the two sides use the same map: share
 * one `Channels` type between the broker's module and the worker's script.
 *
 * @example
 * import { typedIpcRenderer } from 'durable-ipc/renderer'
 * import type { Channels } from './channels.js' // the map createBroker<Channels>() was given
 * const ipcRenderer = typedIpcRenderer<Channels>()
 * const sum = await ipcRenderer.invoke('add', 1, 2) // number; invoke('add', 'x') does not compile
 */
export function typedIpcRenderer<C extends ChannelMap>(): IpcRenderer<C> {
  // One object serves every map: a map is the application's word for what its channels carry.
  return ipcRenderer as IpcRenderer<C>
}

export type { ArgsOf, ChannelMap, ChannelName, ChannelSpec, IpcRenderer, IpcRendererEvent, IpcRendererListener, ResultOf, UntypedChannels } from './types.js'
export {
  ChannelNotAllowedError,
  CloneError,
  ContextReleasedError,
  DurableIpcError,
  DurableIpcTypeError,
  InvalidChannelError,
  InvokeTimeoutError,
  MessageTooLargeError,
  NoHandlerError,
  QueueFullError,
  StoreError,
  SyncReplyError,
} from './errors.js'
