// What the board looks at and repairs: a database file it opens itself (readonly, or as a
// maintenance session that changes nothing but the rows a repair writes), a PostgreSQL store named
// by a postgres:// URL in place of the file (target.ts), or the store of a broker it is given. Reads go to the store; each repair is one store transaction, through the
// maintenance session for a file, and through the broker's own API for a broker (so that its
// consumers hear of it at once: a store's own writes do not change its change token).
import { boardAccessOf } from '../api/boardAccess.js'
import type { Broker } from '../api/brokerInterface.js'
import { InvalidArgumentError } from '../errors.js'
import { decodeEnvelope } from '../protocol/envelope.js'
import { openForMaintenance, openPostgresStore, openSqliteStore } from '../store/index.js'
import type { SqliteBoardReads, Store } from '../store/index.js'
import { toolTarget } from './target.js'
import type { ToolTarget } from './target.js'

/** The board's view of a store, and the repairs it can make. */
export interface BoardSource {
  readonly store: Store
  /** A file opened by the board (true), or a broker's store (false). */
  readonly ownFile: boolean
  /**
   * The file behind a broker's store when the board may read it on a connection of its own (WAL:
   * beside the broker, off its thread; see reader.ts); undefined otherwise.
   */
  readonly readFile: string | undefined
  setPaused(channel: string, paused: boolean): void
  replay(channel: string, ids: readonly number[] | undefined): number
  purge(channel: string, ids: readonly number[] | undefined): number
  /** Enqueues schedule `name`'s message now (its slots stay as they are); the new job's id, or undefined for no such schedule. */
  runSchedule(name: string): number | undefined
  /** Cancels job `id`: true when it was delayed, waiting or active. */
  cancel(id: number): boolean
  /** Deliveries and failures counted by a broker since it opened, when the board has one. */
  counts(): ReadonlyMap<string, { delivered: number; failed: number }> | undefined
  /** False once a given broker closed: the board then answers 503. */
  isOpen(): boolean
  close(): void
}

/**
 * Opens the source for `createBoard`'s first argument: `{ path }` opens that file, or the
 * PostgreSQL store a postgres:// URL there names (readonly when `readOnly`, which never writes to
 * it); `{ broker }` uses that broker's store.
 *
 * @example
 * const source = openSource({ path: 'app.db' }, { readOnly: true })
 */
export function openSource(target: { path: string } | { broker: Broker }, options: { readOnly: boolean }): BoardSource {
  if ('broker' in target) return brokerSource(target.broker)
  if (typeof target.path !== 'string' || target.path === '') throw new InvalidArgumentError('Expected createBoard({ path }) to name a database file or a postgres:// URL')
  const place = toolTarget(target.path)
  if (place.kind === 'postgres') return postgresSource(place, options.readOnly)
  return options.readOnly ? fileSource(openSqliteStore({ path: target.path, readonly: true }), undefined) : maintenanceSource(target.path)
}

// Each store call is one transaction on PostgreSQL, and each repair here is one call (running a
// schedule now reads it, then publishes: two). Unless readOnly, the schema is checked readonly
// first, so that a mistyped schema is refused rather than created, and an older one not migrated.
function postgresSource(place: Extract<ToolTarget, { kind: 'postgres' }>, readOnly: boolean): BoardSource {
  const options = { connectionString: place.connectionString, ...(place.schema === undefined ? {} : { schema: place.schema }) }
  if (readOnly) return fileSource(openPostgresStore({ ...options, readonly: true }), undefined)
  openPostgresStore({ ...options, readonly: true }).close()
  return fileSource(openPostgresStore(options), (fn) => fn())
}

function fileSource(store: Store, transaction: (<R>(fn: () => R) => R) | undefined): BoardSource {
  const write = <R>(fn: () => R): R => {
    // Read-only boards refuse before they get here (403); this is the store's own guard.
    if (transaction === undefined) return fn()
    return transaction(fn)
  }
  return {
    store,
    ownFile: true,
    readFile: undefined, // the board's own file: read where it is served (the CLI: its own process)
    setPaused: (channel, paused) => write(() => store.setPaused(channel, paused)),
    replay: (channel, ids) => write(() => store.replay(channel, ids, Date.now())),
    purge: (channel, ids) => write(() => store.purgeDeadLetters(channel, ids)),
    // The read and the publish in one transaction: what is enqueued is the schedule as it is then.
    runSchedule: (name) =>
      write(() => {
        const row = store.listSchedules().find((s) => s.name === name)
        if (row === undefined) return undefined
        const now = Date.now()
        return store.publish({ channel: row.channel, payload: row.payload, kind: 'message', priority: row.priority, visibleAt: now, now }).id
      }),
    cancel: (id) => write(() => store.cancel(id, Date.now())),
    counts: () => undefined,
    isOpen: () => true,
    close: () => store.close(),
  }
}

function maintenanceSource(path: string): BoardSource {
  const session = openForMaintenance({ path })
  return { ...fileSource(session.store, (fn) => session.transaction(fn)), close: () => session.close() }
}

function brokerSource(broker: Broker): BoardSource {
  const access = boardAccessOf(broker)
  if (access === undefined) throw new InvalidArgumentError('Expected createBoard({ broker }) to be given a broker made by createBroker()')
  return {
    get store() {
      return access.store()
    },
    ownFile: false,
    readFile: fileOf(access.store()),
    setPaused: (channel, paused) => {
      const handle = broker.channel(channel)
      if (paused) handle.pause()
      else handle.resume()
    },
    replay: (channel, ids) => broker.channel(channel).replay(ids),
    purge: (channel, ids) => broker.channel(channel).purgeDeadLetters(ids),
    // Through the broker's enqueue, so that its consumer hears of the job at once.
    runSchedule: (name) => {
      const row = access.store().listSchedules().find((s) => s.name === name)
      if (row === undefined) return undefined
      return broker.enqueue(row.channel, decodeEnvelope(row.payload).args, { priority: row.priority }).id
    },
    // Through the broker, so that its running handler's event.signal is aborted at once.
    cancel: (id) => broker.cancel(id),
    counts: () => access.counts(),
    isOpen: () => access.open(),
    close: () => {}, // the broker is the application's: it closes it
  }
}

// SQLite's board reads name their file when a second connection may read it (boardReads.ts).
function fileOf(store: Store): string | undefined {
  try {
    return (store.boardReads?.() as Partial<SqliteBoardReads> | undefined)?.file
  } catch {
    return undefined
  }
}
