// Reading jobs wherever they are: in the queue (delayed, waiting, active), in the dead letters, or
// as a stored outcome (completed, cancelled, a handler job's failure). One job by id costs up to
// three primary-key look-ups; a page of a channel's jobs reads each place in id order from `afterId`
// and merges them, so a page costs what it returns, not what the file holds.

import type Database from 'better-sqlite3'
import type { JobRow, JobsQuery, Payload } from '../types.js'
import { toJobRow } from '../jobRows.js'
import type { JobColumns } from '../jobRows.js'

/** A job row as SQLite returns it, before its state is decided. */
interface JobDbRow extends JobColumns {
  payload: Payload | null
  progress: Buffer | null
}

// A live lease is 'active'; an expired one reads as waiting, since the next claim takes it.
const queueState = `CASE WHEN lease_owner IS NOT NULL AND lease_until > @now THEN 'active'
    WHEN visible_at > @now THEN 'delayed' ELSE 'waiting' END`
const queueColumns = `id, channel, subscription, kind, payload, attempts, priority, progress, created_at AS createdAt, visible_at AS runAt,
  last_error AS lastError, ${queueState} AS state`
// A message in hand (inHand.ts) is leased and has not started: no key, attempts, error or progress.
const inHandColumns = `id, channel, subscription, kind, payload, 0 AS attempts, priority, NULL AS progress, created_at AS createdAt,
  visible_at AS runAt, NULL AS lastError, ${queueState} AS state`
const deadColumns = `id, channel, subscription, kind, payload, attempts, priority, progress, created_at AS createdAt, failed_at AS runAt,
  last_error AS lastError, 'dead' AS state`
// A handler job's failure reads 'dead': it is kept while it is a dead letter and after a purge.
const outcomeColumns = `id, channel, subscription, NULL AS kind, NULL AS payload, attempts, priority, NULL AS progress, created_at AS createdAt,
  COALESCE(run_at, completed_at) AS runAt, last_error AS lastError,
  CASE state WHEN 'failed' THEN 'dead' ELSE state END AS state`

const sql = {
  queued: `SELECT ${queueColumns} FROM durable_ipc_messages WHERE id = @id`,
  inHand: `SELECT ${inHandColumns} FROM durable_ipc_in_hand WHERE id = @id`,
  dead: `SELECT ${deadColumns} FROM durable_ipc_dead_letters WHERE id = @id`,
  outcome: `SELECT ${outcomeColumns} FROM durable_ipc_job_results WHERE id = @id`,

  // By primary key from @after (no channel index on the queue: a page reads until it is full).
  queuedPage: `SELECT ${queueColumns} FROM durable_ipc_messages
    WHERE id > @after AND channel = @channel ORDER BY id LIMIT @limit`,
  // Only the few live leases, from the partial lease index.
  activePage: `SELECT ${queueColumns} FROM durable_ipc_messages INDEXED BY durable_ipc_messages_lease
    WHERE lease_owner IS NOT NULL AND lease_until > @now AND channel = @channel AND id > @after ORDER BY id LIMIT @limit`,
  waitingPage: `SELECT ${queueColumns} FROM durable_ipc_messages
    WHERE id > @after AND channel = @channel AND visible_at <= @now AND (lease_owner IS NULL OR lease_until <= @now)
    ORDER BY id LIMIT @limit`,
  delayedPage: `SELECT ${queueColumns} FROM durable_ipc_messages
    WHERE id > @after AND channel = @channel AND visible_at > @now AND (lease_owner IS NULL OR lease_until <= @now)
    ORDER BY id LIMIT @limit`,
  // A handful of rows: read whole, filtered by the state they are in.
  inHandPage: `SELECT * FROM (SELECT ${inHandColumns} FROM durable_ipc_in_hand WHERE channel = @channel AND id > @after)
    WHERE @state IS NULL OR state = @state ORDER BY id LIMIT @limit`,
  deadPage: `SELECT ${deadColumns} FROM durable_ipc_dead_letters WHERE channel = @channel AND id > @after ORDER BY id LIMIT @limit`,
  // From the (channel, id) index (006); a failure whose dead letter is there is listed as that.
  outcomePage: `SELECT ${outcomeColumns} FROM durable_ipc_job_results AS r
    WHERE channel = @channel AND id > @after AND (@state IS NULL OR state = @state)
      AND NOT EXISTS (SELECT 1 FROM durable_ipc_dead_letters AS d WHERE d.id = r.id)
    ORDER BY id LIMIT @limit`,
} as const

type Page = { channel: string; after: number; limit: number; now: number }

/** The job reads of one open store. */
export interface JobReads {
  job(id: number, now: number): JobRow | undefined
  jobs(channel: string, query: JobsQuery, now: number): JobRow[]
}

/**
 * Prepares the job reads. Call once per open, after migrating.
 *
 * @example
 * const reads = prepareJobReads(db)
 * reads.job(42, Date.now())?.state // 'waiting'
 */
export function prepareJobReads(db: Database.Database): JobReads {
  const one = (source: string) => db.prepare<[{ id: number; now: number }], JobDbRow>(source).safeIntegers(false)
  const page = (source: string) => db.prepare<[Page & { state?: string | null }], JobDbRow>(source).safeIntegers(false)
  const queued = one(sql.queued)
  const inHand = one(sql.inHand)
  const dead = db.prepare<[{ id: number }], JobDbRow>(sql.dead).safeIntegers(false)
  const outcome = db.prepare<[{ id: number }], JobDbRow>(sql.outcome).safeIntegers(false)
  const pages = {
    queued: page(sql.queuedPage),
    active: page(sql.activePage),
    waiting: page(sql.waitingPage),
    delayed: page(sql.delayedPage),
    inHand: page(sql.inHandPage),
    dead: page(sql.deadPage),
    outcome: page(sql.outcomePage),
  }

  return {
    job(id, now) {
      const row = queued.get({ id, now }) ?? inHand.get({ id, now }) ?? dead.get({ id }) ?? outcome.get({ id })
      return row && toJobRow(row, row.payload)
    },
    jobs(channel, { state, limit, afterId }, now) {
      const p: Page = { channel, after: afterId, limit, now }
      const lists: JobDbRow[][] = []
      if (state === undefined) lists.push(pages.queued.all(p), pages.inHand.all({ ...p, state: null }), pages.dead.all(p), pages.outcome.all({ ...p, state: null }))
      else if (state === 'active' || state === 'waiting' || state === 'delayed') lists.push(pages[state].all(p), pages.inHand.all({ ...p, state }))
      else if (state === 'dead') lists.push(pages.dead.all(p), pages.outcome.all({ ...p, state: 'failed' }))
      else lists.push(pages.outcome.all({ ...p, state }))
      return lists.flat().sort((a, b) => a.id - b.id).slice(0, limit).map((row) => toJobRow(row, row.payload))
    },
  }
}
