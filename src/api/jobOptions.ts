// The job control plane's inputs, checked before anything is read or stored: enqueueMany's items,
// the jobs() listing's options, waitForJob's options, and job ids.

import { InvalidArgumentError } from '../errors.js'
import { assertOptionalMs } from '../ipc/validation.js'
import type { JobState, JobsOptions, WaitForJobOptions } from '../types.js'
import { ENQUEUE_OPTION_KEYS } from './enqueueOptions.js'
import type { EnqueueOptions } from './enqueueOptions.js'
import { assertKnownKeys, optionKeys } from './optionKeys.js'

/**
 * One job of `broker.enqueueMany`: its arguments and the options `enqueue` takes for one.
 *
 * @example
 * broker.enqueueMany('resize', [{ args: [a] }, { args: [b], priority: 5, key: 'b' }])
 */
export interface EnqueueManyItem<A extends readonly unknown[] = unknown[]> extends Omit<EnqueueOptions, 'joinTransaction'> {
  args: A
}

/** Options of `broker.enqueueMany` as a whole. */
export type EnqueueManyOptions = Pick<EnqueueOptions, 'joinTransaction'>

const ITEM_KEYS = optionKeys<EnqueueManyItem>()(['args', ...ENQUEUE_OPTION_KEYS.filter((key) => key !== 'joinTransaction')] as Array<keyof EnqueueManyItem>)
const JOBS_KEYS = optionKeys<JobsOptions>()(['state', 'limit', 'afterId'])
const WAIT_KEYS = optionKeys<WaitForJobOptions>()(['timeoutMs'])
const STATES: readonly JobState[] = ['delayed', 'waiting', 'active', 'dead', 'completed', 'cancelled']
const MAX_PAGE = 10_000

/**
 * Checks the items of `enqueueMany` and returns each one's arguments and options, or throws the
 * first bad item's InvalidArgumentError, naming it (`item 3: ...`).
 *
 * @example
 * parseItems([{ args: [1], priority: 2 }]) // [{ args: [1], options: { priority: 2 } }]
 */
export function parseItems(items: unknown): Array<{ args: readonly unknown[]; options: EnqueueOptions }> {
  if (!Array.isArray(items)) throw new InvalidArgumentError('Expected enqueueMany items to be an array of { args, ...options }')
  return items.map((item: unknown, i) => {
    if (typeof item !== 'object' || item === null) throw new InvalidArgumentError(`Expected enqueueMany item ${i} to be an object { args, ...options }`)
    assertKnownKeys(item, ITEM_KEYS, `enqueueMany item ${i}`, { joinTransaction: 'joinTransaction is an option of the whole call: enqueueMany(channel, items, { joinTransaction })' })
    const { args, ...options } = item as EnqueueManyItem
    if (!Array.isArray(args)) throw new InvalidArgumentError(`Expected enqueueMany item ${i} to have args, an array of arguments`)
    return { args, options }
  })
}

/**
 * Checks `broker.jobs()` options and fills in the defaults.
 *
 * @example
 * parseJobsOptions({ state: 'waiting' }) // { state: 'waiting', limit: 100, afterId: 0 }
 */
export function parseJobsOptions(options: unknown): { state?: JobState; limit: number; afterId: number } {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('Expected jobs() options to be an object')
  assertKnownKeys(options, JOBS_KEYS, 'jobs() options', { status: 'state', after: 'afterId', cursor: 'afterId', take: 'limit', pageSize: 'limit' })
  const { state, limit = 100, afterId = 0 } = options as JobsOptions
  if (state !== undefined && !STATES.includes(state)) {
    throw new InvalidArgumentError(`Expected state to be one of ${STATES.map((s) => `'${s}'`).join(', ')}, but found ${String(state)}`)
  }
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new InvalidArgumentError(`Expected limit to be an integer from 1 to ${MAX_PAGE}, but found ${String(limit)}`)
  }
  if (typeof afterId !== 'number' || !Number.isSafeInteger(afterId) || afterId < 0) {
    throw new InvalidArgumentError(`Expected afterId to be an integer >= 0, but found ${String(afterId)}`)
  }
  return state === undefined ? { limit, afterId } : { state, limit, afterId }
}

/** Checks `waitForJob` options; returns the timeout (undefined: none). */
export function parseWaitOptions(options: unknown): number | undefined {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('Expected waitForJob options to be an object')
  assertKnownKeys(options, WAIT_KEYS, 'waitForJob options', { timeout: 'timeoutMs' })
  const { timeoutMs } = options as WaitForJobOptions
  assertOptionalMs(timeoutMs, 'timeoutMs')
  return timeoutMs
}

/** Throws InvalidArgumentError unless `id` can be a job id. */
export function assertJobId(id: unknown): asserts id is number {
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) throw new InvalidArgumentError(`Expected a job id (an integer >= 1), but found ${String(id)}`)
}
