// The board's HTTP plumbing: the security headers every answer carries, JSON and text answers,
// request bodies (JSON only, size-capped), the token (header, cookie, or once in the URL), and the
// Origin check that keeps other sites from posting.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { BoardRequestError } from './errors.js'

const MAX_BODY_BYTES = 64 * 1024

/** No inline script or style, nothing from elsewhere, no framing: the page runs only the board's own files. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/**
 * Sets the headers every answer of the board carries.
 *
 * @example
 * securityHeaders(res)
 */
export function securityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY)
  res.setHeader('X-Content-Type-Options', 'nosniff')
  // The board's URL may carry its token: never send it on.
  res.setHeader('Referrer-Policy', 'no-referrer')
  res.setHeader('X-Frame-Options', 'DENY')
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin')
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin')
  res.setHeader('Cache-Control', 'no-store')
}

/**
 * Answers `value` as JSON.
 *
 * @example
 * sendJson(res, 200, { ok: true })
 */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  sendJsonText(res, status, JSON.stringify(value))
}

/**
 * Answers `json`, text that is JSON already (a snapshot's, made once; a reader thread's).
 *
 * @example
 * sendJsonText(res, 200, '{"ok":true}')
 */
export function sendJsonText(res: ServerResponse, status: number, json: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(json) })
  res.end(json)
}

/**
 * Answers plain text (error pages: text, so nothing in them can be markup).
 *
 * @example
 * sendText(res, 404, 'Not found')
 */
export function sendText(res: ServerResponse, status: number, text: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) })
  res.end(text)
}

/**
 * Reads a JSON request body (at most 64 KiB, Content-Type application/json; an empty body is {}).
 *
 * @example
 * const body = await readJsonBody(req)
 */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  if (type !== 'application/json') throw new BoardRequestError(415, 'ERR_BOARD_UNSUPPORTED_TYPE', 'Expected Content-Type: application/json')
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new BoardRequestError(413, 'ERR_BOARD_TOO_LARGE', 'The request body is over 64 KiB')
    chunks.push(chunk as Buffer)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') return {}
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new BoardRequestError(400, 'ERR_BOARD_BAD_REQUEST', 'The request body is not JSON')
  }
}

/** The board's token and the ways a request may show it. */
export class TokenCheck {
  readonly token: string
  /** Named after the token, so boards on other ports of the same host keep their own cookies. */
  readonly cookieName: string
  readonly #bytes: Buffer

  constructor(token: string) {
    this.token = token
    this.#bytes = Buffer.from(token)
    this.cookieName = `durable_ipc_board_${createHash('sha256').update(token).digest('hex').slice(0, 12)}`
  }

  /** True when `candidate` is the token (compared in constant time). */
  matches(candidate: string | undefined): boolean {
    if (candidate === undefined) return false
    const bytes = Buffer.from(candidate)
    return bytes.length === this.#bytes.length && timingSafeEqual(bytes, this.#bytes)
  }

  /** The token sent in the `X-Board-Token` header (what the page's actions send). */
  inHeader(req: IncomingMessage): boolean {
    const value = req.headers['x-board-token']
    return this.matches(typeof value === 'string' ? value : undefined)
  }

  /** The token sent in the header or this board's cookie (what reads accept). */
  shown(req: IncomingMessage): boolean {
    return this.inHeader(req) || this.matches(cookie(req, this.cookieName))
  }

  /** The Set-Cookie value that lets the browser show the token from now on. */
  setCookie(path: string): string {
    return `${this.cookieName}=${encodeURIComponent(this.token)}; Path=${path}; HttpOnly; SameSite=Strict`
  }
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of String(req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=')
    if (at > 0 && part.slice(0, at).trim() === name) {
      try {
        return decodeURIComponent(part.slice(at + 1).trim())
      } catch {
        return undefined
      }
    }
  }
  return undefined
}

/**
 * Refuses (403) a request a browser sent from another origin: its Origin header must name the
 * host it was sent to. A request without one (curl, a script) passes: it still needs the token.
 *
 * @example
 * checkOrigin(req) // throws for Origin: https://evil.example
 */
export function checkOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin
  const site = req.headers['sec-fetch-site']
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new BoardRequestError(403, 'ERR_BOARD_FORBIDDEN', 'Cross-site requests are refused')
  if (origin === undefined) return
  let host: string | undefined
  try {
    host = new URL(origin).host
  } catch {
    host = undefined
  }
  if (host === undefined || host === '' || host !== req.headers.host) throw new BoardRequestError(403, 'ERR_BOARD_FORBIDDEN', 'Requests from another origin are refused')
}
