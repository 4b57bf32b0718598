// The board's live side: one overview snapshot shared by every open page and /metrics, taken
// again when the store changed (its change token, the highest id, a broker's counts: a few
// look-ups every 250 ms while someone watches), and pushed to pages as Server-Sent Events, so that
// counts and lists update without a reload, also when another process writes the file.
//
// What an open board may cost the application is bounded here. A change after a quiet spell is
// shown at the next look (within 250 ms); while the store keeps changing (a drain) the changes are
// coalesced: a snapshot at most every 2 s, and never sooner after the last one than 49 times as
// long as that one took, so reading spends at most 2% of the time however large the queues (and
// each snapshot is what the pages fetch again after: fewer snapshots, fewer requests). An action
// of the board is shown at once. Over a broker's file the reads run in
// the board's reader thread anyway (reader.ts), and the application's thread only merges and
// serves them (the JSON of each snapshot made once). With nobody watching it samples once a
// minute, for the delivery charts: over a broker only its counts, without reading the store.
import type { ServerResponse } from 'node:http'
import type { Overview } from './overview.js'
import type { BoardReader } from './reader.js'
import type { BoardSource } from './source.js'
import { onBoardTime } from './threadTime.js'
import { DeliveryHistory } from './throughput.js'
import type { HeldCounts } from './throughput.js'

const POLL_MS = 250
const MIN_INTERVAL_MS = 2000
/** A snapshot is at most this old while someone watches (ages move on, delayed jobs fall due). */
const MAX_AGE_MS = 5000
const IDLE_SAMPLE_MS = 60_000
/** A page that asked within this long still counts as watching. */
const WATCH_MS = 10_000
const BUDGET = 49
const HEARTBEAT_MS = 15_000

/** A snapshot being taken; `outdated` once the board wrote after it started reading. */
interface Taking {
  promise: Promise<void>
  outdated: boolean
}

/** The live board of one createBoard. */
export class LiveBoard {
  readonly #source: BoardSource
  readonly #reader: BoardReader
  readonly #history = new DeliveryHistory()
  readonly #clients = new Set<ServerResponse>()
  #overview: Overview | undefined
  #json: string | undefined
  #held: HeldCounts[] = []
  #version = 0
  #fingerprint = ''
  #takenAt = 0
  #sampledAt = 0
  #nextAllowed = 0
  #lastAsked = 0
  #dirty = true
  #closed = false
  #taking: Taking | undefined
  readonly #poll: NodeJS.Timeout
  readonly #heartbeat: NodeJS.Timeout

  constructor(source: BoardSource, reader: BoardReader) {
    this.#source = source
    this.#reader = reader
    this.#poll = setInterval(() => this.#tick(), POLL_MS)
    this.#heartbeat = setInterval(() => {
      onBoardTime(() => {
        for (const client of this.#clients) client.write(': keep-alive\n\n')
      })
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
   * allows, otherwise the last one (at most two seconds or so old while someone watches).
   */
  async overview(): Promise<Overview> {
    const due = onBoardTime(() => {
      this.#lastAsked = Date.now()
      return this.#overview === undefined || (this.#stale() && Date.now() >= this.#nextAllowed)
    })
    if (due) await this.#take()
    return this.#overview!
  }

  /** What GET api/overview answers: the overview and its version, as JSON made once per snapshot. */
  async overviewJson(): Promise<string> {
    await this.overview()
    return onBoardTime(() => (this.#json ??= JSON.stringify({ version: this.#version, ...this.#overview! })))
  }

  /** The board wrote (an action): the next look takes a new snapshot. */
  changed(purged?: { channel: string; count: number }): void {
    if (purged !== undefined) this.#history.removed(purged.channel, purged.count)
    this.#dirty = true
    this.#nextAllowed = 0
    // A snapshot being read may have started before the write: it does not count as fresh.
    if (this.#taking !== undefined) this.#taking.outdated = true
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
    onBoardTime(() => {
      if (this.#closed) return
      if (!this.#source.isOpen()) {
        // A closed broker's file is the application's to remove: the reader lets go of it.
        this.#reader.close()
        return
      }
      const now = Date.now()
      if (this.#taking !== undefined || now < this.#nextAllowed) return
      try {
        if (this.#watching()) {
          if (this.#stale()) this.#take().catch(() => {})
          return
        }
        if (now - this.#sampledAt < IDLE_SAMPLE_MS) return
        const counts = this.#source.counts()
        if (counts === undefined) {
          this.#take().catch(() => {})
        } else {
          // A broker counts its deliveries: nobody watching, the charts need nothing of the store.
          this.#history.sample(now, this.#held, this.#source.store, counts)
          this.#sampledAt = now
        }
      } catch {
        // A busy or closing store: the next tick tries again; a request reports the error itself.
      }
    })
  }

  // One snapshot at a time; one asked for while an outdated one is read is taken after it.
  #take(): Promise<void> {
    const running = this.#taking
    if (running !== undefined && !running.outdated) return running.promise
    const promise = (async () => {
      if (running !== undefined) await running.promise.catch(() => {})
      await this.#takeNow()
    })()
    const taking: Taking = { promise, outdated: false }
    this.#taking = taking
    promise.then(
      () => this.#taken(taking),
      () => this.#taken(taking),
    )
    return promise
  }

  #taken(taking: Taking): void {
    if (this.#taking === taking) this.#taking = undefined
  }

  async #takeNow(): Promise<void> {
    const fingerprint = onBoardTime(() => this.#fingerprintNow())
    this.#dirty = false
    let read: Awaited<ReturnType<BoardReader['overview']>>
    try {
      read = await this.#reader.overview(Date.now())
    } catch (err) {
      this.#dirty = true
      throw err
    }
    onBoardTime(() => this.#store(read, fingerprint))
  }

  #store({ overview, held, tookMs }: Awaited<ReturnType<BoardReader['overview']>>, fingerprint: string): void {
    const now = overview.at
    const counts = this.#source.counts()
    this.#history.sample(now, held, this.#source.store, counts)
    for (const channel of overview.channels) {
      channel.deliveries = this.#history.series(channel.name, now)
      overview.delivered[channel.name] = counts?.get(channel.name)?.delivered ?? this.#history.total(channel.name)
    }
    if (counts !== undefined) overview.failed = Object.fromEntries(overview.channels.map((c) => [c.name, counts.get(c.name)?.failed ?? 0]))
    overview.deliveriesEstimated = this.#history.estimated
    this.#overview = overview
    this.#json = undefined
    this.#held = held
    this.#fingerprint = fingerprint
    this.#takenAt = now
    this.#sampledAt = now
    this.#nextAllowed = Date.now() + Math.max(MIN_INTERVAL_MS, BUDGET * tookMs)
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
