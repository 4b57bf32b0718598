// broker.stats(): what the store counts (durable channels, renderer inboxes, a store-and-forward
// broker's outbox) with this process's delivered and failed counts, and the transient receivers.
import { StoreError } from '../errors.js'
import type { IpcMainImpl } from '../ipc/ipcMain.js'
import { summarizeStats } from '../protocol/stats.js'
import type { BrokerStats } from '../protocol/stats.js'
import type { DeliveryCounts } from './brokerDurable.js'
import type { DurableChannels } from './durableChannels.js'

/** What stats() reads. */
export interface StatsSources {
  durable: DurableChannels
  ipcMain: IpcMainImpl
  counts: DeliveryCounts
  /** Channels with main-side listeners or a handler: ipcMain lists handlers nowhere. */
  receiverChannels: ReadonlySet<string>
  /** Whether the renderer with this id is open here. */
  isOpen: (id: string) => boolean
}

/** The broker's stats as of `at`. */
export function collectStats(sources: StatsSources, at: number): BrokerStats {
  const { durable, ipcMain, counts } = sources
  const stats: BrokerStats = { at, durable: {}, renderers: {}, transient: {} }
  // A broker with transient channels only never opens its (in-memory) database for stats.
  if (durable.opened) {
    const forwarding = durable.store.forwarding
    let rows
    try {
      rows = durable.store.stats(at)
    } catch (error) {
      // With postgres, the outbox is what to look at while PostgreSQL cannot be read.
      if (!forwarding || !(error instanceof StoreError)) throw error
    }
    if (forwarding) {
      const { pending, oldestCreatedAt } = forwarding.backlog()
      stats.outbox = { pending, oldestAgeMs: oldestCreatedAt === null ? null : Math.max(0, at - oldestCreatedAt), reachable: rows !== undefined }
    }
    const stored = summarizeStats(rows ?? [], at)
    for (const [name, channel] of Object.entries(stored.channels)) {
      stats.durable[name] = { ...channel, ...(counts.get(name) ?? { delivered: 0, failed: 0 }) }
    }
    for (const [id, inbox] of Object.entries(stored.renderers)) {
      stats.renderers[id] = { ...inbox, open: sources.isOpen(id) }
    }
  }
  for (const name of sources.receiverChannels) {
    if (durable.isDurable(name)) continue
    const listeners = ipcMain.listenerCount(name)
    const handler = ipcMain.hasHandler(name)
    if (listeners > 0 || handler) stats.transient[name] = { listeners, handler }
  }
  return stats
}
