// The synchronous bridge (src/store/postgres/syncBridge.ts): a worker thread's asynchronous answer,
// taken synchronously; its errors with their properties; a deadline that ends a call to a worker
// that never answers, after which a fresh worker answers again.

import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { SyncBridge } from '../../../src/store/postgres/syncBridge.js'
import { ensureBuilt } from '../../e2e/durableProcesses.js'

const source = `
let calls = 0
async function handle(request) {
  calls++
  if (request.op === 'double') return request.n * 2
  if (request.op === 'later') return await new Promise((resolve) => setTimeout(() => resolve('late answer'), request.ms))
  if (request.op === 'calls') return calls
  if (request.op === 'fail') throw Object.assign(new Error('it failed'), { code: '42P01', detail: 'no such table' })
  if (request.op === 'hang') return await new Promise(() => {})
  if (request.op === 'bytes') return new Uint8Array([1, 2, 3])
  if (request.op === 'shared') { Atomics.add(shared, 0, request.n); return Atomics.load(shared, 0) }
  throw new Error('unknown op')
}
`

describe('SyncBridge', () => {
  const bridges: SyncBridge[] = []
  const open = (timeoutMs = 5000): SyncBridge => {
    const bridge = new SyncBridge({ source, timeoutMs, label: 'the test worker' })
    bridges.push(bridge)
    return bridge
  }
  afterEach(() => {
    for (const bridge of bridges.splice(0)) bridge.close()
  })

  it('answers synchronously what the worker answers asynchronously, in order', () => {
    const bridge = open()
    expect(bridge.call({ op: 'double', n: 21 })).toBe(42)
    expect(bridge.call({ op: 'later', ms: 50 })).toBe('late answer')
    expect(bridge.call({ op: 'bytes' })).toEqual(new Uint8Array([1, 2, 3]))
    expect(bridge.call({ op: 'calls' })).toBe(4)
  })

  it('throws the worker’s error with its own properties', () => {
    const bridge = open()
    expect(() => bridge.call({ op: 'fail' })).toThrow(expect.objectContaining({ message: 'it failed', code: '42P01', detail: 'no such table' }))
    expect(bridge.call({ op: 'double', n: 1 })).toBe(2)
  })

  it('shares memory with the worker', () => {
    const bridge = new SyncBridge({ source, timeoutMs: 5000, label: 'the test worker', sharedInts: 1 })
    bridges.push(bridge)
    expect(bridge.call({ op: 'shared', n: 5 })).toBe(5)
    expect(Atomics.load(bridge.shared, 0)).toBe(5)
  })

  it('gives up on a worker that does not answer in time (ERR_STORE_TIMEOUT), then answers from a fresh one', () => {
    // A generous default (a thread may take a while to start on a loaded machine); 300 ms for the hang.
    const bridge = open(10_000)
    expect(bridge.call({ op: 'double', n: 2 })).toBe(4)
    const started = performance.now()
    expect(() => bridge.call({ op: 'hang' }, 300)).toThrow(expect.objectContaining({ name: 'StoreError', code: 'ERR_STORE_TIMEOUT' }))
    const waited = performance.now() - started
    expect(waited).toBeGreaterThanOrEqual(290)
    expect(waited).toBeLessThan(3000)
    expect(bridge.call({ op: 'calls' })).toBe(1)
    expect(bridge.starts).toBe(2)
  })

  it('says so when the handler fails to load, and starts it afresh at the next call', () => {
    const broken = new SyncBridge({ source: "require('no-such-package-for-durable-ipc')\nasync function handle() { return 1 }", timeoutMs: 5000, label: 'the broken worker' })
    bridges.push(broken)
    expect(() => broken.call({})).toThrow(expect.objectContaining({ name: 'StoreError', code: 'ERR_STORE', message: expect.stringMatching(/failed to start: Cannot find module 'no-such-package-for-durable-ipc'/) }))
    expect(() => broken.call({})).toThrow(expect.objectContaining({ message: expect.stringMatching(/failed to start/) }))
    expect(broken.starts).toBe(2)
  })

  it('refuses calls once closed', () => {
    const bridge = open()
    bridge.call({ op: 'double', n: 1 })
    bridge.close()
    expect(() => bridge.call({ op: 'double', n: 1 })).toThrow(expect.objectContaining({ code: 'ERR_STORE_CLOSED' }))
  })

  it('answers in a process whose main module is an ES module given with --input-type=module -e', async () => {
    await ensureBuilt()
    const bridgePath = fileURLToPath(new URL('../../../dist/store/postgres/syncBridge.js', import.meta.url))
    const program = `
      import { SyncBridge } from ${JSON.stringify(bridgePath)}
      const bridge = new SyncBridge({ source: 'async function handle(n) { return n + 1 }', timeoutMs: 5000, label: 'adder' })
      console.log(bridge.call(41))
      bridge.close()
    `
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8', timeout: 20_000 })
    expect(out.trim()).toBe('42')
  }, 60_000)
})
