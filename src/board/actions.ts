// The board's repairs, one store transaction each: pause and resume a channel, replay or purge
// dead letters (some by id, or all), cancel a job, run a schedule now. Input is checked before
// anything is written; a purge must say `confirm: true` (the page asks first).
import { BoardRequestError } from './errors.js'
import type { BoardSource } from './source.js'

/** What an action answers: how many it changed, and a sentence for the page. */
export interface ActionResult {
  ok: true
  count: number
  message: string
}

/** The body of replay and purge. */
interface Selection {
  ids: number[] | undefined
  confirm: boolean
}

/**
 * Runs action `name` on `channel` with the request's JSON `body`.
 *
 * @example
 * channelAction(source, 'jobs', 'replay', { ids: [12] }) // { ok: true, count: 1, message: 'Replayed 1 dead letter' }
 */
export function channelAction(source: BoardSource, channel: string, name: string, body: unknown): ActionResult {
  requireChannel(source, channel)
  switch (name) {
    case 'pause':
    case 'resume': {
      const paused = name === 'pause'
      const was = source.store.isPaused(channel)
      source.setPaused(channel, paused)
      return { ok: true, count: was === paused ? 0 : 1, message: `'${channel}' ${was === paused ? 'was already' : 'is'} ${paused ? 'paused' : 'running'}` }
    }
    case 'replay': {
      const { ids } = selection(body)
      const count = source.replay(channel, ids)
      return { ok: true, count, message: `Replayed ${plural(count, 'dead letter')}` }
    }
    case 'purge': {
      const { ids, confirm } = selection(body)
      if (!confirm) throw new BoardRequestError(400, 'ERR_BOARD_BAD_REQUEST', 'A purge deletes for good: send confirm: true')
      const count = source.purge(channel, ids)
      return { ok: true, count, message: `Purged ${plural(count, 'dead letter')}` }
    }
    default:
      throw new BoardRequestError(404, 'ERR_BOARD_NOT_FOUND', `No action '${name}'`)
  }
}

function requireChannel(source: BoardSource, channel: string): void {
  if (source.store.getChannel(channel) === undefined) throw new BoardRequestError(404, 'ERR_BOARD_NOT_FOUND', `No durable channel '${channel}'`)
}

// { ids: [1, 2] } or { all: true }, exactly one of them.
function selection(body: unknown): Selection {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BoardRequestError(400, 'ERR_BOARD_BAD_REQUEST', 'Expected a JSON object')
  const { ids, all, confirm } = body as Record<string, unknown>
  if (all === true && ids === undefined) return { ids: undefined, confirm: confirm === true }
  if (all !== undefined && all !== false) throw new BoardRequestError(400, 'ERR_BOARD_BAD_REQUEST', 'Give either ids or all: true')
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > 10_000 || !ids.every((id) => Number.isSafeInteger(id) && (id as number) > 0)) {
    throw new BoardRequestError(400, 'ERR_BOARD_BAD_REQUEST', 'Expected ids: a list of 1 to 10,000 message ids, or all: true')
  }
  return { ids: ids as number[], confirm: confirm === true }
}

function plural(count: number, word: string): string {
  return `${count.toLocaleString('en-US')} ${word}${count === 1 ? '' : 's'}`
}
