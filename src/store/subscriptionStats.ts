// Per-subscription counts as both backends gather them (sqlite/stats.ts, postgres/observe.ts): one
// entry per subscription, made at zero the first time it is seen, sorted by channel then subscription.
import type { SubscriptionStats } from './types.js'

export interface StatsTable {
  /** The entry of `channel`/`subscription`: made at zero (paused when its channel is) on first sight. */
  entry: (channel: string, subscription: string) => SubscriptionStats
  /** Every entry, sorted by channel then subscription. */
  sorted: () => SubscriptionStats[]
}

/**
 * An empty table of counts; `paused` names the paused channels.
 *
 * @example
 * const { entry, sorted } = statsTable(new Set(['jobs']))
 * entry('jobs', 'main').ready += 1
 */
export function statsTable(paused: ReadonlySet<string>): StatsTable {
  const byKey = new Map<string, SubscriptionStats>()
  const entry = (channel: string, subscription: string): SubscriptionStats => {
    const key = `${channel}\u0000${subscription}`
    let stats = byKey.get(key)
    if (stats === undefined) {
      stats = { channel, subscription, ready: 0, delayed: 0, inFlight: 0, dead: 0, oldestCreatedAt: null, paused: paused.has(channel) }
      byKey.set(key, stats)
    }
    return stats
  }
  const sorted = (): SubscriptionStats[] =>
    [...byKey.values()].sort((a, b) => (a.channel === b.channel ? compare(a.subscription, b.subscription) : compare(a.channel, b.channel)))
  return { entry, sorted }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
