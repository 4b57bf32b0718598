// Store and forward (createBroker({ path, postgres })): a Store whose sends go to this node's own
// SQLite file (stored before they return, also while PostgreSQL is down) and everything else to the
// PostgreSQL store shared by every node. The forwarder (actors/durable/forwarderMachine.ts) moves
// the local rows on through `forwarding`.
//
// Ids. A send returns the id of its local row. Each node's ids lie in a range of their own, above
// every id of PostgreSQL's sequence: from ID_BASE + number * NODE_RANGE, `number` given to the
// node by PostgreSQL once (durable_ipc_nodes). Forwarded, the message gets PostgreSQL's next id
// (what consumers, jobs() and the dead letters show), and its origin row maps the send's id to it,
// so job(id), jobResult(id), cancel(id) and waitForJob(id) take either id on every node.

import { randomUUID } from 'node:crypto'
import { InvalidArgumentError, StoreError, UnknownChannelError } from '../../errors.js'
import type { Store } from '../contract.js'
import { openPostgresParts } from '../postgres/postgresStore.js'
import type { PostgresStoreOptions } from '../postgres/connection.js'
import { openSqliteStore } from '../sqlite/sqliteStore.js'
import type { StoreOpenOptions } from '../sqlite/openDatabase.js'
import type { ChannelConfig, JobResultRow, JobRow, PublishInput } from '../types.js'
import type { ForwardingSide } from './forwardingSide.js'
import { openLocalOutbox } from './localOutbox.js'

/** Where the ids of forwarding nodes start: PostgreSQL's own sequence stays below. */
export const ID_BASE = 2 ** 50
/** Ids per node. */
export const NODE_RANGE = 2 ** 32
/** Origin keys a step of the sweep looks at, and the pause after a sweep that reached the end. */
const PRUNE_ROWS = 1000
const PRUNE_PAUSE_MS = 10_000

export interface ForwardingStoreOptions {
  /** The node's file: `path`, or the application's handle (`database`, the outbox) on a file. */
  local: StoreOpenOptions
  postgres: PostgresStoreOptions
}

/**
 * Opens a store-and-forward store: the local SQLite file (created and migrated) and the PostgreSQL
 * schema (created and migrated; it must be reachable now: a StoreError otherwise). The file's node
 * identity is made on its first open here and kept in it.
 *
 * @example
 * const store = openForwardingStore({ local: { path: 'node-1.db' }, postgres: { connectionString } })
 * store.publish(input)                  // in node-1.db when it returns
 * await store.forwarding!.forward(100)  // now in PostgreSQL, and gone from node-1.db
 */
export function openForwardingStore(options: ForwardingStoreOptions): Store {
  const file = outboxFile(options.local)
  const local = openSqliteStore(options.local)
  const opened: Array<{ close(): void }> = [local]
  try {
    const outbox = openLocalOutbox(file, options.local.busyTimeoutMs ?? 5000)
    opened.push(outbox)
    const { store: pg, node } = openPostgresParts(options.postgres)
    opened.push(pg)
    const schemaKey = options.postgres.schema ?? 'public'
    let identity = outbox.node()
    if (identity === undefined) {
      const nodeId = randomUUID()
      const number = node.registerNode(nodeId, Date.now())
      const idBase = ID_BASE + number * NODE_RANGE
      if (!Number.isSafeInteger(idBase + NODE_RANGE)) throw new StoreError('ERR_STORE', `Cannot register node ${number}: too many nodes on schema '${schemaKey}'`)
      identity = { nodeId, schemaKey, idBase }
      outbox.saveNode(identity, Date.now())
    } else if (identity.schemaKey !== schemaKey) {
      throw new StoreError('ERR_STORE', `Cannot forward ${file} to schema '${schemaKey}': it forwards to schema '${identity.schemaKey}'`)
    }
    const nodeId = identity.nodeId

    const listeners: Array<() => void> = []
    const stored = (): void => {
      for (const listener of listeners) listener()
    }
    // A channel another node declared is declared here too, so that sends to it are stored here.
    const mirror = (name: string, config: ChannelConfig): void => {
      const here = local.getChannel(name)
      if (here === undefined || JSON.stringify(here) !== JSON.stringify(config)) local.declareChannel(name, config)
    }
    // A send to a channel only PostgreSQL knows yet (another node declared it since): learnt, then stored.
    const learning = <R>(channels: readonly string[], write: () => R): R => {
      try {
        return write()
      } catch (err) {
        if (!(err instanceof UnknownChannelError)) throw err
        let learnt = false
        for (const name of new Set(channels)) {
          if (local.getChannel(name) !== undefined) continue
          const config = pg.getChannel(name)
          if (config === undefined) throw err
          mirror(name, config)
          learnt = true
        }
        if (!learnt) throw err
        return write()
      }
    }
    const isLocal = (id: number): boolean => id >= identity.idBase && id < identity.idBase + NODE_RANGE
    // A send's id (any node's) as PostgreSQL's id; undefined when not forwarded (yet).
    const pgId = (id: number): number | undefined => (id >= ID_BASE ? node.resolveOrigin(id) : id)
    const asked = <T extends JobRow | JobResultRow>(row: T | undefined, id: number): T | undefined => (row === undefined ? undefined : { ...row, id })

    // The sweep of this node's origin keys in PostgreSQL, a step on each forward that finds the
    // outbox empty (the forwarder's idle look), so that the keys do not grow without end; paused
    // for a while each time it reaches the end. Housekeeping: a failure (PostgreSQL down) is no
    // failure of the forward, which had nothing to do; the sweep pauses and tries again later.
    let sweptTo = 0
    let sweepAfter = 0
    const sweep = async (): Promise<void> => {
      if (Date.now() < sweepAfter) return
      try {
        const { last } = await node.pruneOrigins(nodeId, sweptTo, outbox.lowestPending(), PRUNE_ROWS)
        sweptTo = last ?? 0
        if (last === null) sweepAfter = Date.now() + PRUNE_PAUSE_MS
      } catch {
        sweepAfter = Date.now() + PRUNE_PAUSE_MS
      }
    }

    const forwarding: ForwardingSide = {
      nodeId,
      forward: async (limit) => {
        const rows = outbox.read(limit)
        if (rows.length === 0) {
          await sweep()
          return { forwarded: 0, more: false }
        }
        const done = await node.forward(nodeId, rows, Date.now())
        // Only after PostgreSQL committed: a crash before this line forwards the rows again, and
        // their origin keys store nothing twice.
        outbox.remove(done.map((row) => row.originId))
        return { forwarded: done.length, more: rows.length === limit }
      },
      backlog: () => outbox.backlog(),
      wasStored: (id) => {
        if (id < ID_BASE) return id <= pg.lastMessageId()
        if (isLocal(id) && (local.job(id, Date.now()) !== undefined || local.jobResult(id) !== undefined)) return true
        // Below the outbox's lowest row: forwarded (its origin key may be swept since) or cancelled here.
        return node.resolveOrigin(id) !== undefined || (isLocal(id) && id < outbox.lowestPending())
      },
      onStored: (listener) => {
        listeners.push(listener)
      },
    }

    const store: Store = {
      declareChannel: (name, config) => {
        pg.declareChannel(name, config)
        local.declareChannel(name, config)
      },
      getChannel: (name) => {
        const config = pg.getChannel(name)
        if (config) mirror(name, config)
        return config
      },
      listChannels: () => {
        const channels = pg.listChannels()
        for (const { name, config } of channels) mirror(name, config)
        return channels
      },
      ensureSubscription: (channel, subscription, opts) => pg.ensureSubscription(channel, subscription, opts),

      publish: (input: PublishInput) => {
        const result = learning([input.channel], () => local.publish(input))
        stored()
        return result
      },
      publishMany: (inputs) => {
        const results = learning(inputs.map((input) => input.channel), () => local.publishMany(inputs))
        stored()
        return results
      },
      writeTogether: (fn) => {
        local.writeTogether!(fn)
        stored()
      },

      claim: (...args) => pg.claim(...args),
      report: (...args) => pg.report(...args),
      ack: (...args) => pg.ack(...args),
      ackWithResult: (...args) => pg.ackWithResult(...args),
      fail: (input) => pg.fail(input),
      release: (...args) => pg.release(...args),
      handBack: (...args) => pg.handBack(...args),
      renew: (...args) => pg.renew(...args),
      releaseDeadOwners: (now) => pg.releaseDeadOwners(now),
      nextVisibleAt: (...args) => pg.nextVisibleAt(...args),

      deadLetters: (channel, ids) => pg.deadLetters(channel, ids),
      replay: (...args) => pg.replay(...args),
      purgeDeadLetters: (channel, ids) => pg.purgeDeadLetters(channel, ids),
      jobResult: (id) => {
        if (isLocal(id)) {
          const here = local.jobResult(id)
          if (here) return here
        }
        const found = pgId(id)
        return found === undefined ? undefined : asked(pg.jobResult(found), id)
      },
      pruneJobResults: (before, limit) => {
        local.pruneJobResults(before, limit)
        return pg.pruneJobResults(before, limit)
      },
      messagesAfter: (...args) => pg.messagesAfter(...args),
      deadLettersAfter: (...args) => pg.deadLettersAfter(...args),
      lastMessageId: () => pg.lastMessageId(),

      job: (id, now) => {
        // Still here (not forwarded yet), or cancelled here before it was.
        if (isLocal(id)) {
          const here = local.job(id, now)
          if (here) return here
        }
        const found = pgId(id)
        return found === undefined ? undefined : asked(pg.job(found, now), id)
      },
      // PostgreSQL's, then those still here (not forwarded yet): every local id is above every one
      // of PostgreSQL's, so one id order pages through both.
      jobs: (channel, query, now) => {
        const shared = query.afterId < ID_BASE ? pg.jobs(channel, query, now) : []
        if (shared.length >= query.limit || !local.getChannel(channel)) return shared
        return [...shared, ...local.jobs(channel, { ...query, limit: query.limit - shared.length }, now)]
      },
      // A job still here is cancelled here (its row deleted, never forwarded; the outcome stays here).
      cancel: (id, now) => {
        if (isLocal(id) && local.cancel(id, now)) return true
        const found = pgId(id)
        return found !== undefined && pg.cancel(found, now)
      },
      cancelledAmong: (ids) => pg.cancelledAmong(ids),
      setProgress: (...args) => pg.setProgress(...args),
      setPaused: (channel, paused) => pg.setPaused(channel, paused),
      isPaused: (channel) => pg.isPaused(channel),

      stats: (now) => pg.stats(now),
      changeToken: () => pg.changeToken(),
      // Only the local writes share a handle with the application (the outbox mode).
      mayWrite: () => local.mayWrite(),

      upsertSchedule: (row) => pg.upsertSchedule(row),
      listSchedules: () => pg.listSchedules(),
      deleteSchedule: (name) => pg.deleteSchedule(name),
      fireSchedule: (...args) => pg.fireSchedule(...args),

      forwarding,

      close() {
        for (const part of opened.reverse()) part.close()
      },
    }
    if (local.openTransaction) store.openTransaction = () => local.openTransaction!()
    return store
  } catch (err) {
    for (const part of opened.reverse()) part.close()
    throw err
  }
}

// The forwarder reads through a connection of its own, so the node must be a file.
function outboxFile(local: StoreOpenOptions): string {
  const db = local.database as { name?: unknown; memory?: unknown } | undefined
  const file = db !== undefined ? (db.memory === true ? ':memory:' : db.name) : local.path
  if (typeof file !== 'string' || file === '' || file === ':memory:' || file.startsWith('file:')) {
    throw new InvalidArgumentError('Expected a file (path, or a database handle on a file) for a broker with postgres: its sends are stored there until forwarded')
  }
  return file
}
