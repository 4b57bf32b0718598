// The board's live side: one overview snapshot shared by every open page and /metrics, taken
// again when the store changed (its change token, the highest id, a broker's counts: a few
// look-ups every 250 ms while someone watches), and pushed to pages as Server-Sent Events, so that
// counts and lists update without a reload, also when another process writes the file.
//
// What an open board may cost the application is bounded here: a snapshot is taken at most once a
// second, and never sooner after the last one than 49 times as long as that one took, so reading
// spends at most 2% of the time however large the queues. With nobody watching it samples once a
// minute, for the delivery charts.
import type { ServerResponse } from 'node:http'
import { readOverview } from './overview.js'
import type { Overview } from './overview.js'
import type { BoardSource } from './source.js'
import { DeliveryHistory } from './throughput.js'

const POLL_MS = 250
const MIN_INTERVAL_MS = 1000
/** A snapshot is at most this old while someone watches (ages move on, delayed jobs fall due). */
const MAX_AGE_MS = 5000
const IDLE_SAMPLE_MS = 60_000
/** A page that asked within this long still counts as watching. */
const WATCH_MS = 10_000
const BUDGET = 49
const HEARTBEAT_MS = 15_000

/** The live board of one createBoard. */
export class LiveBoard {
  readonly #source: BoardSource
  readonly #history = new DeliveryHistory()
  readonly #clients = new Set<ServerResponse>()
  #overview: Overview | undefined
  #version = 0
  #fingerprint = ''
  #takenAt = 0
  #nextAllowed = 0
  #lastAsked = 0
  #dirty = true
  #closed = false
  readonly #poll: NodeJS.Timeout
  readonly #heartbeat: NodeJS.Timeout

  constructor(source: BoardSource) {
    this.#source = source
    this.#poll = setInterval(() => this.#tick(), POLL_MS)
    this.#heartbeat = setInterval(() => {
      for (const client of this.#clients) client.write(': keep-alive\n\n')
    }, HEARTBEAT_MS)
    // The board never keeps a process alive: the application (or the CLI's server) does.
    this.#poll.unref()
    this.#heartbeat.unref()
  }

  /** The number of the current snapshot: pages compare it to know when to fetch again. */
  get version(): number {
    return this.#version
  }

  /**
   * The current overview: taken now when there is none or the store changed and the budget
   * allows, otherwise the last one (at most a second or so old while someone watches).
   */
  overview(): Overview {
    this.#lastAsked = Date.now()
    if (this.#overview === undefined || (this.#stale() && Date.now() >= this.#nextAllowed)) this.#take()
    return this.#overview!
  }

  /** The board wrote (an action): the next look takes a new snapshot. */
  changed(purged?: { channel: string; count: number }): void {
    if (purged !== undefined) this.#history.removed(purged.channel, purged.count)
    this.#dirty = true
    this.#nextAllowed = 0
    setImmediate(() => this.#tick())
  }

  /** Streams snapshot versions to `res` (an EventSource) until it closes. */
  subscribe(res: ServerResponse): void {
    this.#clients.add(res)
    res.on('close', () => this.#clients.delete(res))
    res.write(`retry: 2000\nevent: version\ndata: ${this.#version}\n\n`)
  }

  close(): void {
    this.#closed = true
    clearInterval(this.#poll)
    clearInterval(this.#heartbeat)
    for (const client of this.#clients) client.end()
    this.#clients.clear()
  }

  #watching(): boolean {
    return this.#clients.size > 0 || Date.now() - this.#lastAsked < WATCH_MS
  }

  #stale(): boolean {
    if (this.#dirty || Date.now() - this.#takenAt >= MAX_AGE_MS) return true
    return this.#fingerprintNow() !== this.#fingerprint
  }

  #tick(): void {
    if (this.#closed || !this.#source.isOpen()) return
    const now = Date.now()
    if (now < this.#nextAllowed) return
    try {
      if (this.#watching() ? this.#stale() : now - this.#takenAt >= IDLE_SAMPLE_MS) this.#take()
    } catch {
      // A busy or closing store: the next tick tries again; a request reports the error itself.
    }
  }

  #take(): void {
    const started = performance.now()
    const fingerprint = this.#fingerprintNow()
    const now = Date.now()
    const { overview, held } = readOverview(this.#source.store, now)
    const counts = this.#source.counts()
    this.#history.sample(now, held, this.#source.store, counts)
    for (const channel of overview.channels) {
      channel.deliveries = this.#history.series(channel.name, now)
      overview.delivered[channel.name] = counts?.get(channel.name)?.delivered ?? this.#history.total(channel.name)
    }
    if (counts !== undefined) overview.failed = Object.fromEntries(overview.channels.map((c) => [c.name, counts.get(c.name)?.failed ?? 0]))
    overview.deliveriesEstimated = this.#history.estimated
    this.#overview = overview
    this.#fingerprint = fingerprint
    this.#takenAt = now
    this.#dirty = false
    const took = performance.now() - started
    this.#nextAllowed = now + Math.max(MIN_INTERVAL_MS, BUDGET * took)
    // Every snapshot is news to the pages (ages move on, a job's progress may have): they fetch
    // what they show again, which costs a few index seeks.
    this.#version++
    for (const client of this.#clients) client.write(`event: version\ndata: ${this.#version}\n\n`)
  }

  #fingerprintNow(): string {
    const store = this.#source.store
    let counted = 0
    for (const c of this.#source.counts()?.values() ?? []) counted += c.delivered + c.failed
    return `${store.changeToken()}:${store.lastMessageId()}:${counted}`
  }
}
