// The backends the contract suite runs against: one entry per Store implementation, each saying
// how to get a fresh database, open stores on it, and make owner ids. The suite itself
// (test/store/contract/*.test.ts) sees only the Store interface; what is particular to a backend
// (its files, its connections, how it tells a dead owner) lives here. The suite takes the consumer
// side's answers as plain values (Store) while every backend answers so; a backend that
// answers asynchronously (PostgreSQL) comes with the suite awaiting them.

import { spawnSync } from 'node:child_process'
import { hostname } from 'node:os'
import { newOwnerId, openPostgresStore, openSqliteStore } from '../../../src/store/index.js'
import type { Store, SyncStore } from '../../../src/store/index.js'
import { asyncStore } from '../asyncStore.js'
import { tempDir } from '../helpers.js'
import { postgresUrl, useSchemas } from '../../support/postgres.js'

/** One database of a backend, empty when made. */
export interface ContractDatabase {
  /**
   * Opens a store on this database, on a connection of its own (as another process's would be).
   * `readonly`: a reader that never writes, as the command-line tool's read commands open it.
   */
  open(options?: { readonly?: boolean }): Store
}

export interface StoreBackend {
  name: string
  /**
   * Called once per describe block, where it may register clean-up hooks; returns a maker of
   * fresh, empty databases.
   */
  databases(): () => ContractDatabase
  /** A fresh lease owner id, as a consumer of this process gets. */
  ownerId(): string
  /** An owner id the backend can prove gone (its process ended): releaseDeadOwners ends its leases. */
  goneOwnerId(): string
  /** The backend offers Store.publishClaimed (claim-at-publish, the trickle path). */
  claimsAtPublish: boolean
}

const sqlite: StoreBackend = {
  name: 'sqlite',
  databases() {
    const file = tempDir()
    return () => {
      const path = file('contract.db')
      return { open: (options = {}) => openSqliteStore({ path, readonly: options.readonly === true }) }
    }
  },
  ownerId: newOwnerId,
  claimsAtPublish: true,
  // SQLite's owner ids carry host and pid: one of this host whose process has exited is gone.
  goneOwnerId() {
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
    if (child.status !== 0) throw new Error(`could not start a short-lived process: ${child.stderr}`)
    return `${hostname()}/${Number(child.stdout)}/gone`
  },
}

// The same SQLite store with its consumer side answering a turn later, by promises (as a server
// backend would): the suite must hold however a backend answers.
const sqliteAnsweringLater: StoreBackend = {
  ...sqlite,
  name: 'sqlite, answering later',
  databases() {
    const fresh = sqlite.databases()
    return () => {
      const database = fresh()
      return { open: (options) => asyncStore(database.open(options) as SyncStore).store }
    }
  },
}

// PostgreSQL on the run's throwaway server (test/support/postgresGlobalSetup.ts): each database is a
// fresh schema on it. Owner ids are SQLite's (host/pid/random), and so is the proof of a gone owner.
const postgres: StoreBackend = {
  name: 'postgres',
  databases() {
    const schema = useSchemas()
    return () => {
      const name = schema()
      return { open: (options = {}) => openPostgresStore({ connectionString: postgresUrl(), schema: name, readonly: options.readonly === true }) }
    }
  },
  ownerId: sqlite.ownerId,
  goneOwnerId: sqlite.goneOwnerId,
  claimsAtPublish: false,
}

/** Every backend the contract suite runs against. */
export const backends: readonly StoreBackend[] = [sqlite, sqliteAnsweringLater, postgres]
