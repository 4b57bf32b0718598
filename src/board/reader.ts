// Where the board's store reads run. A board over a broker whose store is a file in WAL mode reads
// it in a worker thread, on a read-only connection of its own (workerReader.ts): the application's
// thread then only probes for changes and serves what the worker answered, and the reads (the
// overview's counts, a channel's page of jobs) run beside it, on another core. Everywhere else (a
// board over a file it opened, the CLI's own process; an in-memory broker, or an application's
// handle in another journal mode) the reads run where the board is served, as they always did.
import type { BoardSource } from './source.js'
import { readOps } from './readOps.js'
import type { ReadOp, ReadOps } from './readOps.js'
import { onBoardTime } from './threadTime.js'
import { workerReader } from './workerReader.js'

/** The board's reads, answered asynchronously wherever they run. */
export type BoardReader = { [K in ReadOp]: (...args: Parameters<ReadOps[K]>) => Promise<ReturnType<ReadOps[K]>> } & {
  /** 'worker' while the reads run in the worker thread; 'here' on the serving thread. */
  readonly where: 'here' | 'worker'
  /** Ends the worker (its connection closes); later reads run here. Idempotent. */
  close(): void
}

/**
 * The reader for `source`: in a worker when `source.readFile` names a file it may read beside the
 * application, otherwise on this thread.
 *
 * @example
 * const reader = openReader(source)
 * const { overview } = await reader.overview(Date.now())
 */
export function openReader(source: BoardSource): BoardReader {
  const local = localReader(source)
  const file = source.readFile
  return file === undefined ? local : (workerReader(file, local) ?? local)
}

/**
 * The reads on this thread, on the source's own connection (counted as the board's time here).
 *
 * @example
 * await localReader(source).job(42, Date.now())
 */
export function localReader(source: BoardSource): BoardReader {
  const ops = readOps(() => source.store)
  const here = <K extends ReadOp>(op: K) =>
    (...args: Parameters<ReadOps[K]>): Promise<ReturnType<ReadOps[K]>> =>
      new Promise((resolve) => resolve(onBoardTime(() => (ops[op] as (...a: Parameters<ReadOps[K]>) => ReturnType<ReadOps[K]>)(...args))))
  return {
    where: 'here',
    overview: here('overview'),
    channel: here('channel'),
    lookUp: here('lookUp'),
    job: here('job'),
    close: () => {},
  }
}
