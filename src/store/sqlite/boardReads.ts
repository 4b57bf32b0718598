// The web board's reads (src/board/), shaped for its pages and kept to index seeks and index
// ranges, so that a page costs what it shows rather than what the file holds: queue counts
// without a pass over every row, waiting and delayed jobs in queue order (keyset pages of the
// claim index), look-ups by key, and what arrived since an id (the delivery-rate estimate).
// Prepared on first use: a store no board looks at pays nothing for them. They also name the file
// behind them when another connection may read it beside this one (WAL: readers never block the
// writer), so that a board over a broker can take its reads off the application's thread.

import { resolve } from 'node:path'
import type Database from 'better-sqlite3'
import { preparers } from './sqlFragments.js'
import type { BoardGroupCounts, BoardJobRow, BoardQueueCounts, BoardReads, QueueCursor } from '../boardTypes.js'

const jobColumns = `id, channel, subscription, kind, payload, key, attempts, priority, progress, created_at AS createdAt,
  visible_at AS runAt, last_error AS lastError`
// A row with a live lease is in flight, wherever its place in line is.
const notLeased = '(lease_owner IS NULL OR lease_until <= @now)'
const group = 'channel = @channel AND subscription = @subscription'

const sql = {
  subscriptions: 'SELECT channel, name AS subscription FROM durable_ipc_subscriptions ORDER BY channel, name',
  channelSubscriptions: 'SELECT name FROM durable_ipc_subscriptions WHERE channel = @channel ORDER BY name',
  // The priorities a subscription's queue holds, highest first: a skip scan of the claim index
  // (channel, subscription, priority DESC, visible_at), one seek per priority.
  priorities: `WITH RECURSIVE p(priority) AS (
      SELECT (SELECT priority FROM durable_ipc_messages WHERE ${group} ORDER BY priority DESC LIMIT 1)
      UNION ALL
      SELECT (SELECT priority FROM durable_ipc_messages WHERE ${group} AND priority < p.priority ORDER BY priority DESC LIMIT 1)
      FROM p WHERE p.priority IS NOT NULL)
    SELECT priority FROM p WHERE priority IS NOT NULL`,
  // SQLite counts a whole table from its smallest index's pages, without visiting each entry.
  total: 'SELECT COUNT(*) FROM durable_ipc_messages',
  due: `SELECT COUNT(*) FROM durable_ipc_messages WHERE ${group} AND priority = @priority AND visible_at <= @now`,
  notDue: `SELECT COUNT(*) FROM durable_ipc_messages WHERE ${group} AND priority = @priority AND visible_at > @now`,
  // The few live leases, from the partial lease index.
  leased: `SELECT channel, subscription, priority, visible_at <= @now AS due, COUNT(*) AS n
    FROM durable_ipc_messages INDEXED BY durable_ipc_messages_lease
    WHERE lease_owner IS NOT NULL AND lease_until > @now GROUP BY channel, subscription, priority, due`,
  // The head of one priority's ready line: the message that waited longest (behind any in flight).
  head: `SELECT created_at FROM durable_ipc_messages WHERE ${group} AND priority = @priority AND visible_at <= @now
    AND ${notLeased} ORDER BY visible_at LIMIT 1`,
  dead: 'SELECT channel, COUNT(*) AS n FROM durable_ipc_dead_letters GROUP BY channel',
  paused: 'SELECT name FROM durable_ipc_channels WHERE paused = 1',

  // Keyset pages in queue order: after (visible_at, id) within the cursor's priority, from the start below it.
  waitingAfter: `SELECT ${jobColumns} FROM durable_ipc_messages WHERE ${group} AND priority = @priority AND visible_at <= @now
    AND ${notLeased} AND (visible_at, id) > (@v, @id) ORDER BY visible_at, id LIMIT @limit`,
  delayedAfter: `SELECT ${jobColumns} FROM durable_ipc_messages WHERE ${group} AND priority = @priority AND visible_at > @now
    AND ${notLeased} AND (visible_at, id) > (@v, @id) ORDER BY visible_at, id LIMIT @limit`,

  byKey: `SELECT id FROM durable_ipc_messages WHERE ${group} AND key = @key`,
  deadByKey: 'SELECT id FROM durable_ipc_dead_letters WHERE channel = @channel AND key = @key ORDER BY id DESC LIMIT 1',

  // Rowid ranges: only what was stored after @after and is still anywhere (queue, dead letters, outcomes).
  arrivals: `SELECT channel, COUNT(*) AS n FROM (
      SELECT channel FROM durable_ipc_messages WHERE id > @after
      UNION ALL SELECT channel FROM durable_ipc_dead_letters WHERE id > @after
      UNION ALL SELECT channel FROM durable_ipc_job_results WHERE id > @after AND channel IS NOT NULL)
    GROUP BY channel`,
} as const

/** SQLite's board reads, and the file a connection of the board's own may read the same rows from. */
export interface SqliteBoardReads extends BoardReads {
  /**
   * The database file as an absolute path, when it is a file in WAL mode (a broker's own file always
   * is); undefined for an in-memory database or another journal mode, where a second connection's
   * reads would hold the writer up.
   */
  readonly file: string | undefined
}

type Group = { channel: string; subscription: string }
type Ranged = Group & { priority: number; now: number }
type JobDbRow = Omit<BoardJobRow, 'progress'> & { progress: Buffer | null }

/**
 * Prepares the board's reads on `db`. `snapshot` runs a function in one read transaction (the
 * store's, so that its errors are translated as every read's are).
 *
 * @example
 * const reads = prepareBoardReads(db, (fn) => db.transaction(fn).deferred())
 * reads.queueCounts(Date.now()).groups
 */
export function prepareBoardReads(db: Database.Database, snapshot: <R>(fn: () => R) => R): SqliteBoardReads {
  const { query, pluck, bare, barePluck } = preparers(db)
  const s = {
    subscriptions: bare<Group>(sql.subscriptions),
    channelSubscriptions: pluck<{ channel: string }, string>(sql.channelSubscriptions),
    priorities: pluck<Group, number>(sql.priorities),
    total: barePluck<number>(sql.total),
    due: pluck<Ranged, number>(sql.due),
    notDue: pluck<Ranged, number>(sql.notDue),
    leased: query<{ now: number }, Group & { priority: number; due: number; n: number }>(sql.leased),
    head: pluck<Ranged, number>(sql.head),
    dead: bare<{ channel: string; n: number }>(sql.dead),
    paused: barePluck<string>(sql.paused),
    waitingAfter: query<Ranged & { v: number; id: number; limit: number }, JobDbRow>(sql.waitingAfter),
    delayedAfter: query<Ranged & { v: number; id: number; limit: number }, JobDbRow>(sql.delayedAfter),
    byKey: pluck<Group & { key: string }, number>(sql.byKey),
    deadByKey: pluck<{ channel: string; key: string }, number>(sql.deadByKey),
    arrivals: query<{ after: number }, { channel: string; n: number }>(sql.arrivals),
  }
  // Per (channel, subscription, priority): its size and which side was smaller last time. The
  // largest group is counted by subtraction from the whole table's count (a count of pages, not
  // entries), so a million-job queue costs its smaller side only.
  let lastSizes = new Map<string, { total: number; dueSmaller: boolean }>()

  const priorities = (g: Group): number[] => s.priorities.all(g)

  const queueCounts = (now: number): BoardQueueCounts => {
    const slices: Array<Ranged & { key: string }> = []
    for (const g of s.subscriptions.all()) {
      for (const priority of priorities(g)) slices.push({ ...g, priority, now, key: `${g.channel}\0${g.subscription}\0${priority}` })
    }
    const leased = new Map<string, { due: number; notDue: number }>()
    for (const row of s.leased.all({ now })) {
      const key = `${row.channel}\0${row.subscription}\0${row.priority}`
      const entry = leased.get(key) ?? { due: 0, notDue: 0 }
      if (row.due) entry.due += row.n
      else entry.notDue += row.n
      leased.set(key, entry)
    }
    let largest: (typeof slices)[number] | undefined
    for (const slice of slices) {
      if (largest === undefined || (lastSizes.get(slice.key)?.total ?? -1) > (lastSizes.get(largest.key)?.total ?? -1)) largest = slice
    }
    const sizes = new Map<string, { due: number; notDue: number }>()
    let others = 0
    for (const slice of slices) {
      if (slice === largest) continue
      const size = { due: s.due.get(slice) ?? 0, notDue: s.notDue.get(slice) ?? 0 }
      others += size.due + size.notDue
      sizes.set(slice.key, size)
    }
    if (largest !== undefined) {
      const rest = (s.total.get() ?? 0) - others
      const dueSmaller = lastSizes.get(largest.key)?.dueSmaller ?? false
      const counted = dueSmaller ? (s.due.get(largest) ?? 0) : (s.notDue.get(largest) ?? 0)
      const size = dueSmaller ? { due: counted, notDue: rest - counted } : { due: rest - counted, notDue: counted }
      // Never expected (every row has a subscription row), but a count must never go negative.
      if (size.due < 0 || size.notDue < 0) Object.assign(size, { due: s.due.get(largest) ?? 0, notDue: s.notDue.get(largest) ?? 0 })
      sizes.set(largest.key, size)
    }
    const next = new Map<string, { total: number; dueSmaller: boolean }>()
    const groups = new Map<string, BoardGroupCounts>()
    for (const slice of slices) {
      const size = sizes.get(slice.key)!
      next.set(slice.key, { total: size.due + size.notDue, dueSmaller: size.due < size.notDue })
      const inFlight = leased.get(slice.key) ?? { due: 0, notDue: 0 }
      const groupKey = `${slice.channel}\0${slice.subscription}`
      const counts = groups.get(groupKey) ?? { channel: slice.channel, subscription: slice.subscription, ready: 0, delayed: 0, inFlight: 0, oldestReadyCreatedAt: null }
      counts.ready += size.due - inFlight.due
      counts.delayed += size.notDue - inFlight.notDue
      counts.inFlight += inFlight.due + inFlight.notDue
      const head = size.due - inFlight.due > 0 ? s.head.get(slice) : undefined
      if (head !== undefined && (counts.oldestReadyCreatedAt === null || head < counts.oldestReadyCreatedAt)) counts.oldestReadyCreatedAt = head
      groups.set(groupKey, counts)
    }
    lastSizes = next
    // Subscriptions with nothing queued are listed too (a channel with only dead letters).
    for (const g of s.subscriptions.all()) {
      const key = `${g.channel}\0${g.subscription}`
      if (!groups.has(key)) groups.set(key, { ...g, ready: 0, delayed: 0, inFlight: 0, oldestReadyCreatedAt: null })
    }
    const dead: Record<string, number> = {}
    for (const row of s.dead.all()) dead[row.channel] = row.n
    return { at: now, groups: [...groups.values()], dead, paused: s.paused.all() }
  }

  // One page in queue order over every subscription of the channel: each (subscription, priority)
  // slice gives at most `limit` rows after the cursor, and the merge keeps the first `limit`.
  const page = (which: 'waiting' | 'delayed', channel: string, cursor: QueueCursor | null, limit: number, now: number): BoardJobRow[] => {
    const statement = which === 'waiting' ? s.waitingAfter : s.delayedAfter
    const rows: JobDbRow[] = []
    for (const subscription of s.channelSubscriptions.all({ channel })) {
      for (const priority of priorities({ channel, subscription })) {
        // Waiting: priority first, so slices above the cursor's priority are behind it. Delayed:
        // by run time across priorities, so every slice continues after the cursor.
        if (which === 'waiting' && cursor !== null && priority > cursor.priority) continue
        const after = cursor === null || (which === 'waiting' && priority < cursor.priority) ? { v: -Infinity, id: 0 } : { v: cursor.runAt, id: cursor.id }
        rows.push(...statement.all({ channel, subscription, priority, now, ...after, limit }))
      }
    }
    const order = which === 'waiting'
      ? (a: JobDbRow, b: JobDbRow) => b.priority - a.priority || a.runAt - b.runAt || a.id - b.id
      : (a: JobDbRow, b: JobDbRow) => a.runAt - b.runAt || a.id - b.id
    return rows.sort(order).slice(0, limit).map(toBoardRow)
  }

  return {
    file: readableFile(db),
    queueCounts: (now) => snapshot(() => queueCounts(now)),
    waiting: (channel, cursor, limit, now) => snapshot(() => page('waiting', channel, cursor, limit, now)),
    delayed: (channel, cursor, limit, now) => snapshot(() => page('delayed', channel, cursor, limit, now)),
    idsByKey: (channel, key) =>
      snapshot(() => {
        const ids = s.channelSubscriptions.all({ channel }).flatMap((subscription) => s.byKey.all({ channel, subscription, key }))
        const dead = s.deadByKey.get({ channel, key })
        return [...ids, ...(dead === undefined ? [] : [dead])].sort((a, b) => a - b)
      }),
    arrivalsAfter: (afterId) =>
      snapshot(() => {
        const counts: Record<string, number> = {}
        for (const row of s.arrivals.all({ after: afterId })) counts[row.channel] = row.n
        return counts
      }),
  }
}

function readableFile(db: Database.Database): string | undefined {
  if (db.memory || db.readonly) return undefined
  try {
    return db.pragma('journal_mode', { simple: true }) === 'wal' ? resolve(db.name) : undefined
  } catch {
    return undefined // then the board reads on this connection, as it always could
  }
}

function toBoardRow(row: JobDbRow): BoardJobRow {
  const progress = row.progress
  return { ...row, progress: progress === null ? null : new Uint8Array(progress.buffer, progress.byteOffset, progress.byteLength) }
}
