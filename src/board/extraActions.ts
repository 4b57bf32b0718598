// The board's actions on one job or one schedule: cancel a job, run a schedule now (its message
// enqueued at once; its own slots stay as they are).
import type { ActionResult } from './actions.js'
import { BoardRequestError } from './errors.js'
import { parseId } from './queries.js'
import type { BoardContext } from './server.js'
import type { BoardSource } from './source.js'

/**
 * The job and schedule actions of this board's source, by route.
 *
 * @example
 * boardActions(source)['schedules/run']?.('nightly', {})
 */
export function boardActions(source: BoardSource): BoardContext['actions'] {
  return {
    'jobs/cancel': (target): ActionResult => {
      const id = parseId(target, 'job id')
      const cancelled = source.cancel(id)
      return { ok: true, count: cancelled ? 1 : 0, message: cancelled ? `Cancelled job ${id}` : `Job ${id} was not delayed, waiting or active: nothing to cancel` }
    },
    'schedules/run': (name) => {
      const id = source.runSchedule(name)
      if (id === undefined) throw new BoardRequestError(404, 'ERR_BOARD_NOT_FOUND', `No schedule '${name}'`)
      return { ok: true, count: 1, message: `Enqueued job ${id} of schedule '${name}'` }
    },
  }
}
