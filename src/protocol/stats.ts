// The shape of broker.stats() and the command-line tool's `stats`: the store's per-subscription
// counts summed per durable channel and per renderer inbox. Shared so both report the same thing.
import { inboxOwner } from './subscriptions.js'

/** One subscription's counts, as a store reports them (`Store.stats()`). */
export interface SubscriptionCounts {
  channel: string
  subscription: string
  /** Visible now, not leased. */
  ready: number
  /** Not visible yet (delayMs / back-off), not leased. */
  delayed: number
  inFlight: number
  dead: number
  /** Epoch ms of the oldest waiting (ready or delayed) message, null when none. */
  oldestCreatedAt: number | null
  /** Its channel is paused (no delivery starts; sends are still stored). */
  paused: boolean
}

/** Counts of one durable channel (its main subscription and renderer inboxes added up). */
export interface ChannelStats {
  ready: number
  delayed: number
  inFlight: number
  dead: number
  /** Age in ms of the oldest waiting message; null when none waits. */
  oldestAgeMs: number | null
  /** Paused (channel.pause()): no delivery starts in any process; sends are still stored. */
  paused: boolean
  /** Per subscription (`main`, `renderer:<id>`). */
  subscriptions: Record<string, { ready: number; delayed: number; inFlight: number; dead: number }>
}


/**
 * One durable channel in `broker.stats()`: what the database holds (main subscription and renderer
 * inboxes added up), and what this broker did with it since it opened.
 *
 * @example
 * const { ready, inFlight, dead, oldestAgeMs, delivered } = broker.stats().durable['jobs']!
 */
export interface DurableChannelStats extends ChannelStats {
  /** Messages this broker's listeners (and renderers) acknowledged since it opened. */
  delivered: number
  /** Failed attempts in this broker since it opened: each retry and each move to the dead letters. */
  failed: number
}

/**
 * One renderer's durable inbox: messages kept for it (waiting or in flight), whether or not a
 * renderer with this id is open now.
 *
 * @example
 * const inbox = broker.stats().renderers['window-1']
 * if (inbox && !inbox.open && inbox.depth > 0) console.log('messages wait for a closed window')
 */
export interface RendererInboxStats {
  /** Ready, delayed and in flight, over every durable channel. */
  depth: number
  /** Depth per durable channel that has an inbox for this renderer. */
  channels: Record<string, number>
  /** A renderer with this id is open in this broker (`stats --json` on the command line: null). */
  open: boolean
}

/**
 * A transient channel with main-side receivers.
 *
 * @example
 * broker.stats().transient['ping'] // { listeners: 1, handler: false }
 */
export interface TransientChannelStats {
  /** `ipcMain.listenerCount(channel)`. */
  listeners: number
  /** An `ipcMain.handle` handler is registered. */
  handler: boolean
}

/**
 * What `broker.stats()` returns. Counts come from one read of the database's indexes, so calling it
 * every second is fine.
 *
 * @example
 * const stats = broker.stats()
 * for (const [name, c] of Object.entries(stats.durable)) console.log(name, c.ready, c.inFlight, c.dead)
 */
export interface BrokerStats {
  /** Epoch ms the counts were taken at. */
  at: number
  durable: Record<string, DurableChannelStats>
  /** Per renderer id that has a durable inbox in the database. */
  renderers: Record<string, RendererInboxStats>
  transient: Record<string, TransientChannelStats>
  /**
   * Only for a broker with `postgres`: this node's outbox, the sends stored in its file and not yet
   * forwarded to PostgreSQL (they count nowhere else until they are).
   */
  outbox?: OutboxStats
}

/**
 * The local outbox of a broker with `postgres` (`broker.stats().outbox`).
 *
 * @example
 * const { pending, oldestAgeMs } = broker.stats().outbox ?? { pending: 0, oldestAgeMs: null }
 */
export interface OutboxStats {
  /** Messages stored here, waiting to be forwarded. */
  pending: number
  /** Age in ms of the oldest of them; null when none waits. */
  oldestAgeMs: number | null
  /** False when PostgreSQL could not be read for these stats (then `durable` and `renderers` are empty). */
  reachable: boolean
}

/** The database's part of the stats, before a broker adds its own counts. */
export interface StoredStats {
  channels: Record<string, ChannelStats>
  renderers: Record<string, Omit<RendererInboxStats, 'open'>>
}


/**
 * Sums the store's per-subscription rows into per-channel and per-renderer counts.
 *
 * @example
 * summarizeStats(store.stats(now), now).channels['jobs']?.ready
 */
export function summarizeStats(rows: readonly SubscriptionCounts[], now: number): StoredStats {
  const channels: Record<string, ChannelStats> = {}
  const renderers: Record<string, Omit<RendererInboxStats, 'open'>> = {}
  for (const row of rows) {
    const total = (channels[row.channel] ??= { ready: 0, delayed: 0, inFlight: 0, dead: 0, oldestAgeMs: null, paused: row.paused, subscriptions: {} })
    total.ready += row.ready
    total.delayed += row.delayed
    total.inFlight += row.inFlight
    total.dead += row.dead
    total.subscriptions[row.subscription] = { ready: row.ready, delayed: row.delayed, inFlight: row.inFlight, dead: row.dead }
    if (row.oldestCreatedAt !== null) {
      // Clocks of other processes may run ahead of ours: an age is never negative.
      const age = Math.max(0, now - row.oldestCreatedAt)
      total.oldestAgeMs = Math.max(total.oldestAgeMs ?? 0, age)
    }
    const id = inboxOwner(row.subscription)
    if (id !== undefined) {
      const inbox = (renderers[id] ??= { depth: 0, channels: {} })
      const depth = row.ready + row.delayed + row.inFlight
      inbox.depth += depth
      inbox.channels[row.channel] = depth
    }
  }
  return { channels, renderers }
}
