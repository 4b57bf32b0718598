// The public interfaces of durable-ipc, declared before they are implemented. Names follow
// Electron's (IpcMain, IpcMainEvent, IpcRenderer, WebContents) so that code moves across unchanged.
import type { EventEmitter } from 'node:events'

/** One channel of a typed channel map: its argument tuple and, for invoke, its result. */
export interface ChannelSpec {
  args: readonly unknown[]
  result?: unknown
}

/**
 * A map from channel name to its spec, given to `createBroker<Channels>()` to check every call.
 *
 * @example
 * type Channels = { add: { args: [a: number, b: number]; result: number }; log: { args: [string] } }
 * const broker = createBroker<Channels>()
 * await win.ipcRenderer.invoke('add', 1, 2) // number
 */
export type ChannelMap = { [channel: string]: ChannelSpec }

/**
 * The map an untyped broker uses: any channel, any arguments. `any` is deliberate here, as in
 * Electron's own typings: untyped listeners such as `(event, n: number) => {}` must be accepted.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type UntypedChannels = { [channel: string]: { args: any[]; result: any } }

export type ChannelName<C extends ChannelMap> = keyof C & string
export type ArgsOf<C extends ChannelMap, K extends keyof C> = C[K] extends { args: infer A extends readonly unknown[] } ? A : unknown[]
export type ResultOf<C extends ChannelMap, K extends keyof C> = C[K] extends { result: infer R } ? R : unknown

/**
 * The event a main-side listener gets for `send` and `sendSync`. In a typed broker, `reply` and
 * `sender.send` are checked against the same channel map as every other call.
 *
 * @example
 * const broker = createBroker<{ ping: { args: [] }; pong: { args: [n: number] } }>()
 * broker.ipcMain.on('ping', (event) => event.reply('pong', 1)) // event.reply('pong', 'x') does not compile
 */
export interface IpcMainEvent<C extends ChannelMap = UntypedChannels> extends DurableEventControl {
  /** Set it to answer a `sendSync`; the first assignment wins. Reading it gives undefined. */
  returnValue: unknown
  /** The renderer that sent the message. */
  sender: WebContents<C>
  /** Sends to the renderer that sent the message (same as `sender.send`). */
  reply<K extends ChannelName<C>>(channel: K, ...args: ArgsOf<C, K>): void
  processId: number
  frameId: number
  ports: readonly unknown[]
  /** For durable channels: which delivery attempt this is, 1 for the first. Transient: 1. */
  attempt: number
  /** For durable channels: the stored message id. */
  messageId?: number
}

/** The event a handler gets for `invoke`; in a typed broker, `sender.send` is checked by the channel map. */
export interface IpcMainInvokeEvent<C extends ChannelMap = UntypedChannels> extends DurableEventControl {
  sender: WebContents<C>
  processId: number
  frameId: number
  ports: readonly unknown[]
  attempt: number
  messageId?: number
}

/**
 * What a main-side event offers about the job it delivers, on a durable channel: listeners
 * (`IpcMainEvent`) and handlers (`IpcMainInvokeEvent`) alike. On a transient channel there is no
 * job: `signal` never aborts and `progress` does nothing, so one function can serve both kinds of
 * channel. A renderer's durable inbox delivery (`webContents.send` on a durable channel) has
 * neither: its listeners get an IpcRendererEvent.
 *
 * @example
 * ipcMain.handle('resize', async (event, img) => {
 *   event.progress({ done: 0.5 })
 *   return await resize(img, { signal: event.signal })
 * })
 */
export interface DurableEventControl {
  /**
   * Aborted when the delivery is given up: with a `JobCancelledError` (`broker.cancel(id)` from any
   * process; the job is not retried), a `JobTimeoutError` (the channel's `timeoutMs` ran out; the
   * attempt failed and is retried), or a `BrokerClosedError` (`close()` stopped waiting for it).
   * Whatever the listener answers after that is ignored. Made on first read: it costs nothing
   * unless used.
   */
  readonly signal: AbortSignal
  /**
   * Reports the job's progress: any structured-cloneable value, serialized at this call (so an
   * uncloneable one throws `CloneError` here, one over 64 KiB `ProgressTooLargeError`). The latest
   * value is stored within about 100 ms (many calls cost one write), readable by any process
   * while the job runs; it is not kept after the job ends.
   */
  progress(value: unknown): void
}

/** The event a renderer-side listener gets. */
export interface IpcRendererEvent<C extends ChannelMap = UntypedChannels> {
  sender: IpcRenderer<C>
  ports: readonly unknown[]
}

export type IpcMainListener<A extends readonly unknown[], C extends ChannelMap = UntypedChannels> = (event: IpcMainEvent<C>, ...args: A) => unknown
export type IpcMainHandler<A extends readonly unknown[], R, C extends ChannelMap = UntypedChannels> = (event: IpcMainInvokeEvent<C>, ...args: A) => R | Promise<R>
export type IpcRendererListener<C extends ChannelMap, A extends readonly unknown[]> = (event: IpcRendererEvent<C>, ...args: A) => unknown

/** The main side. An EventEmitter whose event names are channels, plus invoke handlers. */
export interface IpcMain<C extends ChannelMap = UntypedChannels> extends EventEmitter {
  on<K extends ChannelName<C>>(channel: K, listener: IpcMainListener<ArgsOf<C, K>, C>): this
  addListener<K extends ChannelName<C>>(channel: K, listener: IpcMainListener<ArgsOf<C, K>, C>): this
  once<K extends ChannelName<C>>(channel: K, listener: IpcMainListener<ArgsOf<C, K>, C>): this
  prependListener<K extends ChannelName<C>>(channel: K, listener: IpcMainListener<ArgsOf<C, K>, C>): this
  prependOnceListener<K extends ChannelName<C>>(channel: K, listener: IpcMainListener<ArgsOf<C, K>, C>): this
  off<K extends ChannelName<C>>(channel: K, listener: IpcMainListener<ArgsOf<C, K>, C>): this
  removeListener<K extends ChannelName<C>>(channel: K, listener: IpcMainListener<ArgsOf<C, K>, C>): this
  /** Registers the one handler of `channel` for `invoke`. */
  handle<K extends ChannelName<C>>(channel: K, handler: IpcMainHandler<ArgsOf<C, K>, ResultOf<C, K>, C>): void
  /** Like handle, removed before its first call. */
  handleOnce<K extends ChannelName<C>>(channel: K, handler: IpcMainHandler<ArgsOf<C, K>, ResultOf<C, K>, C>): void
  removeHandler(channel: ChannelName<C>): void
}

/** A renderer's side of IPC, as in Electron. */
export interface IpcRenderer<C extends ChannelMap = UntypedChannels> extends EventEmitter {
  send<K extends ChannelName<C>>(channel: K, ...args: ArgsOf<C, K>): void
  sendSync<K extends ChannelName<C>>(channel: K, ...args: ArgsOf<C, K>): ResultOf<C, K>
  invoke<K extends ChannelName<C>>(channel: K, ...args: ArgsOf<C, K>): Promise<ResultOf<C, K>>
  on<K extends ChannelName<C>>(channel: K, listener: IpcRendererListener<C, ArgsOf<C, K>>): this
  addListener<K extends ChannelName<C>>(channel: K, listener: IpcRendererListener<C, ArgsOf<C, K>>): this
  once<K extends ChannelName<C>>(channel: K, listener: IpcRendererListener<C, ArgsOf<C, K>>): this
  prependListener<K extends ChannelName<C>>(channel: K, listener: IpcRendererListener<C, ArgsOf<C, K>>): this
  prependOnceListener<K extends ChannelName<C>>(channel: K, listener: IpcRendererListener<C, ArgsOf<C, K>>): this
  off<K extends ChannelName<C>>(channel: K, listener: IpcRendererListener<C, ArgsOf<C, K>>): this
  removeListener<K extends ChannelName<C>>(channel: K, listener: IpcRendererListener<C, ArgsOf<C, K>>): this
}

/**
 * The stored outcome of a job (a durable `invoke`, or `enqueue` on a handler channel): the
 * handler's value, or the error it failed with. `T` is the value's type as the caller knows it;
 * nothing checks it at run time.
 *
 * @example
 * const outcome = broker.jobResult<number>(id)
 * if (outcome?.ok) console.log(outcome.value + 1)
 * else if (outcome) console.error(outcome.error)
 */
export type JobResult<T = unknown> = { ok: true; value: T } | { ok: false; error: Error }

/**
 * Where a job is. While stored: `delayed` (its time has not come), `waiting` (ready), `active` (a
 * consumer holds it). Then: `dead` (it used up its attempts: a dead letter, or a handler job's
 * failure), `completed` (a handler job's value), `cancelled` (broker.cancel). An acknowledged
 * listener message leaves nothing: broker.job() returns undefined.
 */
export type JobState = 'delayed' | 'waiting' | 'active' | 'dead' | 'completed' | 'cancelled'

/**
 * One job as `broker.job(id)` and `broker.jobs(channel)` read it, from any process.
 *
 * @example
 * const info = broker.job(id)
 * if (info?.state === 'active') console.log(info.progress, info.attempts)
 */
export interface JobInfo {
  id: number
  channel: string
  /** `main`, or `renderer:<id>` for a renderer's durable inbox. */
  subscription: string
  state: JobState
  /** Attempts that started (the one running now included). */
  attempts: number
  priority: number
  /** The latest `event.progress()` value while it runs (kept while it is stored); null when none. */
  progress: unknown
  createdAt: Date
  /** When it may run (delayed, waiting), its place in line (active), or when it ended. */
  runAt: Date
  /** The last failed attempt's error (message and stack), null when none. */
  lastError: string | null
}

/** Which jobs `broker.jobs(channel, options)` lists. */
export interface JobsOptions {
  /** Only jobs in this state. Default: every state. */
  state?: JobState
  /** At most this many (1 to 10,000). Default 100. */
  limit?: number
  /** Only ids above this one: pass the last id of the previous page (undefined: from the start). Default 0. */
  afterId?: number | undefined
}

/** Options of `broker.waitForJob(id, options)`. */
export interface WaitForJobOptions {
  /** Rejects with InvokeTimeoutError after this many ms (the job goes on). Default: no limit. */
  timeoutMs?: number
}

/** The main side's handle on one renderer. */
export interface WebContents<C extends ChannelMap = UntypedChannels> {
  readonly id: string
  /** Sends to this renderer's `ipcRenderer` listeners; a no-op once the renderer is closed. */
  send<K extends ChannelName<C>>(channel: K, ...args: ArgsOf<C, K>): void
  isDestroyed(): boolean
}

/**
 * `broker.webContents`: Electron's `webContents` module, as far as it applies here.
 *
 * @example
 * const { webContents } = broker
 * webContents.fromId('window-1').send('notice', { text: 'hi' })
 */
export interface WebContentsModule<C extends ChannelMap = UntypedChannels> {
  /**
   * The renderer with id `id`: its own webContents when it is open in this broker, else a stand-in
   * (`isDestroyed()` true while it is not open here) whose sends on durable channels go into the
   * id's durable inbox. The inbox is delivered to the renderer with that id wherever it opens: in
   * this broker, in another process on the file, or (with `postgres`) on any node; until then it
   * waits. Sends on transient channels reach only a renderer open here. Unlike Electron's (whose
   * ids are numbers of live pages), never undefined: a renderer id is an address that outlives the
   * renderer. Throws InvalidArgumentError for an id that is not a non-empty string.
   */
  fromId(id: string): WebContents<C>
}

export interface RendererOptions {
  /** The renderer's identity, generated when omitted. A durable inbox belongs to an id. */
  id?: string
  /** Channels this renderer may send, sendSync and invoke on; all when omitted. */
  allow?: readonly string[]
}

/** An in-process renderer endpoint. */
export interface Renderer<C extends ChannelMap = UntypedChannels> {
  readonly id: string
  readonly ipcRenderer: IpcRenderer<C>
  readonly webContents: WebContents<C>
  /** Releases the renderer: its ipcRenderer methods throw from now on. */
  close(): void
}


/**
 * Options of `broker.spawnRenderer()`.
 *
 * @example
 * broker.spawnRenderer(new URL('./renderer.js', import.meta.url), { id: 'window-2', workerData: { theme: 'dark' }, allow: ['save'] })
 */
export interface SpawnRendererOptions {
  /** The renderer's identity, generated when omitted. A later renderer with the same id inherits its durable inbox. */
  id?: string
  /** Handed to the worker unchanged, as `require('node:worker_threads').workerData`. */
  workerData?: unknown
  /** Channels the worker may send, sendSync and invoke on; all when omitted. */
  allow?: readonly string[]
}

// --- Schedules: broker.schedule(), broker.schedules(), broker.unschedule() ---

/**
 * What `broker.schedule(name, options)` stores: when (exactly one of `cron` and `everyMs`) and
 * what each slot enqueues (`args` on the durable `channel`, at `priority`). In a typed broker,
 * `args` is checked against the channel map as enqueue's are.
 *
 * @example
 * broker.schedule('nightly', { cron: '0 3 * * *', tz: 'Europe/Berlin', channel: 'report', args: [{ kind: 'daily' }] })
 * broker.schedule('heartbeat', { everyMs: 30_000, channel: 'health', args: [] })
 */
export interface ScheduleOptions<K extends string = string, A extends readonly unknown[] = readonly unknown[]> {
  /**
   * A cron expression: 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds
   * first; nicknames such as `@daily` too. Parsed by croner; its slots fall in zone `tz`.
   */
  cron?: string
  /** A fixed interval in ms (a safe integer >= 1): the first slot is this long after the call. */
  everyMs?: number
  /**
   * Only with `cron`: the IANA time zone its times are in, e.g. 'Europe/Berlin'. Default: UTC.
   * Daylight saving is followed: a time the spring change skips fires at the first valid time
   * after it (`30 2 * * *` at 03:00 that day), a time the autumn change repeats fires once.
   */
  tz?: string
  /** The durable channel each slot enqueues to (declared with `broker.channel(name, { durable: true })`). */
  channel: K
  /** The arguments of each enqueued message, structured-cloneable, stored once at this call. */
  args: A
  /** The enqueued messages' priority: higher is claimed first. A safe integer; default 0. */
  priority?: number
}

/**
 * A persisted schedule, as `broker.schedules()` lists it. `cron`, `everyMs` and `tz` are null when
 * not used (`tz` is 'UTC' for a cron schedule given none).
 *
 * @example
 * broker.schedules() // [{ name: 'nightly', cron: '0 3 * * *', everyMs: null, tz: 'Europe/Berlin', channel: 'report', nextRunAt: Date, lastRunAt: null }]
 */
export interface ScheduleInfo {
  name: string
  cron: string | null
  everyMs: number | null
  tz: string | null
  channel: string
  /** The next slot: the schedule fires once the clock reaches it. */
  nextRunAt: Date
  /** When it last fired (by any process on the file); null before its first slot. */
  lastRunAt: Date | null
}
