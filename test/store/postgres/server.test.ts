// The run's PostgreSQL server answers (test/support/postgresGlobalSetup.ts), with a password.

import { describe, expect, it } from 'vitest'
import { pgModule, postgresUrl } from '../../support/postgres.js'

describe('the test PostgreSQL server', () => {
  it('accepts connections on its URL', async () => {
    const client = new (pgModule().Client)({ connectionString: postgresUrl() })
    await client.connect()
    try {
      const { rows } = await client.query('SELECT 1 + 1 AS two')
      expect(rows[0].two).toBe(2)
    } finally {
      await client.end()
    }
  })
})
