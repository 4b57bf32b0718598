// The board's reader thread (started by workerReader.ts): a read-only connection to the broker's
// file, and the board's reads (readOps.ts) run on it, one message at a time, beside the
// application's thread. WAL lets it read while the broker writes; each read is one snapshot.
// An open that fails ends the thread with that error: its parent then reads on its own thread.
import { parentPort, workerData } from 'node:worker_threads'
import { openSqliteStore } from '../store/index.js'
import { readOps, runRead } from './readOps.js'
import { readFailure } from './workerReader.js'
import type { ReadAnswer, ReadRequest } from './workerReader.js'

const port = parentPort!
const store = openSqliteStore({ path: (workerData as { file: string }).file, readonly: true })
const ops = readOps(() => store)

port.on('message', (request: ReadRequest) => {
  if ('close' in request) {
    store.close()
    port.close()
    return
  }
  let answer: ReadAnswer
  try {
    answer = { id: request.id, value: runRead(ops, request.op, request.args as never) }
  } catch (err) {
    answer = { id: request.id, failure: readFailure(err) }
  }
  port.postMessage(answer)
})
