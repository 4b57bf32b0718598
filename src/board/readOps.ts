// The board's store reads as operations a reader runs, on the application's thread (reader.ts) or
// in a worker thread on a connection of its own (readerWorker.ts): the same code either way. Each
// answers plain data (the overview, merged with a broker's counts by the live board) or the JSON
// text of what a page gets, so that the thread serving the page only puts it together.
import type { JobState, Store } from '../store/index.js'
import { readOverview } from './overview.js'
import type { Overview } from './overview.js'
import { jobDetail, jobsPage, lookUp } from './queries.js'
import type { HeldCounts } from './throughput.js'

/** The reads, by name: what the board's pages and its snapshots ask of the store. */
export interface ReadOps {
  /**
   * The overview's counts, what each channel holds (for the delivery estimate), and how long the
   * read took where it ran (ms; the live board's budget: not a thread's start or a queue's wait).
   */
  overview(now: number): { overview: Overview; held: HeldCounts[]; tookMs: number }
  /** A channel's config and one page of its jobs, as JSON texts; undefined for no such channel. */
  channel(name: string, state: JobState, cursor: string | null, limit: number, now: number): { config: string; page: string } | undefined
  /** The ids of a channel's jobs matching `query` as JSON text; undefined for no such channel. */
  lookUp(name: string, query: string, now: number): string | undefined
  /** Job `id` in full as JSON text; undefined when nothing is left of it. */
  job(id: number, now: number): string | undefined
}

/** The name of one read. */
export type ReadOp = keyof ReadOps

/**
 * The reads over `store` (a function: a broker's in-memory store opens on first use).
 *
 * @example
 * const ops = readOps(() => store)
 * ops.channel('jobs', 'waiting', null, 50, Date.now())?.page
 */
export function readOps(store: () => Store): ReadOps {
  return {
    overview(now) {
      const started = performance.now()
      const { overview, held } = readOverview(store(), now)
      return { overview, held, tookMs: performance.now() - started }
    },
    channel(name, state, cursor, limit, now) {
      const s = store()
      const config = s.getChannel(name)
      if (config === undefined) return undefined
      return { config: JSON.stringify(config), page: JSON.stringify(jobsPage(s, name, state, cursor, limit, now)) }
    },
    lookUp(name, query, now) {
      const s = store()
      if (s.getChannel(name) === undefined) return undefined
      return JSON.stringify(lookUp(s, name, query, now))
    },
    job(id, now) {
      const job = jobDetail(store(), id, now)
      return job === undefined ? undefined : JSON.stringify(job)
    },
  }
}

/**
 * Runs read `op` with `args` (what a reader's message names).
 *
 * @example
 * runRead(ops, 'job', [42, Date.now()])
 */
export function runRead<K extends ReadOp>(ops: ReadOps, op: K, args: Parameters<ReadOps[K]>): ReturnType<ReadOps[K]> {
  const read = ops[op] as (...a: Parameters<ReadOps[K]>) => ReturnType<ReadOps[K]>
  return read(...args)
}
