// Helpers of the worker-thread renderer tests: a remote control for the fixtures/remote.mjs
// renderer (each operation runs in the worker; its outcome comes back over IPC), and awaiting exits.
import type { SpawnRendererOptions, WorkerRenderer } from '../../src/index.js'
import type { TestBroker } from '../api/helpers.js'

export function fixture(name: string): URL {
  return new URL(`./fixtures/${name}`, import.meta.url)
}

/** An error thrown in the worker, as the fixture describes it. */
export interface RemoteError {
  name?: string
  message?: string
  code?: unknown
  path?: string
  fields?: Record<string, unknown>
  isDurableIpcError: boolean
}

type Outcome = { ok: true; result: unknown } | { ok: false; error: RemoteError }

export interface Remote {
  renderer: WorkerRenderer
  /** Resolves with the worker's workerData once its script ran. */
  ready: Promise<unknown>
  /** Runs `op` in the worker; resolves with its outcome. */
  run(op: string, params?: Record<string, unknown>): Promise<Outcome>
  /** Runs `op`; resolves with its result, rejects when it threw in the worker. */
  ok<T = unknown>(op: string, params?: Record<string, unknown>): Promise<T>
  /** Runs `op`; resolves with the error it threw in the worker, rejects when it did not throw. */
  fail(op: string, params?: Record<string, unknown>): Promise<RemoteError>
}

/** Spawns fixtures/remote.mjs on `broker`. */
export function spawnRemote(broker: TestBroker, options: SpawnRendererOptions = {}): Remote {
  const renderer = broker.spawnRenderer(fixture('remote.mjs'), options)
  const ready = new Promise<unknown>((resolve) => {
    const listener = (event: { sender: unknown }, workerData: unknown): void => {
      if (event.sender !== renderer.webContents) return
      broker.ipcMain.off('ready', listener)
      resolve(workerData)
    }
    broker.ipcMain.on('ready', listener)
  })
  const waiting = new Map<number, (outcome: Outcome) => void>()
  let next = 0
  broker.ipcMain.on('cmd-result', (event, id: number, outcome: Outcome) => {
    if (event.sender !== renderer.webContents) return
    waiting.get(id)?.(outcome)
    waiting.delete(id)
  })
  const run = (op: string, params?: Record<string, unknown>): Promise<Outcome> => {
    const id = ++next
    const done = new Promise<Outcome>((resolve) => waiting.set(id, resolve))
    renderer.webContents.send('cmd', id, op, params)
    return done
  }
  return {
    renderer,
    ready,
    run,
    async ok<T>(op: string, params?: Record<string, unknown>): Promise<T> {
      const outcome = await run(op, params)
      if (!outcome.ok) throw new Error(`${op} threw in the worker: ${outcome.error.name}: ${outcome.error.message}`)
      return outcome.result as T
    },
    async fail(op: string, params?: Record<string, unknown>): Promise<RemoteError> {
      const outcome = await run(op, params)
      if (outcome.ok) throw new Error(`${op} did not throw in the worker; it returned ${JSON.stringify(outcome.result)}`)
      return outcome.error
    },
  }
}

/** Resolves with the exit code once `renderer` emitted `exit` (at once if it already did). */
export function exitOf(renderer: WorkerRenderer): Promise<number> {
  if (renderer.exited) return Promise.resolve(renderer.exitCode!)
  // Not events.once: it rejects on the 'error' that an uncaught worker exception emits first.
  return new Promise((resolve) => renderer.once('exit', resolve))
}

/** Resolves with the next `channel` message's args sent by `renderer`'s worker. */
export function nextFrom(broker: TestBroker, renderer: WorkerRenderer, channel: string): Promise<unknown[]> {
  return new Promise((resolve) => {
    const listener = (event: { sender: unknown }, ...args: unknown[]): void => {
      if (event.sender !== renderer.webContents) return
      broker.ipcMain.off(channel, listener)
      resolve(args)
    }
    broker.ipcMain.on(channel, listener)
  })
}
