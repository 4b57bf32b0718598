// Per-subscription counts for broker.stats() and the CLI: ready, delayed, in flight, dead.

import type { Statements } from './statements.js'
import type { SubscriptionStats } from '../types.js'

/**
 * Counts of every subscription, including those with nothing in them, sorted by channel then
 * subscription. A message whose lease expired counts as ready (claim would take it), not in flight.
 * Run it in one read transaction so the counts come from one snapshot.
 *
 * @example
 * collectStats(s, Date.now()).find((x) => x.channel === 'jobs')?.ready
 */
export function collectStats(s: Statements, now: number): SubscriptionStats[] {
  const byKey = new Map<string, SubscriptionStats>()
  const paused = new Set(s.pausedChannels.all())
  const entry = (channel: string, subscription: string): SubscriptionStats => {
    const key = `${channel}\u0000${subscription}`
    let stats = byKey.get(key)
    if (stats === undefined) {
      stats = { channel, subscription, ready: 0, delayed: 0, inFlight: 0, dead: 0, oldestCreatedAt: null, paused: paused.has(channel) }
      byKey.set(key, stats)
    }
    return stats
  }

  for (const row of s.subscriptions.all()) entry(row.channel, row.subscription)
  for (const row of s.messageCounts.all({ now })) {
    const stats = entry(row.channel, row.subscription)
    stats.ready = row.ready
    stats.delayed = row.delayed
    stats.inFlight = row.inFlight
    stats.oldestCreatedAt = row.oldestCreatedAt
  }
  // Messages in hand (inHand.ts): in flight for as long as their lease lives.
  for (const row of s.inHandCounts.all({ now })) {
    const stats = entry(row.channel, row.subscription)
    stats.ready += row.ready
    stats.delayed += row.delayed
    stats.inFlight += row.inFlight
    if (row.oldestCreatedAt !== null && (stats.oldestCreatedAt === null || row.oldestCreatedAt < stats.oldestCreatedAt)) stats.oldestCreatedAt = row.oldestCreatedAt
  }
  for (const row of s.deadCounts.all()) entry(row.channel, row.subscription).dead = row.dead

  return [...byKey.values()].sort((a, b) =>
    a.channel === b.channel ? compare(a.subscription, b.subscription) : compare(a.channel, b.channel),
  )
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
