// A TCP proxy in front of a server, for fault tests, run on a thread of its own (the store's
// synchronous calls block the test's thread, so a proxy there could not forward them). `forward()`:
// bytes go both ways (the start); `hang()`: every connection stays open and what it carries is
// dropped (a server that stopped answering); `refuse()`: every connection is reset and new ones
// are reset at once (a server that went down). Each switch is in force when it returns.

import { Worker } from 'node:worker_threads'

export interface TcpProxy {
  port: number
  forward(): void
  hang(): void
  refuse(): void
  close(): Promise<void>
}

const FORWARD = 0
const HANG = 1
const REFUSE = 2
// shared: [mode, switch counter, switches applied, port]
const source = `
const { workerData, parentPort } = require('node:worker_threads')
const { connect, createServer } = require('node:net')
const shared = new Int32Array(workerData.shared)
const sockets = new Set()
const mode = () => Atomics.load(shared, 0)
const server = createServer((client) => {
  client.on('error', () => {})
  if (mode() === ${REFUSE}) { client.resetAndDestroy(); return }
  const upstream = connect(workerData.port, workerData.host)
  for (const socket of [client, upstream]) {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
  }
  client.on('data', (chunk) => { if (mode() === ${FORWARD}) upstream.write(chunk) })
  upstream.on('data', (chunk) => { if (mode() === ${FORWARD}) client.write(chunk) })
  client.on('close', () => upstream.destroy())
  upstream.on('close', () => client.destroy())
})
server.listen(0, '127.0.0.1', () => {
  Atomics.store(shared, 3, server.address().port)
  Atomics.notify(shared, 3)
})
parentPort.on('message', (message) => {
  if (message === 'close') {
    // Exits at once: server.close() would wait for every connection, and one accepted meanwhile (a
    // store's reconnect still in flight) was never reset, so that wait could last for ever.
    for (const socket of sockets) socket.resetAndDestroy()
    server.close()
    process.exit(0)
  }
  if (mode() === ${REFUSE}) for (const socket of sockets) socket.resetAndDestroy()
  Atomics.store(shared, 2, message)
  Atomics.notify(shared, 2)
})
`

/**
 * Starts a proxy on 127.0.0.1 (a free port) to `host:port`.
 *
 * @example
 * const proxy = startTcpProxy('127.0.0.1', 5432)
 * proxy.hang() // ... proxy.forward()
 */
export function startTcpProxy(host: string, port: number): TcpProxy {
  const shared = new Int32Array(new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT))
  const worker = new Worker(source, { eval: true, workerData: { host, port, shared: shared.buffer } })
  worker.unref()
  if (Atomics.wait(shared, 3, 0, 10_000) === 'timed-out') throw new Error('the proxy did not start')
  const to = (mode: number): void => {
    Atomics.store(shared, 0, mode)
    const switchNumber = Atomics.add(shared, 1, 1) + 1
    worker.postMessage(switchNumber)
    while (Atomics.load(shared, 2) < switchNumber) {
      if (Atomics.wait(shared, 2, Atomics.load(shared, 2), 10_000) === 'timed-out') throw new Error('the proxy did not switch')
    }
  }
  return {
    port: Atomics.load(shared, 3),
    forward: () => to(FORWARD),
    hang: () => to(HANG),
    refuse: () => to(REFUSE),
    async close() {
      const exited = new Promise((resolve) => worker.once('exit', resolve))
      worker.postMessage('close')
      // A thread too busy to read its messages is stopped from outside.
      const stuck = setTimeout(() => void worker.terminate(), 2000)
      await exited
      clearTimeout(stuck)
    },
  }
}

/** `url` with its host and port replaced by the proxy's. */
export function throughProxy(url: string, proxy: TcpProxy): string {
  const parsed = new URL(url)
  parsed.hostname = '127.0.0.1'
  parsed.port = String(proxy.port)
  return parsed.toString()
}
