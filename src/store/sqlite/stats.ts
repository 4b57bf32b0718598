// Per-subscription counts for broker.stats() and the CLI: ready, delayed, in flight, dead.

import type { Statements } from './statements.js'
import type { SubscriptionStats } from '../types.js'
import { statsTable } from '../subscriptionStats.js'

/**
 * Counts of every subscription, including those with nothing in them, sorted by channel then
 * subscription. A message whose lease expired counts as ready (claim would take it), not in flight.
 * Run it in one read transaction so the counts come from one snapshot.
 *
 * @example
 * collectStats(s, Date.now()).find((x) => x.channel === 'jobs')?.ready
 */
export function collectStats(s: Statements, now: number): SubscriptionStats[] {
  const paused = new Set(s.pausedChannels.all())
  const { entry, sorted } = statsTable(paused)

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

  return sorted()
}
