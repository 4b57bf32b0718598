// Starting the thread of a worker renderer: its setup reaches the worker while its workerData
// stays exactly the user's.
import { getEnvironmentData, setEnvironmentData, Worker } from 'node:worker_threads'
import type { WorkerOptions } from 'node:worker_threads'
import { CloneError, InvalidArgumentError } from '../../errors.js'
import { SETUP_KEY } from './protocol.js'
import type { WorkerSetup } from './protocol.js'

// The setup goes in environment data, which a Worker copies when it is created: set just for this
// one creation, so `workerData` stays exactly the user's and no other Worker sees the setup.
export function spawnWithSetup(script: string | URL, options: WorkerOptions, setup: WorkerSetup): Worker {
  const previous = getEnvironmentData(SETUP_KEY)
  setEnvironmentData(SETUP_KEY, setup)
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
