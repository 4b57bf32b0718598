// The overview: every durable channel's counts (ready, delayed, active, dead, paused, the age of
// the oldest ready message), every renderer inbox's depth, and the schedules (a small table), from reads of the
// store's indexes (store.boardReads().queueCounts, or stats() on a backend without it).
import { summarizeStats } from '../protocol/stats.js'
import { inboxOwner } from '../protocol/subscriptions.js'
import type { BoardQueueCounts, Store } from '../store/index.js'
import type { HeldCounts } from './throughput.js'

/** One durable channel on the overview. */
export interface ChannelOverview {
  name: string
  ready: number
  delayed: number
  /** In flight: held by a live lease. */
  active: number
  dead: number
  paused: boolean
  /** How long the message at the head of the ready line has waited since it was stored; null when none is ready. */
  oldestAgeMs: number | null
  subscriptions: string[]
  /** Deliveries in each of the last 60 minutes, oldest first (filled in by the live board). */
  deliveries: number[]
}

/** One renderer inbox on the overview. */
export interface InboxOverview {
  id: string
  /** Ready, delayed and in flight, over every durable channel. */
  depth: number
  channels: Record<string, number>
}

/** One schedule on the overview. Times in epoch ms. */
export interface ScheduleOverview {
  name: string
  channel: string
  cron: string | null
  everyMs: number | null
  tz: string | null
  nextRunAt: number
  lastRunAt: number | null
}

/** What the overview page and /metrics show. */
export interface Overview {
  at: number
  channels: ChannelOverview[]
  renderers: InboxOverview[]
  schedules: ScheduleOverview[]
  /** The deliveries are the board's estimate (a file with several busy channels; see throughput.ts). */
  deliveriesEstimated: boolean
  /** Failed attempts per channel since the broker opened: known only on a board over a broker. */
  failed: Record<string, number> | null
  /** Deliveries per channel since the board (or the broker) started: the metrics' counters. */
  delivered: Record<string, number>
}

/**
 * Reads the overview's counts. `held` (queue plus dead letters, per channel) feeds the delivery
 * estimate.
 *
 * @example
 * const { overview, held } = readOverview(store, Date.now())
 */
export function readOverview(store: Store, now: number): { overview: Overview; held: HeldCounts[] } {
  const counts = readCounts(store, now)
  const channels = new Map<string, ChannelOverview>()
  const entry = (name: string): ChannelOverview => {
    let channel = channels.get(name)
    if (channel === undefined) {
      channel = { name, ready: 0, delayed: 0, active: 0, dead: counts.dead[name] ?? 0, paused: counts.paused.includes(name), oldestAgeMs: null, subscriptions: [], deliveries: [] }
      channels.set(name, channel)
    }
    return channel
  }
  for (const { name } of store.listChannels()) entry(name)
  const inboxes = new Map<string, InboxOverview>()
  for (const group of counts.groups) {
    const channel = entry(group.channel)
    channel.ready += group.ready
    channel.delayed += group.delayed
    channel.active += group.inFlight
    channel.subscriptions.push(group.subscription)
    if (group.oldestReadyCreatedAt !== null) {
      // Another process's clock may run ahead of ours: an age is never negative.
      const age = Math.max(0, now - group.oldestReadyCreatedAt)
      channel.oldestAgeMs = Math.max(channel.oldestAgeMs ?? 0, age)
    }
    const id = inboxOwner(group.subscription)
    if (id !== undefined) {
      const inbox = inboxes.get(id) ?? { id, depth: 0, channels: {} }
      const depth = group.ready + group.delayed + group.inFlight
      inbox.depth += depth
      inbox.channels[group.channel] = depth
      inboxes.set(id, inbox)
    }
  }
  const list = [...channels.values()].sort((a, b) => compare(a.name, b.name))
  return {
    overview: {
      at: now,
      channels: list,
      renderers: [...inboxes.values()].sort((a, b) => compare(a.id, b.id)),
      schedules: store.listSchedules().map(({ name, channel, cron, everyMs, tz, nextRunAt, lastRunAt }) => ({ name, channel, cron, everyMs, tz, nextRunAt, lastRunAt })),
      deliveriesEstimated: false,
      failed: null,
      delivered: {},
    },
    held: list.map((c) => ({ channel: c.name, held: c.ready + c.delayed + c.active + c.dead })),
  }
}

// The store's board reads when it has them (index ranges); otherwise its stats, in the same shape.
function readCounts(store: Store, now: number): BoardQueueCounts {
  const reads = store.boardReads?.()
  if (reads !== undefined) return reads.queueCounts(now)
  const rows = store.stats(now)
  const stored = summarizeStats(rows, now)
  const dead: Record<string, number> = {}
  const paused: string[] = []
  for (const [name, c] of Object.entries(stored.channels)) {
    if (c.dead > 0) dead[name] = c.dead
    if (c.paused) paused.push(name)
  }
  return {
    at: now,
    groups: rows.map((r) => ({ channel: r.channel, subscription: r.subscription, ready: r.ready, delayed: r.delayed, inFlight: r.inFlight, oldestReadyCreatedAt: r.oldestCreatedAt })),
    dead,
    paused,
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
