// The bridge's worker for the PostgreSQL store (syncBridge.ts runs it): one pg connection of its
// own, on which it runs batches of statements in order, and on which it LISTENs for the store's
// change notifications, counting in shared memory those sent by other stores (the change probe:
// the calling thread reads the count with no round trip, and the LISTEN is in place before the
// store's open returns, so no notification after it is missed). A lost connection is opened again
// by the next request, and counted as a change (notifications may have been missed meanwhile).

/** What the worker is handed (as the bridge's `data`). */
export interface PgWorkerData {
  /** Resolved path of the `pg` module. */
  driver: string
  connectionString: string
  /** Run on each new connection: search_path, LISTEN, read-only mode. */
  setup: string[]
  /** This store's id: notifications carrying it are this store's own. */
  storeId: string
  connectTimeoutMs: number
}

/** Index of the change counter in the bridge's shared memory. */
export const CHANGES = 0

/**
 * A request: statements run in order, their results answered in order (the first failure throws).
 * `continues`: it goes on with the transaction of an earlier batch, so it fails (rather than run
 * outside it) when that batch's connection was lost since.
 */
export interface PgBatch {
  batch: ReadonlyArray<{ text: string; values: readonly unknown[]; name?: string }>
  continues: boolean
}

// CommonJS, run by the bridge with `data` (PgWorkerData) and `shared` in scope.
export const pgWorkerSource = `
const pg = require(data.driver)
// int8 (counts, ids, epoch ms) as numbers: every value the store keeps is a safe integer.
const types = { getTypeParser: (oid, format) => (oid === 20 ? Number : pg.types.getTypeParser(oid, format)) }
let client
let connecting
let closed = false
function connect() {
  connecting ??= open().finally(() => { connecting = undefined })
  return connecting
}
async function open() {
  const c = new pg.Client({ connectionString: data.connectionString, types, connectionTimeoutMillis: data.connectTimeoutMs, application_name: 'durable-ipc' })
  // A lost connection is opened again soon, so that the LISTEN (the change count) comes back by itself.
  const lost = () => {
    if (client !== c) return
    client = undefined
    if (!closed) setTimeout(() => { if (!closed && client === undefined) connect().catch(() => {}) }, 1000)
  }
  c.on('error', lost)
  c.on('end', lost)
  c.on('notification', (n) => { if (n.payload !== data.storeId) Atomics.add(shared, ${CHANGES}, 1) })
  try {
    await c.connect()
    for (const text of data.setup) await c.query(text)
  } catch (error) {
    c.end().catch(() => {})
    throw error
  }
  // Notifications may have been missed while there was no connection: count a change.
  Atomics.add(shared, ${CHANGES}, 1)
  client = c
}
// Bytes arrive as Uint8Array (structured clone drops Buffer); pg binds Buffers as bytea, in arrays too.
const bind = (v) => (Array.isArray(v) ? v.map(bind) : v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v)
// The connection the latest batch began a transaction on.
let transactionOn
async function handle(request) {
  if (request.continues && (client === undefined || client !== transactionOn)) {
    throw new Error('Connection terminated during the transaction (it was rolled back)')
  }
  if (client === undefined) await connect()
  const c = client
  if (c === undefined) throw new Error('Connection terminated')
  if (!request.continues) transactionOn = c
  const out = []
  for (const q of request.batch) {
    const r = await c.query({ name: q.name, text: q.text, values: q.values.map(bind) })
    out.push({ rows: r.rows, rowCount: r.rowCount ?? 0 })
  }
  return out
}
function onClose() {
  closed = true
  const c = client
  client = undefined
  if (c !== undefined) c.end().catch(() => {})
}
`
