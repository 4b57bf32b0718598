// The options of createRenderer, and the checks spawnRenderer shares with it (id, allow, unknown keys).
import { InvalidArgumentError } from '../errors.js'
import { assertKnownKeys, optionKeys } from './optionKeys.js'
import type { OptionHint } from './optionKeys.js'
import type { RendererOptions, SpawnRendererOptions } from '../types.js'

export const RENDERER_OPTION_KEYS = optionKeys<RendererOptions>()(['id', 'allow'])

/** What allow-lists and renderer names are called elsewhere. */
export const RENDERER_HINTS: Record<string, OptionHint> = {
  allowList: 'allow',
  allowed: 'allow',
  allowedChannels: 'allow',
  channels: 'allow',
  whitelist: 'allow',
  name: 'id',
  rendererId: 'id',
}

/**
 * Checks a renderer's options: an object with only `known` keys, a non-empty string `id`, an
 * array of channel names `allow`. Nothing is created before this passes.
 *
 * @example
 * assertRendererOptions({ id: 'window-1', allowList: ['ping'] }, RENDERER_OPTION_KEYS, 'createRenderer options')
 * // InvalidArgumentError: Unknown option 'allowList' in createRenderer options: did you mean 'allow'?
 */
export function assertRendererOptions(
  options: unknown,
  known: readonly string[] = RENDERER_OPTION_KEYS,
  what = 'createRenderer options',
  hints: Readonly<Record<string, OptionHint>> = RENDERER_HINTS,
): asserts options is RendererOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('Expected options to be an object')
  assertKnownKeys(options, known, what, hints)
  const { id, allow } = options as { id?: unknown; allow?: unknown }
  if (id !== undefined && (typeof id !== 'string' || id.length === 0)) {
    throw new InvalidArgumentError(`Expected renderer id to be a non-empty string, but found ${typeof id === 'string' ? 'an empty string' : `type '${typeof id}'`}`)
  }
  if (allow !== undefined && (!Array.isArray(allow) || allow.some((c) => typeof c !== 'string'))) {
    throw new InvalidArgumentError('Expected allow to be an array of channel names')
  }
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
