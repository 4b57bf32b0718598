// The durable side of a broker as createBroker wires it: the store it opens (SQLite, or SQLite
// forwarding to PostgreSQL, its publishes traced), the hooks its durable channels call back, the
// delivered and failed counts stats() shows, and the router's way in to durable channels.
import { defaultBusyTimeoutMs, openForwardingStore, openSqliteStore } from '../store/index.js'
import type { StoreOpenOptions } from '../store/index.js'
import type { IpcMainImpl } from '../ipc/ipcMain.js'
import type { DurableRouting } from '../ipc/router.js'
import { checkRetention } from './brokerOptions.js'
import type { CreateBrokerOptions } from './brokerOptions.js'
import { traceDelivery, tracePublishes } from './diagnostics.js'
import { DurableChannels } from './durableChannels.js'
import type { DurableHooks } from './durableChannels.js'

/** Deliveries acknowledged and failed in this process, by channel (stats()). */
export type DeliveryCounts = Map<string, { delivered: number; failed: number }>

/** What the broker itself offers its durable channels. */
export interface BrokerSide {
  ipcMain: IpcMainImpl
  reportError: (error: unknown, channel: string) => void
  endpoint: DurableHooks['endpoint']
  webContentsFor: DurableHooks['webContentsFor']
  /** A channel became durable here (declared, or found declared by another process). */
  onDeclared: (channel: string) => void
}

/**
 * The broker's durable channels over the store `options` name; deliveries counted in `counts`.
 * `writeLock`: the lock its connection shares with the worker renderers' on the same file.
 */
export function openDurableChannels(options: CreateBrokerOptions, side: BrokerSide, counts: DeliveryCounts, writeLock?: SharedArrayBuffer): DurableChannels {
  const storeOptions: StoreOpenOptions = {}
  if (options.path !== undefined) storeOptions.path = options.path
  if (options.database !== undefined) storeOptions.database = options.database
  if (options.synchronous !== undefined) storeOptions.synchronous = options.synchronous
  if (options.busyTimeoutMs !== undefined) storeOptions.busyTimeoutMs = options.busyTimeoutMs
  if (writeLock !== undefined) storeOptions.writeLock = writeLock
  const { postgres } = options
  // A file or handle opens (and migrates) now, so a bad one fails createBroker itself; the
  // in-memory default opens on first use, so a broker with transient channels only needs no SQLite.
  return new DurableChannels(
    () => tracePublishes(postgres ? openForwardingStore({ local: storeOptions, postgres }) : openSqliteStore(storeOptions)),
    {
      ipcMain: side.ipcMain,
      inspect: options.inspect,
      reportError: side.reportError,
      endpoint: side.endpoint,
      webContentsFor: side.webContentsFor,
      jobResultRetentionMs: checkRetention(options.jobResultRetentionMs),
      busyTimeoutMs: options.busyTimeoutMs ?? defaultBusyTimeoutMs,
      trace: (what, message, error) => {
        traceDelivery(what, message, error)
        if (what === 'deliver') return
        let channelCounts = counts.get(message.channel)
        if (!channelCounts) counts.set(message.channel, (channelCounts = { delivered: 0, failed: 0 }))
        if (what === 'ack') channelCounts.delivered++
        else channelCounts.failed++
      },
      onDeclared: side.onDeclared,
    },
    options.path !== undefined || options.database !== undefined,
  )
}

/** How the router hands durable sends, invokes and worker writes to `durable`. */
export function durableRouting(durable: DurableChannels): DurableRouting {
  return {
    isDurable: (channel) => durable.isDurable(channel),
    send: (sender, channel, args) => void durable.publish(sender.id, channel, args),
    invoke: (sender, channel, args) => durable.invoke(sender.id, channel, args),
    afterTransaction: (channel, write) => durable.afterTransaction(channel, write),
    storeTogether: (channel, write) => durable.storeTogether(channel, write),
  }
}
