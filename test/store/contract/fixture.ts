// Shared setup of the contract tests: stores of one backend, opened on fresh databases and closed
// after each test.

import { afterEach } from 'vitest'
import type { Store } from '../../../src/store/index.js'
import type { StoreBackend } from './backends.js'

/** Stores of `backend` for the tests of the calling describe block; each is closed after its test. */
export interface ContractStores {
  /** A store on a fresh, empty database. */
  store(): Store
  /** A fresh database to open several stores on (each on its own connection). */
  database(): { open(options?: { readonly?: boolean }): Store }
}

/**
 * Call inside `describe.each(backends)`: registers the clean-up of every store it opens.
 *
 * @example
 * describe.each(backends)('$name', (backend) => {
 *   const stores = useStores(backend)
 *   it('...', () => { const store = stores.store() })
 * })
 */
export function useStores(backend: StoreBackend): ContractStores {
  const fresh = backend.databases()
  const opened: Store[] = []
  afterEach(() => {
    for (const store of opened.splice(0)) store.close()
  })
  const track = (store: Store): Store => {
    opened.push(store)
    return store
  }
  return {
    store: () => track(fresh().open()),
    database() {
      const database = fresh()
      return { open: (options) => track(database.open(options)) }
    },
  }
}
