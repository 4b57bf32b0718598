// The board's request handler: routing under its base path, the token (reads: header or cookie;
// the page's URL may bring it once), the Origin check and the token header for every POST, 403 for
// any action on a read-only board, JSON endpoints, Server-Sent Events and /metrics. No action is
// reachable by GET. Errors answer with a code and a message, never a stack.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { BrokerClosedError, DurableIpcError, StoreError, UnknownChannelError } from '../errors.js'
import type { JobState } from '../store/index.js'
import { channelAction } from './actions.js'
import type { ActionResult } from './actions.js'
import { loadAssets } from './assets.js'
import { BoardRequestError } from './errors.js'
import { checkOrigin, readJsonBody, securityHeaders, sendJson, sendJsonText, sendText } from './http.js'
import type { TokenCheck } from './http.js'
import type { LiveBoard } from './live.js'
import { METRICS_CONTENT_TYPE, metricsText } from './metrics.js'
import { JOB_STATES, parseId } from './queries.js'
import type { BoardReader } from './reader.js'
import type { BoardSource } from './source.js'
import { onBoardTime } from './threadTime.js'

/** What the handler works with. */
export interface BoardContext {
  source: BoardSource
  live: LiveBoard
  /** Where the store reads run (reader.ts): the pages' JSON comes from there. */
  reader: BoardReader
  token: TokenCheck
  readOnly: boolean
  /** '' or a prefix such as '/board' (no trailing slash). */
  basePath: string
  metricsNeedToken: boolean
  /** Extra actions (cancel, schedules) by route: `jobs/cancel`, `schedules/run`. */
  actions: Partial<Record<'jobs/cancel' | 'schedules/run', (target: string, body: unknown) => ActionResult>>
}

/**
 * Makes the request handler of one board.
 *
 * @example
 * http.createServer(createHandler(context)).listen(4545, '127.0.0.1')
 */
export function createHandler(context: BoardContext): (req: IncomingMessage, res: ServerResponse) => void {
  // The board's time on the serving thread is counted (threadTime.ts): this synchronous part here,
  // what follows each read's answer where it is awaited.
  return (req, res) =>
    onBoardTime(() => {
      securityHeaders(res)
      handle(context, req, res).catch((err: unknown) => onBoardTime(() => fail(res, err, wantsJson(req))))
    })
}

async function handle(context: BoardContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://board.invalid')
  // The path the browser asked for: a framework that mounts the handler (Express) keeps it in
  // originalUrl and hands over the rest.
  const full = new URL((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/', 'http://board.invalid').pathname
  let path = url.pathname
  if (context.basePath !== '' && (path === context.basePath || path.startsWith(`${context.basePath}/`))) path = path.slice(context.basePath.length)
  if (path === '' || (path === '/' && !full.endsWith('/'))) {
    // Relative URLs in the page resolve against a directory: '/board' must become '/board/'.
    res.writeHead(308, { Location: `${full}/${url.search}` }).end()
    return
  }
  const method = req.method ?? 'GET'
  const route = path.split('/').slice(1).map((part) => decodeURIComponent(part))

  if (route[0] === 'static' && route.length === 2) return staticFile(res, method, route[1]!)
  if (path === '/metrics') {
    only(method, 'GET')
    if (context.metricsNeedToken) requireToken(context, req)
    available(context)
    const overview = await context.live.overview()
    return onBoardTime(() => {
      res.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE })
      res.end(metricsText(overview))
    })
  }
  if (method === 'POST') return post(context, req, res, route)
  only(method, 'GET')
  if (path === '/' || path === '/index.html') return page(context, req, res, url, full)
  requireToken(context, req)
  available(context)
  if (route[0] !== 'api') throw notFound()
  const now = Date.now()
  const { reader } = context
  switch (route[1]) {
    case 'session':
      return sendJson(res, 200, { token: context.token.token, readOnly: context.readOnly, states: JOB_STATES, canCancel: context.actions['jobs/cancel'] !== undefined })
    case 'events':
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' })
      context.live.subscribe(res)
      return
    case 'overview': {
      const json = await context.live.overviewJson()
      return onBoardTime(() => sendJsonText(res, 200, json))
    }
    case 'channels': {
      const name = route[2]
      if (name === undefined) throw notFound()
      if (route[3] === 'lookup') {
        const ids = await reader.lookUp(name, url.searchParams.get('q') ?? '', now)
        if (ids === undefined) throw noChannel(name)
        return onBoardTime(() => sendJsonText(res, 200, `{"ids":${ids}}`))
      }
      if (route.length !== 3) throw notFound()
      const state = (url.searchParams.get('state') ?? 'waiting') as JobState
      if (!JOB_STATES.includes(state)) throw new BoardRequestError(400, 'ERR_BOARD_BAD_REQUEST', `state must be one of ${JOB_STATES.join(', ')}`)
      const limitText = url.searchParams.get('limit')
      const limit = limitText === null ? 50 : parseId(limitText, 'page size')
      if (limit < 1 || limit > 500) throw new BoardRequestError(400, 'ERR_BOARD_BAD_REQUEST', 'limit must be from 1 to 500')
      const [answer, overview] = await Promise.all([reader.channel(name, state, url.searchParams.get('cursor'), limit, now), context.live.overview()])
      if (answer === undefined) throw noChannel(name)
      return onBoardTime(() => {
        const summary = JSON.stringify(overview.channels.find((c) => c.name === name) ?? null)
        sendJsonText(res, 200, `{"version":${context.live.version},"config":${answer.config},"summary":${summary},"page":${answer.page}}`)
      })
    }
    case 'jobs': {
      if (route.length !== 3) throw notFound()
      const job = await reader.job(parseId(route[2]!, 'job id'), now)
      if (job === undefined) throw new BoardRequestError(404, 'ERR_BOARD_NOT_FOUND', `Nothing is left of job ${route[2]} (acknowledged, past its retention, or never stored)`)
      return onBoardTime(() => sendJsonText(res, 200, `{"version":${context.live.version},"job":${job}}`))
    }
    default:
      throw notFound()
  }
}

// Every POST: from this origin, with the token in its header, on a board that may act.
async function post(context: BoardContext, req: IncomingMessage, res: ServerResponse, route: string[]): Promise<void> {
  checkOrigin(req)
  if (!context.token.inHeader(req)) throw new BoardRequestError(401, 'ERR_BOARD_UNAUTHORIZED', 'Actions need the board token in the X-Board-Token header')
  if (context.readOnly) throw new BoardRequestError(403, 'ERR_BOARD_FORBIDDEN', 'This board is read-only')
  available(context)
  const body = await readJsonBody(req)
  onBoardTime(() => act(context, res, route, body))
}

function act(context: BoardContext, res: ServerResponse, route: string[], body: unknown): void {
  if (route[0] !== 'api' || route.length !== 4) throw notFound()
  const [, kind, target, name] = route as [string, string, string, string]
  let result: ActionResult
  if (kind === 'channels') {
    result = channelAction(context.source, target, name, body)
    context.live.changed(name === 'purge' ? { channel: target, count: result.count } : undefined)
  } else {
    const action = context.actions[`${kind}/${name}` as keyof BoardContext['actions']]
    if (action === undefined) throw notFound()
    result = action(target, body)
    context.live.changed()
  }
  sendJson(res, 200, result)
}

// The page itself: with ?token=..., the token becomes a cookie and leaves the address bar.
function page(context: BoardContext, req: IncomingMessage, res: ServerResponse, url: URL, full: string): void {
  const given = url.searchParams.get('token')
  if (given !== null) {
    if (!context.token.matches(given)) throw new BoardRequestError(401, 'ERR_BOARD_UNAUTHORIZED', 'Wrong token: open the URL the board printed')
    url.searchParams.delete('token')
    const directory = full.slice(0, full.lastIndexOf('/') + 1)
    res.writeHead(303, { Location: `${directory}${url.search}`, 'Set-Cookie': context.token.setCookie(directory) }).end()
    return
  }
  requireToken(context, req)
  staticFile(res, 'GET', 'index.html')
}

function staticFile(res: ServerResponse, method: string, name: string): void {
  only(method, 'GET')
  const asset = loadAssets().get(name)
  if (asset === undefined) throw notFound()
  res.writeHead(200, { 'Content-Type': asset.type, 'Content-Length': asset.body.length })
  res.end(asset.body)
}

function requireToken(context: BoardContext, req: IncomingMessage): void {
  if (!context.token.shown(req)) throw new BoardRequestError(401, 'ERR_BOARD_UNAUTHORIZED', 'This board needs its token: open the URL it printed (…/?token=…)')
}

function available(context: BoardContext): void {
  if (!context.source.isOpen()) throw new BoardRequestError(503, 'ERR_BOARD_UNAVAILABLE', 'The broker is closed')
}

function only(method: string, allowed: string): void {
  if (method !== allowed && !(allowed === 'GET' && method === 'HEAD')) throw new BoardRequestError(405, 'ERR_BOARD_METHOD', `Use ${allowed} here`)
}

function noChannel(name: string): BoardRequestError {
  return new BoardRequestError(404, 'ERR_BOARD_NOT_FOUND', `No durable channel '${name}'`)
}

function notFound(): BoardRequestError {
  return new BoardRequestError(404, 'ERR_BOARD_NOT_FOUND', 'Not found')
}

function wantsJson(req: IncomingMessage): boolean {
  return (req.url ?? '').includes('/api/') || req.method === 'POST'
}

// Known failures answer with their code and first line; anything else is the board's own bug:
// logged here, answered without details.
function fail(res: ServerResponse, err: unknown, json: boolean): void {
  let status = 500
  let code = 'ERR_BOARD_INTERNAL'
  let message = 'The board failed to answer (see the server log)'
  if (err instanceof BoardRequestError) {
    status = err.status
    code = err.code
    message = err.message
  } else if (err instanceof UnknownChannelError) {
    status = 404
    code = err.code
    message = err.message
  } else if (err instanceof BrokerClosedError || (err instanceof StoreError && (err.code === 'ERR_STORE_BUSY' || err.code === 'ERR_STORE_CLOSED'))) {
    status = 503
    code = err.code
    message = err.message.split('\n')[0]!
  } else if (err instanceof DurableIpcError) {
    // A store failure (disk full, I/O) is the server's; bad input to the library is the request's.
    status = err instanceof StoreError ? 500 : 400
    code = err.code
    message = err.message.split('\n')[0]!
  } else {
    console.error('durable-ipc board: unexpected error', err)
  }
  if (res.headersSent) {
    res.end()
    return
  }
  if (json) sendJson(res, status, { error: { code, message } })
  else sendText(res, status, `${message}\n`)
}
