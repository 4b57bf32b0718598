// Starting the thread of a worker renderer: spawnRenderer's options, their checks, and how the
// setup reaches the worker while its workerData stays exactly the user's.
import { getEnvironmentData, setEnvironmentData, Worker } from 'node:worker_threads'
import type { WorkerOptions } from 'node:worker_threads'
import { CloneError, InvalidArgumentError } from '../errors.js'
import { optionKeys } from './optionKeys.js'
import type { OptionHint } from './optionKeys.js'
import { assertRendererOptions, RENDERER_HINTS } from './rendererOptions.js'
import { SETUP_KEY } from './workerProtocol.js'
import type { WorkerSetup } from './workerProtocol.js'

/**
 * Options of `broker.spawnRenderer()`.
 *
 * @example
 * broker.spawnRenderer(new URL('./renderer.js', import.meta.url), { id: 'window-2', workerData: { theme: 'dark' }, allow: ['save'] })
 */
export interface SpawnRendererOptions {
  /** The renderer's identity, generated when omitted. A later renderer with the same id inherits its durable inbox. */
  id?: string
  /** Handed to the worker unchanged, as `require('node:worker_threads').workerData`. */
  workerData?: unknown
  /** Channels the worker may send, sendSync and invoke on; all when omitted. */
  allow?: readonly string[]
}

export const SPAWN_RENDERER_OPTION_KEYS = optionKeys<SpawnRendererOptions>()(['id', 'workerData', 'allow'])

// The worker's own options stay the broker's: the thread must start with its ipcRenderer set up.
const NOT_PASSED = "spawnRenderer passes no Worker options through but workerData (use workerData to hand the worker what it needs)"
const WORKER_OPTIONS = ['argv', 'env', 'eval', 'execArgv', 'resourceLimits', 'stdin', 'stdout', 'stderr', 'trackUnmanagedFds', 'transferList']

const SPAWN_HINTS: Record<string, OptionHint> = {
  ...RENDERER_HINTS,
  ...Object.fromEntries(WORKER_OPTIONS.map((key) => [key, NOT_PASSED])),
  data: 'workerData',
}

/** Checks spawnRenderer's arguments, failing as createRenderer does for the options they share. */
export function assertSpawnOptions(script: unknown, options: unknown): asserts options is SpawnRendererOptions {
  if (!(script instanceof URL) && (typeof script !== 'string' || script.length === 0)) {
    throw new InvalidArgumentError(`Expected script to be a non-empty string or a URL, but found ${typeof script === 'string' ? 'an empty string' : `type '${typeof script}'`}`)
  }
  assertRendererOptions(options, SPAWN_RENDERER_OPTION_KEYS, 'spawnRenderer options', SPAWN_HINTS)
}

// The setup goes in environment data, which a Worker copies when it is created: set just for this
// one creation, so `workerData` stays exactly the user's and no other Worker sees the setup.
export function spawnWithSetup(script: string | URL, options: WorkerOptions, setup: WorkerSetup): Worker {
  const previous = getEnvironmentData(SETUP_KEY)
  setEnvironmentData(SETUP_KEY, setup as unknown as Parameters<typeof setEnvironmentData>[1])
  try {
    return new Worker(script, options)
  } catch (err) {
    throw workerStartError(err)
  } finally {
    setEnvironmentData(SETUP_KEY, previous)
  }
}

// What Worker refuses at once is the caller's input: workerData it cannot clone (a DOMException),
// a script it cannot take (a TypeError: ERR_WORKER_PATH, ERR_INVALID_URL_SCHEME, ...). Both get
// our class and code, Node's error as the cause; anything else is not the input's fault.
function workerStartError(err: unknown): unknown {
  if (err instanceof Error && err.name === 'DataCloneError') return new CloneError('workerData', err.message, err)
  if (err instanceof TypeError) return new InvalidArgumentError(`Cannot start the renderer's worker: ${err.message}`, { cause: err })
  return err
}
