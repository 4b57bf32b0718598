// The board's actions on single jobs and schedules: cancel a job, run a schedule now. Kept apart
// from the channel actions: they need store methods that a store may not have yet.
import type { ActionResult } from './actions.js'
import type { BoardTarget } from './createBoard.js'
import type { BoardContext } from './server.js'
import type { BoardSource } from './source.js'

/**
 * The job and schedule actions this board's store supports.
 *
 * @example
 * const actions = boardActions(source, { path: 'app.db' })
 */
export function boardActions(source: BoardSource, target: BoardTarget): BoardContext['actions'] {
  void source
  void target
  const actions: Partial<Record<'jobs/cancel' | 'schedules/run', (target: string, body: unknown) => ActionResult>> = {}
  return actions
}
