// Shared helpers of the api and actor tests: brokers that are closed after each test, and
// promises for "the next message on this channel", so no test sleeps waiting for a delivery.

import { createBroker } from '../../src/index.js'

type BrokerOptions = NonNullable<Parameters<typeof createBroker>[0]>

const open = new Set<{ close(): Promise<void> }>()

/** An untyped broker that `closeBrokers` (registered in `afterEach`) closes. */
export function newBroker(options?: BrokerOptions) {
  const broker = options === undefined ? createBroker() : createBroker(options)
  open.add(broker)
  return broker
}

export type TestBroker = ReturnType<typeof newBroker>
export type TestRenderer = ReturnType<TestBroker['createRenderer']>

/** Closes every broker made by `newBroker` since the last call. */
export async function closeBrokers(): Promise<void> {
  const brokers = [...open]
  open.clear()
  await Promise.all(brokers.map((b) => b.close()))
}

/** Anything with EventEmitter's `once` whose listeners get `(event, ...args)`. */
interface OnceEmitter<E> {
  once(channel: string, listener: (event: E, ...args: unknown[]) => void): unknown
}

/** Resolves with the event and arguments of the next message on `channel`. */
export function nextMessage<E>(emitter: OnceEmitter<E>, channel: string): Promise<{ event: E; args: unknown[] }> {
  return new Promise((resolve) => {
    emitter.once(channel, (event, ...args) => resolve({ event, args }))
  })
}

/** Resolves with the next `count` messages on `channel` (arguments only), in arrival order. */
export function collect<E>(
  emitter: { on(channel: string, listener: (event: E, ...args: unknown[]) => void): unknown; removeListener(channel: string, listener: (event: E, ...args: unknown[]) => void): unknown },
  channel: string,
  count: number,
): Promise<unknown[][]> {
  return new Promise((resolve) => {
    const got: unknown[][] = []
    const listener = (_event: E, ...args: unknown[]): void => {
      got.push(args)
      if (got.length === count) {
        emitter.removeListener(channel, listener)
        resolve(got)
      }
    }
    emitter.on(channel, listener)
  })
}

let flushes = 0

/**
 * Resolves once every message `win` sent before this call has been delivered on the main side:
 * messages from one renderer arrive in order, so a round trip behind them proves they were handled
 * (or dropped).
 */
export async function flushToMain(broker: TestBroker, win: TestRenderer): Promise<void> {
  const channel = `__flush-main-${++flushes}`
  const done = nextMessage(broker.ipcMain, channel)
  win.ipcRenderer.send(channel)
  await done
}

/** Resolves once every message main sent to `win` before this call has been delivered to it. */
export async function flushToRenderer(win: TestRenderer): Promise<void> {
  const channel = `__flush-renderer-${++flushes}`
  const done = nextMessage(win.ipcRenderer, channel)
  win.webContents.send(channel)
  await done
}

/** The error `fn` throws; fails the test when it returns. */
export function thrown(fn: () => unknown): Error & { code?: unknown; path?: unknown } {
  try {
    fn()
  } catch (err) {
    return err as Error & { code?: unknown; path?: unknown }
  }
  throw new Error('expected the call to throw, but it returned')
}

/** The reason `promise` rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: unknown; path?: unknown }> {
  try {
    await promise
  } catch (err) {
    return err as Error & { code?: unknown; path?: unknown }
  }
  throw new Error('expected the promise to reject, but it resolved')
}

/** A promise with its resolve and reject functions outside. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (reason: unknown) => void } {
  let resolve!: (value: T) => void
  let reject!: (reason: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** A small seeded PRNG (mulberry32), so a random sequence that fails can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Lets pending timers, immediates and microtasks run: only for asserting that nothing happened. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve))
}
