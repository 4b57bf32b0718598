// durable-ipc's public API, and nothing else.
export { createBroker } from './api/broker.js'
export type { Broker, FullBrokerOptions as CreateBrokerOptions } from './api/broker.js'
export type {
  ArgsOf,
  BrokerOptions,
  ChannelMap,
  ChannelName,
  ChannelSpec,
  IpcMain,
  IpcMainEvent,
  IpcMainHandler,
  IpcMainInvokeEvent,
  IpcMainListener,
  IpcRenderer,
  IpcRendererEvent,
  IpcRendererListener,
  Renderer,
  RendererOptions,
  ResultOf,
  UntypedChannels,
  WebContents,
} from './api/types.js'
export {
  BrokerClosedError,
  ChannelNotAllowedError,
  CloneError,
  ContextReleasedError,
  DurableIpcError,
  DurableIpcTypeError,
  InvalidArgumentError,
  InvalidChannelError,
  InvokeTimeoutError,
  MessageTooLargeError,
  QueueFullError,
  StoreError,
  SyncReplyError,
  UnknownChannelError,
} from './errors.js'
