// A store whose consumer side answers asynchronously, as a backend that talks to a server does
// (store/contract.ts: Answer<T>): the real SQLite store behind it, each of those calls run on a
// later turn of the event loop (a round trip) and answered by a promise. Not a mock: every answer
// is SQLite's.

import type { Store, SyncStore } from '../../src/store/index.js'

/** The Store methods that may answer asynchronously (store/contract.ts). */
export const ASYNC_METHODS = ['claim', 'report', 'ack', 'ackWithResult', 'fail', 'release', 'handBack', 'renew', 'releaseDeadOwners', 'nextVisibleAt', 'setProgress', 'cancelledAmong'] as const

/**
 * `store` with its consumer side run a turn later and answered by promises; `pending()` says how
 * many such calls are out.
 *
 * @example
 * const { store } = asyncStore(openSqliteStore({ path }))
 * await store.claim('jobs', 'main', owner, Date.now(), 30_000, 10)
 */
export function asyncStore(store: SyncStore): { store: Store; pending: () => number } {
  let pending = 0
  const wrapped: Record<string, unknown> = { ...store }
  for (const name of ASYNC_METHODS) {
    const method = store[name] as (...args: unknown[]) => unknown
    wrapped[name] = (...args: unknown[]) => {
      pending++
      return new Promise((resolve, reject) => {
        setImmediate(() => {
          pending--
          try {
            resolve(method(...args))
          } catch (error) {
            reject(error)
          }
        })
      })
    }
  }
  return { store: wrapped as unknown as Store, pending: () => pending }
}
