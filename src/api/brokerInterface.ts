// The broker as its users see it: the public interface that BrokerImpl (broker.ts) implements.
// Kept apart from the implementation so that each capability's methods (messaging, durable
// channels, the job control plane, schedules) read as one list, with their contracts.
import type { EventEmitter } from 'node:events'
import type { BrokerStats } from '../protocol/stats.js'
import type { ChannelHandle } from './channelHandle.js'
import type { DurableChannelOptions } from './channelOptions.js'
import type { EnqueueOptions, EnqueueResult } from './enqueueOptions.js'
import type { WorkerRenderer } from '../ipc/worker/mainSide.js'
import type { EnqueueManyItem, EnqueueManyOptions } from './jobOptions.js'
import type { ArgsOf, ChannelMap, ChannelName, IpcMain, JobInfo, JobResult, JobsOptions, Renderer, RendererOptions, SpawnRendererOptions, UntypedChannels, WaitForJobOptions, WebContentsModule } from '../types.js'
import type { ScheduleInfo, ScheduleOptions } from '../types.js'

/**
 * The broker: one main side and its renderers.
 *
 * @example
 * const broker = createBroker()
 * broker.ipcMain.on('ping', (event) => event.reply('pong'))
 * const win = broker.createRenderer({ id: 'window-1' })
 * win.ipcRenderer.send('ping')
 */
export interface Broker<C extends ChannelMap = UntypedChannels> extends EventEmitter {
  readonly ipcMain: IpcMain<C>
  /**
   * Addresses renderers by id, also those open in another process or on another node (see
   * WebContentsModule.fromId).
   *
   * @example
   * broker.webContents.fromId('window-1').send('notice', { text: 'hi' })
   */
  readonly webContents: WebContentsModule<C>
  /** Creates an in-process renderer endpoint. */
  createRenderer(options?: RendererOptions): Renderer<C>
  /**
   * Starts a worker-thread renderer running `script`, which imports `ipcRenderer` from
   * 'durable-ipc/renderer'. `workerData` reaches the worker unchanged.
   */
  spawnRenderer(script: string | URL, options?: SpawnRendererOptions): WorkerRenderer<C>
  /**
   * Declares a durable channel (or updates its options), persisted in the database; without
   * options, returns the handle of a channel declared before (in this run or an earlier one).
   */
  channel(name: ChannelName<C>, options?: DurableChannelOptions): ChannelHandle
  /**
   * Stores a message on a durable channel from the main side; it is stored when this returns.
   * `joinTransaction: true` stores it in a transaction the application holds open by hand on a shared
   * `database` (it commits or rolls back with it); without it such an enqueue throws TransactionOpenError.
   */
  enqueue<K extends ChannelName<C>>(channel: K, args: ArgsOf<C, K>, options?: EnqueueOptions): EnqueueResult
  /**
   * The stored outcome of a durable invoke (a job), by its message id; undefined when there is none
   * (not settled yet, never a job, or older than `jobResultRetentionMs`). `T` types the handler's
   * value as the caller knows it (unknown by default); nothing checks it at run time.
   *
   * @example
   * const outcome = broker.jobResult<number>(id)
   * if (outcome?.ok) outcome.value // number
   */
  jobResult<T = unknown>(id: number): JobResult<T> | undefined

  // The job control plane (DESIGN.md "Jobs: the control plane"): every call holds across the
  // processes that open the same file, and survives restarts.

  /**
   * Stores many jobs on a durable channel in one transaction: all or none (a bad item throws its
   * typed error, naming it, and nothing is stored). Results in input order. The fastest way in.
   *
   * @example
   * broker.enqueueMany('resize', [{ args: [a] }, { args: [b], priority: 5, key: 'b' }])
   */
  enqueueMany<K extends ChannelName<C>>(channel: K, items: ReadonlyArray<EnqueueManyItem<ArgsOf<C, K>>>, options?: EnqueueManyOptions): EnqueueResult[]
  /**
   * Job `id` wherever it is (see JobInfo and JobState); undefined when nothing is left of it (an
   * acknowledged listener message, or an outcome older than `jobResultRetentionMs`).
   *
   * @example
   * broker.job(id)?.state // 'waiting'
   */
  job(id: number): JobInfo | undefined
  /**
   * A channel's jobs in id order, `limit` (default 100) at a time after `afterId`: pass the last
   * id of a page to get the next.
   *
   * @example
   * const page = broker.jobs('resize', { state: 'dead', limit: 50 })
   * const next = broker.jobs('resize', { state: 'dead', limit: 50, afterId: page.at(-1)?.id })
   */
  jobs(channel: ChannelName<C>, options?: JobsOptions): JobInfo[]
  /**
   * Settles when job `id` ends, whichever process runs it, also after this process restarted:
   * with a handler job's value (undefined for a listener message, once acknowledged); rejects with
   * a handler job's failure (as jobResult reads it), JobCancelledError for a cancelled job,
   * JobFailedError for a dead listener message, or InvokeTimeoutError past `timeoutMs` (the job
   * goes on). Throws InvalidArgumentError for an id no message ever had.
   *
   * @example
   * const { id } = broker.enqueue('resize', [img])
   * const thumbnail = await broker.waitForJob(id, { timeoutMs: 60_000 })
   */
  waitForJob<T = unknown>(id: number, options?: WaitForJobOptions): Promise<T>
  /**
   * Cancels job `id` (a message id: `enqueue`'s, or an invoke's) if it is delayed, waiting or
   * active, from any process on the store: it is never (again) delivered nor retried, its running
   * delivery's `event.signal` is aborted with JobCancelledError (within about a second in another
   * process, at once in this one), and its invoke caller and waitForJob reject with
   * JobCancelledError. Its outcome is kept as 'cancelled'. False for a job that is dead,
   * completed, cancelled already, or unknown: then nothing changes.
   *
   * @example
   * const { id } = broker.enqueue('resize', [img])
   * broker.cancel(id) // true
   */
  cancel(id: number): boolean
  /**
   * Per durable channel: ready, delayed, in flight, dead, oldest waiting age, and what this broker
   * delivered and failed since it opened. Per renderer: its durable inbox's depth. Per transient
   * channel with main-side receivers: their number. Index-backed counts, cheap enough to poll.
   */
  stats(): BrokerStats

  // --- Schedules (api/schedules.ts) ---
  /**
   * Creates or updates the persisted schedule `name`, and returns it: every slot (a match of
   * `cron` in zone `tz`, default UTC; or every `everyMs` ms) enqueues `args` on the durable
   * `channel` at `priority`. Each slot fires exactly once across every process that opens the file
   * (the enqueue and the move to the next slot commit together); after downtime a schedule fires
   * once for all the slots it missed, then continues on time. Calling it again with the same
   * definition keeps its next slot (so every process may call it on start-up); a changed
   * definition takes its first slot from now. Throws, storing nothing: InvalidArgumentError for bad
   * options (a bad cron expression or zone too), UnknownChannelError for an undeclared channel,
   * CloneError for arguments that cannot be cloned.
   *
   * @example
   * broker.channel('report', { durable: true })
   * broker.schedule('nightly', { cron: '0 3 * * *', tz: 'Europe/Berlin', channel: 'report', args: [{ kind: 'daily' }] })
   * broker.schedule('heartbeat', { everyMs: 30_000, channel: 'report', args: ['ping'], priority: 5 })
   */
  schedule<K extends ChannelName<C>>(name: string, options: ScheduleOptions<K, ArgsOf<C, K>>): ScheduleInfo
  /**
   * Every persisted schedule, by name, with its next slot and last run (as any process fired it).
   *
   * @example
   * for (const s of broker.schedules()) console.log(s.name, s.nextRunAt.toISOString())
   */
  schedules(): ScheduleInfo[]
  /**
   * Deletes schedule `name`; true when it existed. Messages it already enqueued stay.
   *
   * @example
   * broker.unschedule('nightly') // true
   */
  unschedule(name: string): boolean

  /** Stops delivering, waits for deliveries in flight (up to closeTimeoutMs), closes renderers and the database. */
  close(): Promise<void>
}

export type { BrokerStats } from '../protocol/stats.js'
