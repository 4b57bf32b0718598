// Shared fixtures of the board tests: a database file built through the public API in a fresh
// temp directory, a board served by a node:http server on port 0, and requests against it.

import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach } from 'vitest'
import { createBoard } from '../../src/board.js'
import type { Board, BoardOptions, BoardTarget } from '../../src/board.js'
import { createBroker } from '../../src/index.js'

export const TOKEN = 'board-test-token-0123456789'

/** A fresh temp directory for the test file; returns a path maker inside it. */
export function tempFiles(): (name: string) => string {
  const dir = mkdtempSync(join(tmpdir(), 'durable-ipc-board-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  let counter = 0
  return (name) => join(dir, `${++counter}-${name}`)
}

/** The payloads a page must show as characters and never run. */
export const XSS_ARG = '<img src=x onerror="window.__xss=1">'
export const XSS_ERROR = 'boom </script><script>window.__xss=2</script>'

/**
 * Builds a file through the public API: `orders` with 7 ready (priorities 0..2, keys), 3 delayed
 * and one carrying XSS_ARG; `emails` with 2 dead letters whose error carries XSS_ERROR; `reports`
 * paused and empty, with a schedule `nightly-report` (03:00 in Berlin).
 */
export async function buildStore(path: string): Promise<void> {
  const broker = createBroker({ path })
  broker.channel('orders', { durable: true })
  broker.channel('emails', { durable: true, maxAttempts: 1 })
  broker.channel('reports', { durable: true })
  for (let i = 0; i < 6; i++) broker.enqueue('orders', [{ order: i }], { priority: i % 3, key: `order-${i}` })
  broker.enqueue('orders', [{ note: XSS_ARG }], { key: 'xss' })
  for (let i = 0; i < 3; i++) broker.enqueue('orders', [{ later: i }], { delayMs: 3_600_000 })
  let failed = 0
  const dead = new Promise<void>((resolve) => {
    broker.ipcMain.on('emails', () => {
      if (++failed === 2) setImmediate(resolve)
      throw new Error(XSS_ERROR)
    })
  })
  broker.enqueue('emails', [{ to: 'a@example.com' }])
  broker.enqueue('emails', [{ to: 'b@example.com' }])
  await dead
  broker.channel('reports').pause()
  broker.schedule('nightly-report', { cron: '0 3 * * *', tz: 'Europe/Berlin', channel: 'reports', args: [{ kind: 'daily' }] })
  await broker.close()
}

export interface Served {
  board: Board
  server: Server
  origin: string
  /** The URL that opens the page (token included). */
  url: string
}

const servers: Served[] = []

/** Serves a board on 127.0.0.1, port 0; closed after each test. */
export async function serve(target: BoardTarget, options: BoardOptions = {}): Promise<Served> {
  const board = createBoard(target, { token: TOKEN, ...options })
  const server = createServer(board.handler)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const origin = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  const served = { board, server, origin, url: board.url(origin) }
  servers.push(served)
  return served
}

afterEach(async () => {
  for (const { board, server } of servers.splice(0)) {
    board.close()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

/** A POST as the page sends it: JSON, the token header, this origin. */
export function action(served: Served, path: string, body: unknown = {}, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${served.origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-board-token': TOKEN, origin: served.origin, ...headers },
    body: JSON.stringify(body),
  })
}

/** A GET with the token header. */
export function read(served: Served, path: string): Promise<Response> {
  return fetch(`${served.origin}${path}`, { headers: { 'x-board-token': TOKEN } })
}
