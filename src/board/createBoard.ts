// createBoard: the web board over a database file or a broker, as a plain Node request handler
// that mounts in http.createServer, Express or Fastify (under a prefix: basePath).
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Broker } from '../api/brokerInterface.js'
import { InvalidArgumentError } from '../errors.js'
import { TokenCheck } from './http.js'
import { LiveBoard } from './live.js'
import { createHandler } from './server.js'
import type { BoardContext } from './server.js'
import { openReader } from './reader.js'
import { openSource } from './source.js'
import { boardActions } from './extraActions.js'

/**
 * What the board shows: a database file it opens itself (or, a postgres:// URL in its place, that
 * PostgreSQL store, its schema in `?schema=`), or a running broker's store.
 */
export type BoardTarget = { path: string } | { broker: Broker }

/** How the board behaves. */
export interface BoardOptions {
  /** Refuse every action (403) and hide them; a file is then opened readonly. Default false. */
  readOnly?: boolean
  /**
   * The secret every request but /metrics and the page's own files needs (an action in its
   * X-Board-Token header; a read in that header or the cookie the page's URL sets). Default: a
   * random one per createBoard, readable as `board.token`.
   */
  token?: string
  /** The prefix the board is mounted under, e.g. '/board' (default: the root). */
  basePath?: string
  /** /metrics needs the token too. Default false: scrapers read it without. */
  metricsNeedToken?: boolean
}

/** A board: its request handler, its token, and close(). */
export interface Board {
  /** A Node request handler: `http.createServer(board.handler)`, or mounted by a framework. */
  handler(req: IncomingMessage, res: ServerResponse): void
  /** The token (given, or made at random). */
  readonly token: string
  /** The page's URL on `origin` (e.g. 'http://127.0.0.1:4545'), with the token to open it once. */
  url(origin: string): string
  /** Ends the live updates and the board's reader thread, and closes a file the board opened (a broker stays the application's). */
  close(): void
}

const OPTION_KEYS = new Set(['readOnly', 'token', 'basePath', 'metricsNeedToken'])

/**
 * Creates a web board: every durable channel's queue, jobs and schedules, live, with repairs
 * (pause, resume, cancel, replay, purge, run a schedule now) unless `readOnly`.
 *
 * @example
 * import http from 'node:http'
 * import { createBoard } from 'durable-ipc/board'
 * const board = createBoard({ path: 'app.db' }, { readOnly: true })
 * // or: createBoard({ path: 'postgres://app:secret@db:5432/app?schema=jobs' })
 * http.createServer(board.handler).listen(4545, '127.0.0.1')
 * console.log(board.url('http://127.0.0.1:4545'))
 */
export function createBoard(target: BoardTarget, options: BoardOptions = {}): Board {
  if (typeof target !== 'object' || target === null || !('path' in target || 'broker' in target)) {
    throw new InvalidArgumentError('Expected createBoard({ path }) or createBoard({ broker })')
  }
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('Expected board options to be an object')
  for (const key of Object.keys(options)) if (!OPTION_KEYS.has(key)) throw new InvalidArgumentError(`Unknown board option '${key}'`)
  const { readOnly = false, metricsNeedToken = false } = options
  if (typeof readOnly !== 'boolean') throw new InvalidArgumentError('Expected readOnly to be a boolean')
  if (typeof metricsNeedToken !== 'boolean') throw new InvalidArgumentError('Expected metricsNeedToken to be a boolean')
  const token = options.token ?? randomBytes(24).toString('base64url')
  if (typeof token !== 'string' || !/^[\x21-\x7e]{16,256}$/.test(token)) {
    throw new InvalidArgumentError('Expected token to be 16 to 256 printable ASCII characters without spaces')
  }
  const basePath = (options.basePath ?? '').replace(/\/+$/, '')
  if (basePath !== '' && !/^(\/[A-Za-z0-9._~-]+)+$/.test(basePath)) throw new InvalidArgumentError(`Expected basePath to be a path such as '/board', not '${options.basePath}'`)

  const source = openSource(target, { readOnly })
  const reader = openReader(source)
  const live = new LiveBoard(source, reader)
  const context: BoardContext = { source, live, reader, token: new TokenCheck(token), readOnly, basePath, metricsNeedToken, actions: boardActions(source) }
  const handler = createHandler(context)
  let closed = false
  return {
    handler,
    token,
    url: (origin) => `${origin.replace(/\/+$/, '')}${basePath}/?token=${encodeURIComponent(token)}`,
    close() {
      if (closed) return
      closed = true
      live.close()
      reader.close()
      source.close()
    },
  }
}
