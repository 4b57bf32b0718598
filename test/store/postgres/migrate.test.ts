// The PostgreSQL store's migrations (src/store/postgres/migrate.ts): applied once, in order, under
// an advisory lock (processes opening a fresh schema together take turns, and only the first
// migrates); a schema from a newer durable-ipc, or a readonly open of a missing one, is refused
// without a change.

import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { openPostgresStore } from '../../../src/store/index.js'
import { loadPostgresMigrations } from '../../../src/store/postgres/migrate.js'
import { channelConfig } from '../helpers.js'
import { ensureBuilt } from '../../e2e/durableProcesses.js'
import { pgModule, postgresUrl, useSchemas } from '../../support/postgres.js'

const fixture = fileURLToPath(new URL('./fixtures/openStore.mjs', import.meta.url))
const latest = loadPostgresMigrations().length
const run = promisify(execFile)

/** One connection of the test's own, for looking at (and tampering with) a schema. */
async function withClient<T>(use: (client: InstanceType<ReturnType<typeof pgModule>['Client']>) => Promise<T>): Promise<T> {
  const client = new (pgModule().Client)({ connectionString: postgresUrl() })
  await client.connect()
  try {
    return await use(client)
  } finally {
    await client.end()
  }
}

/** Everything of a schema that a migration could change: its tables, and the migrations and channels rows. */
async function snapshot(schema: string): Promise<unknown> {
  return await withClient(async (client) => {
    const tables = await client.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [schema])
    const names = tables.rows.map((row: { table_name: string }) => row.table_name)
    const read = async (table: string): Promise<unknown> =>
      names.includes(table) ? (await client.query(`SELECT * FROM "${schema}".${table} ORDER BY 1`)).rows : null
    return { names, migrations: await read('durable_ipc_migrations'), channels: await read('durable_ipc_channels') }
  })
}

async function openInChild(schema: string, at: number): Promise<{ ok: boolean; code?: string; started?: number; opened?: number }> {
  const { stdout } = await run(process.execPath, [fixture, postgresUrl(), schema, String(at)], { timeout: 60_000 })
  return JSON.parse(stdout.trim()) as { ok: boolean }
}

describe('PostgreSQL migrations', () => {
  const schema = useSchemas()
  beforeAll(ensureBuilt, 120_000)

  it('creates the schema and applies every migration once; opening again changes nothing', async () => {
    const name = schema()
    openPostgresStore({ connectionString: postgresUrl(), schema: name }).close()
    const first = await snapshot(name)
    expect((first as { migrations: Array<{ version: number }> }).migrations.map((m) => m.version)).toEqual(Array.from({ length: latest }, (_, i) => i + 1))
    openPostgresStore({ connectionString: postgresUrl(), schema: name }).close()
    expect(await snapshot(name)).toEqual(first)
  })

  it('lets processes that open a fresh schema at the same moment take turns: all open, one migrates', async () => {
    const name = schema()
    const at = Date.now() + 1500
    const results = await Promise.all([0, 1, 2, 3].map(() => openInChild(name, at)))
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true])
    const { migrations } = (await snapshot(name)) as { migrations: Array<{ version: number }> }
    expect(migrations.map((m) => m.version)).toEqual(Array.from({ length: latest }, (_, i) => i + 1))
  }, 60_000)

  it('waits for the advisory lock another migrator holds, then finds the schema migrated by it', async () => {
    const name = schema()
    await withClient(async (holder) => {
      await holder.query('BEGIN')
      await holder.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`durable_ipc migrate ${name}`])
      const child = openInChild(name, 0)
      let settled = false
      void child.finally(() => { settled = true })
      await new Promise((resolve) => setTimeout(resolve, 1500))
      expect(settled).toBe(false)
      // The holder migrates meanwhile (as a store would): the waiting one must not migrate again.
      await holder.query(`CREATE SCHEMA "${name}"`)
      await holder.query(`SET LOCAL search_path TO "${name}"`)
      for (const m of loadPostgresMigrations()) {
        await holder.query(m.sql)
        await holder.query('INSERT INTO durable_ipc_migrations (version, name, applied_at) VALUES ($1, $2, 0)', [m.version, m.name])
      }
      await holder.query('COMMIT')
      expect(await child).toMatchObject({ ok: true })
    })
    const { migrations } = (await snapshot(name)) as { migrations: Array<{ applied_at: number }> }
    expect(migrations.map((m) => Number(m.applied_at))).toEqual(Array(latest).fill(0))
  }, 60_000)

  it('refuses a schema from a newer durable-ipc with ERR_STORE_NEWER_SCHEMA, changing nothing', async () => {
    const name = schema()
    const store = openPostgresStore({ connectionString: postgresUrl(), schema: name })
    store.declareChannel('jobs', channelConfig())
    store.close()
    await withClient((client) => client.query(`INSERT INTO "${name}".durable_ipc_migrations VALUES ($1, '999_future.sql', 0)`, [latest + 1]))
    const before = await snapshot(name)
    expect(() => openPostgresStore({ connectionString: postgresUrl(), schema: name })).toThrow(
      expect.objectContaining({ name: 'StoreError', code: 'ERR_STORE_NEWER_SCHEMA' }),
    )
    expect(() => openPostgresStore({ connectionString: postgresUrl(), schema: name, readonly: true })).toThrow(
      expect.objectContaining({ code: 'ERR_STORE_NEWER_SCHEMA' }),
    )
    expect(await snapshot(name)).toEqual(before)
  })

  it('refuses a newer schema that has nothing but its version table, creating none of the tables', async () => {
    const name = schema()
    await withClient(async (client) => {
      await client.query(`CREATE SCHEMA "${name}"`)
      await client.query(`CREATE TABLE "${name}".durable_ipc_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`)
      await client.query(`INSERT INTO "${name}".durable_ipc_migrations VALUES (99, '099_future.sql', 0)`)
    })
    const before = await snapshot(name)
    expect(() => openPostgresStore({ connectionString: postgresUrl(), schema: name })).toThrow(expect.objectContaining({ code: 'ERR_STORE_NEWER_SCHEMA' }))
    expect(await snapshot(name)).toEqual(before)
  })

  it('opens readonly only a schema that is there and current (ERR_STORE_NO_SCHEMA, creating nothing)', async () => {
    const name = schema()
    expect(() => openPostgresStore({ connectionString: postgresUrl(), schema: name, readonly: true })).toThrow(
      expect.objectContaining({ code: 'ERR_STORE_NO_SCHEMA' }),
    )
    const exists = await withClient((client) => client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [name]))
    expect(exists.rowCount).toBe(0)
  })
})
