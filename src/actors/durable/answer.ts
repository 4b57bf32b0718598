// Taking what a store answers: a plain value at once (SQLite, in the same step, with no microtask),
// a promise when it settles (a backend that talks to a server). The consumer side of the Store
// contract answers either way (store/contract.ts).
import type { Answer } from '../../store/index.js'

/**
 * Runs `then` with the answer's value: at once for a plain value, once a promise resolves.
 * A store failure (thrown, or a rejected promise) goes to `onError`, never both.
 *
 * @example
 * whenAnswered(store.claim(...), (batch) => deliver(batch), (error) => report(error))
 */
export function whenAnswered<T>(answer: () => Answer<T>, then: (value: T) => void, onError: (error: unknown) => void): void {
  let value: Answer<T>
  try {
    value = answer()
  } catch (error) {
    onError(error)
    return
  }
  if (isPromise(value)) value.then(then, onError).catch(onError)
  else then(value)
}

/** True when a store answered with a promise. */
export function isPromise<T>(value: Answer<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

/**
 * A step of a consumer that waits for the store's answer before it goes on (a claim, a start
 * recorded before a delivery): `apply` or `failed` runs with the answer, at once for a plain value
 * ('now' is returned after it ran) or when a promise settles ('later' is returned, and `resumed`
 * runs after it, so the consumer can go on from there).
 *
 * @example
 * if (step(() => store.claim(...), take, report, pumpAgain) === 'later') return 'busy'
 */
export function step<T>(answer: () => Answer<T>, apply: (value: T) => void, failed: (error: unknown) => void, resumed: () => void): 'now' | 'later' {
  let answered = false
  let returned = false
  const settle = <A>(fn: (arg: A) => void) => (arg: A): void => {
    answered = true
    fn(arg)
    if (returned) resumed()
  }
  whenAnswered(answer, settle(apply), settle(failed))
  returned = true
  return answered ? 'now' : 'later'
}
