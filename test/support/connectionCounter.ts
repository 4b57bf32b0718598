// A stand-in on a stopped server's port, for outage tests: it takes each connection attempt, reads
// the PostgreSQL startup packet (to learn the client's application_name), counts the attempt under
// that name and resets the connection, as a server that is not there would. A stopped server's
// own log cannot count what reached nobody; this can, per client.

import { createServer } from 'node:net'
import type { Server } from 'node:net'

export interface ConnectionCounter {
  /** Attempts so far, by application_name ('' when the packet did not say). */
  counts(): Map<string, number>
  close(): Promise<void>
}

/**
 * Listens on 127.0.0.1:`port` until closed.
 *
 * @example
 * server.kill()
 * const counter = await countConnections(server.port)
 * // ... counter.counts().get('node-0') ...
 * await counter.close()
 * server.restart()
 */
export async function countConnections(port: number): Promise<ConnectionCounter> {
  const counts = new Map<string, number>()
  const sockets = new Set<import('node:net').Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let seen = Buffer.alloc(0)
    const count = (name: string): void => {
      counts.set(name, (counts.get(name) ?? 0) + 1)
      socket.resetAndDestroy()
    }
    socket.on('data', (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk])
      if (seen.length < 4 || seen.length < seen.readInt32BE(0)) return
      count(/application_name\0([^\0]*)\0/.exec(seen.toString('latin1'))?.[1] ?? '')
    })
    // A client that sends nothing (it gave up) is counted too, unnamed.
    socket.setTimeout(2000, () => count(''))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  return {
    counts: () => new Map(counts),
    async close() {
      for (const socket of sockets) socket.resetAndDestroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
