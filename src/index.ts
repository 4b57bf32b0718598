// durable-ipc's public API, and nothing else.
export { createBroker } from './api/broker.js'
export type { Broker } from './api/broker.js'
export type { BrokerOptions, CreateBrokerOptions } from './api/brokerOptions.js'
export type { BrokerStats, OutboxStats, DurableChannelStats, RendererInboxStats, TransientChannelStats } from './protocol/stats.js'
export type { ChannelStats } from './protocol/stats.js'
export { diagnosticChannels } from './api/diagnostics.js'
export type { DeliveryDiagnostic, FailureDiagnostic, PublishDiagnostic } from './api/diagnostics.js'
export type { WorkerRenderer } from './ipc/worker/mainSide.js'
export type { SpawnRendererOptions } from './types.js'
export type {
  ArgsOf,
  ChannelMap,
  ChannelName,
  ChannelSpec,
  DurableEventControl,
  IpcMain,
  IpcMainEvent,
  IpcMainHandler,
  IpcMainInvokeEvent,
  IpcMainListener,
  IpcRenderer,
  IpcRendererEvent,
  IpcRendererListener,
  JobInfo,
  JobResult,
  JobsOptions,
  JobState,
  Renderer,
  RendererOptions,
  ResultOf,
  ScheduleInfo,
  ScheduleOptions,
  UntypedChannels,
  WaitForJobOptions,
  WebContents,
  WebContentsModule,
} from './types.js'
export type { EnqueueManyItem, EnqueueManyOptions } from './api/jobOptions.js'
export type { EnqueueOptions, EnqueueResult } from './api/enqueueOptions.js'
export type { DurableChannelOptions } from './api/channelOptions.js'
export type { ChannelHandle } from './api/channelHandle.js'
export {
  BrokerClosedError,
  ChannelNotAllowedError,
  CloneError,
  ContextReleasedError,
  DurableIpcError,
  DurableIpcTypeError,
  HandlerExistsError,
  InvalidArgumentError,
  InvalidChannelError,
  InvokeTimeoutError,
  JobCancelledError,
  JobFailedError,
  JobTimeoutError,
  MessageTooLargeError,
  NoHandlerError,
  ProgressTooLargeError,
  QueueFullError,
  StoreError,
  SyncReplyError,
  TransactionOpenError,
  UnknownChannelError,
} from './errors.js'
