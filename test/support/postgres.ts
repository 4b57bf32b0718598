// What a PostgreSQL test uses of the run's server (postgresGlobalSetup.ts): its URL, and fresh
// schemas on it (one per contract database: cheap, and nothing is shared between tests). A run
// without a server fails each such test with one line saying how to get one.

import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { afterAll, inject } from 'vitest'
import type pg from 'pg'

/**
 * The URL of the run's server; throws (one line) when there is none.
 *
 * @example
 * openPostgresStore({ connectionString: postgresUrl(), schema: freshSchemaName() })
 */
export function postgresUrl(): string {
  const url = inject('postgresUrl')
  if (url === '') throw new Error(inject('postgresProblem'))
  return url
}

let counter = 0

/** A schema name not used before in this run (the store creates it on open). */
export function freshSchemaName(prefix = 't'): string {
  return `${prefix}_${process.pid}_${++counter}_${randomBytes(3).toString('hex')}`
}

/**
 * Fresh schema names whose schemas are dropped after the test file (on a server the run started
 * that costs nothing; on DURABLE_IPC_PG_URL's it leaves the server as it was).
 */
export function useSchemas(): () => string {
  const made: string[] = []
  afterAll(async () => {
    if (made.length === 0 || inject('postgresUrl') === '') return
    const client = new (pgModule().Client)({ connectionString: postgresUrl() })
    await client.connect()
    try {
      for (const schema of made) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    } finally {
      await client.end()
    }
  })
  return () => {
    const name = freshSchemaName()
    made.push(name)
    return name
  }
}

/** The pg module, for tests that talk to the server directly. */
export function pgModule(): typeof pg {
  return createRequire(import.meta.url)('pg') as typeof pg
}
