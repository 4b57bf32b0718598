// The one way an invoke's caller stops waiting: after invokeTimeoutMs, with InvokeTimeoutError
// (the handler, or a durable job, may still finish; its answer is then ignored).
import { InvokeTimeoutError } from '../errors.js'

/**
 * Calls `onTimeout` with an InvokeTimeoutError once `timeoutMs` have passed (never when undefined).
 * Returns the function that cancels it.
 *
 * @example
 * const cancel = startInvokeTimeout('add', 5000, reject)
 * promise.then((value) => (cancel(), resolve(value)))
 */
export function startInvokeTimeout(channel: string, timeoutMs: number | undefined, onTimeout: (error: InvokeTimeoutError) => void): () => void {
  if (timeoutMs === undefined) return () => {}
  const timer = setTimeout(() => onTimeout(new InvokeTimeoutError(channel, timeoutMs)), timeoutMs)
  return () => clearTimeout(timer)
}
