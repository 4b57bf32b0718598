// Store and forward, the SQLite half: the node's own file holds every send until the forwarder has
// it in PostgreSQL. The rows are plain messages of the local store (its `main` subscription, or an
// inbox), which no local consumer reads: a forwarding broker's consumers claim from PostgreSQL. This
// connection of its own reads what committed (in the outbox mode, what the application's
// transactions committed) and deletes what PostgreSQL committed; it also keeps the node's identity.

import Database from 'better-sqlite3'
import { StoreError } from '../../errors.js'
import type { MessageKind, Payload, PublishInput } from '../types.js'
import { translateError } from '../sqlite/sqliteErrors.js'

/** A row of the outbox, in what PostgreSQL's publish takes. */
export interface OutboxRow {
  originId: number
  input: PublishInput
}

/** What the file says about itself as a node (migrations/sqlite/008_node.sql). */
export interface NodeRow {
  nodeId: string
  schemaKey: string
  idBase: number
}

/** The outbox's backlog: messages stored here and not yet in PostgreSQL. */
export interface OutboxBacklog {
  pending: number
  /** Epoch ms of the oldest, null when none. */
  oldestCreatedAt: number | null
}

const sql = {
  node: 'SELECT node_id AS nodeId, schema_key AS schemaKey, id_base AS idBase FROM durable_ipc_node LIMIT 1',
  insertNode: 'INSERT INTO durable_ipc_node (node_id, schema_key, id_base, created_at) VALUES (@nodeId, @schemaKey, @idBase, @now)',
  // The next id is one above the highest of the messages, dead letters, results and this mark.
  raiseToBase: 'UPDATE durable_ipc_high_water SET id = @id WHERE id < @id',
  batch: `SELECT m.id, m.channel, m.subscription, s.fan_out AS fanOut, m.kind, m.payload, m.key,
      m.created_at AS createdAt, m.visible_at AS visibleAt, m.priority
    FROM durable_ipc_messages AS m
    LEFT JOIN durable_ipc_subscriptions AS s ON s.channel = m.channel AND s.name = m.subscription
    WHERE m.id > @after ORDER BY m.id LIMIT @limit`,
  remove: 'DELETE FROM durable_ipc_messages WHERE id IN (SELECT value FROM json_each(@ids))',
  // Deleted rows must never give their ids again: a reused id would be taken for a forwarded one.
  raiseHighWater: 'UPDATE durable_ipc_high_water SET id = @id WHERE id < @id',
  backlog: 'SELECT count(*) AS pending, min(created_at) AS oldest FROM durable_ipc_messages',
  // The lowest row, else one above every id forwarded (a send not committed yet gets a higher one).
  lowestPending: 'SELECT coalesce((SELECT min(id) FROM durable_ipc_messages), (SELECT id FROM durable_ipc_high_water) + 1) AS id',
} as const

interface BatchRow {
  id: number
  channel: string
  subscription: string
  fanOut: number | null
  kind: MessageKind
  payload: Payload
  key: string | null
  createdAt: number
  visibleAt: number
  priority: number
}

/** The forwarder's connection to the node's file. */
export interface LocalOutbox {
  node(): NodeRow | undefined
  /** Writes the node's identity and raises the ids to its base, in one transaction. */
  saveNode(row: NodeRow, now: number): void
  /** Up to `limit` rows above `afterId`, in id order (the order they were stored). */
  read(limit: number, afterId?: number): OutboxRow[]
  /** Deletes rows PostgreSQL committed, in one transaction. */
  remove(ids: readonly number[]): void
  backlog(): OutboxBacklog
  /** The lowest id this node may still forward: every origin key below it is never needed again. */
  lowestPending(): number
  close(): void
}

/**
 * Opens the forwarder's own connection to the node's file `path` (already migrated by its store).
 *
 * @example
 * const outbox = openLocalOutbox('node-1.db', 5000)
 * const rows = outbox.read(100)
 */
export function openLocalOutbox(path: string, busyTimeoutMs: number): LocalOutbox {
  let db: Database.Database
  try {
    db = new Database(path, { fileMustExist: true, timeout: busyTimeoutMs })
  } catch (err) {
    throw translateError(err, `open '${path}' for forwarding`)
  }
  const guard = <R>(operation: string, run: () => R): R => {
    if (!db.open) throw new StoreError('ERR_STORE_CLOSED', `Cannot ${operation}: the store is closed`)
    try {
      return run()
    } catch (err) {
      throw translateError(err, operation)
    }
  }
  const statements = Object.fromEntries(Object.entries(sql).map(([name, text]) => [name, db.prepare(text)])) as Record<keyof typeof sql, Database.Statement>
  const saveNode = db.transaction((row: NodeRow, now: number) => {
    statements.insertNode.run({ ...row, now })
    statements.raiseToBase.run({ id: row.idBase })
  })
  const remove = db.transaction((ids: readonly number[]) => {
    statements.remove.run({ ids: JSON.stringify(ids) })
    statements.raiseHighWater.run({ id: Math.max(...ids) })
  })
  return {
    node: () => guard('read the node identity', () => statements.node.get() as NodeRow | undefined),
    saveNode: (row, now) => guard('write the node identity', () => saveNode.immediate(row, now)),
    read: (limit, afterId = 0) =>
      guard('read the outbox', () =>
        (statements.batch.all({ after: afterId, limit }) as BatchRow[]).map((row) => {
          const input: PublishInput = {
            channel: row.channel,
            payload: row.payload,
            kind: row.kind,
            key: row.key,
            visibleAt: row.visibleAt,
            priority: row.priority,
            now: row.createdAt,
          }
          // `main` stands for the channel's fan-out publish; any other subscription was addressed.
          if (row.subscription !== 'main') {
            input.subscription = row.subscription
            input.fanOut = row.fanOut !== 0
          }
          return { originId: row.id, input }
        }),
      ),
    remove: (ids) => {
      if (ids.length > 0) guard('delete forwarded messages', () => remove.immediate(ids))
    },
    backlog: () =>
      guard('read the outbox backlog', () => {
        const row = statements.backlog.get() as { pending: number; oldest: number | null }
        return { pending: row.pending, oldestCreatedAt: row.oldest }
      }),
    lowestPending: () => guard('read the outbox', () => (statements.lowestPending.get() as { id: number }).id),
    close: () => {
      if (db.open) db.close()
    },
  }
}
