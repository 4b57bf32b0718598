// The command-line tool over a PostgreSQL store, as a real process against the test run's server: a
// postgres:// URL in place of the file (its schema in ?schema= or --schema), read commands that
// never write (not even a schema for a mistyped name), repairs that change only their rows, and
// never the password or the connection string in what it prints.

import { describe, expect, it } from 'vitest'
import { useSchemas, postgresUrl, pgModule } from '../support/postgres.js'
import { testPassword } from '../support/postgresServer.js'
import { startCli, useCliFixtures } from './helpers.js'
import { cli, expectNoSecret, look, seed, urlWith } from './postgresFixtures.js'

useCliFixtures()
const schema = useSchemas()

async function schemaExists(name: string): Promise<boolean> {
  const client = new (pgModule().Client)({ connectionString: postgresUrl() })
  await client.connect()
  try {
    return (await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [name])).rowCount === 1
  } finally {
    await client.end()
  }
}

describe('read commands over a postgres:// URL', () => {
  it('stats prints the table, and JSON whose path is the label without user or password', async () => {
    const name = schema()
    await seed(name)
    const table = await cli(['stats', urlWith(name)])
    expect(table.stderr).toBe('')
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(/^jobs +2 +1 +0 +3 +\d+(ms|s)$/m)
    const json = await cli(['stats', postgresUrl(), '--schema', name, '--json'])
    expect(json.code).toBe(0)
    const stats = JSON.parse(json.stdout) as { path: string; durable: Record<string, { ready: number; dead: number }> }
    expect(stats.path).toMatch(new RegExp(`^postgres://127\\.0\\.0\\.1:\\d+/postgres \\(schema '${name}'\\)$`))
    expect(stats.durable.jobs).toMatchObject({ ready: 2, dead: 3 })
  })

  it('dead, jobs, job and schedules read the schema', async () => {
    const name = schema()
    const seeded = await seed(name)
    const url = urlWith(name)
    const dead = await cli(['dead', url, 'jobs', '--json'])
    expect(dead.code).toBe(0)
    expect((JSON.parse(dead.stdout) as Array<{ id: number }>).map((d) => d.id)).toEqual(seeded.dead)
    expect(dead.stdout).toContain('failed')
    const jobs = await cli(['jobs', url, 'jobs', '--state', 'waiting', '--json'])
    expect(jobs.code).toBe(0)
    expect((JSON.parse(jobs.stdout) as Array<{ id: number }>).map((j) => j.id)).toEqual(seeded.waiting)
    const job = await cli(['job', url, String(seeded.delayed), '--json'])
    expect(job.code).toBe(0)
    expect(JSON.parse(job.stdout)).toMatchObject({ id: seeded.delayed, state: 'delayed' })
    const schedules = await cli(['schedules', url])
    expect(schedules.code).toBe(0)
    expect(schedules.stdout).toMatch(/nightly/)
  })

  it('tail prints what is published after it started', async () => {
    const name = schema()
    await seed(name)
    const tail = startCli(['tail', urlWith(name), 'jobs', '--count', '1', '--json'])
    const { openPostgresStore } = await import('../../src/store/index.js')
    const { encodeEnvelope } = await import('../../src/protocol/envelope.js')
    const store = openPostgresStore({ connectionString: postgresUrl(), schema: name })
    let ended: Awaited<typeof tail.exited> | undefined
    void tail.exited.then((result) => (ended = result))
    try {
      // tail starts after the last message stored when it opens: publish until it has seen one.
      while (ended === undefined) {
        const now = Date.now()
        store.publish({ channel: 'jobs', payload: encodeEnvelope(null, ['tailed']), kind: 'message', visibleAt: now, now })
        await Promise.race([tail.exited, new Promise((resolve) => setTimeout(resolve, 200))])
      }
    } finally {
      store.close()
    }
    const result = await tail.exited
    expectNoSecret(`${result.stdout}${result.stderr}`)
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ channel: 'jobs', args: ['tailed'] })
  })

  it('a schema that does not exist is one line, exit code 2, and is not created', async () => {
    const name = schema()
    for (const command of [['stats', urlWith(name)], ['replay', urlWith(name), 'jobs', '--all'], ['pause', urlWith(name), 'jobs']]) {
      const result = await cli(command)
      expect(result.code).toBe(2)
      expect(result.stderr.trim().split('\n')).toHaveLength(1)
      expect(result.stderr).toMatch(/^durable-ipc: /)
    }
    expect(await schemaExists(name)).toBe(false)
  })
})

describe('repairs over a postgres:// URL', () => {
  it('replay and purge change only their dead letters', async () => {
    const name = schema()
    const seeded = await seed(name)
    const url = urlWith(name)
    const replay = await cli(['replay', url, 'jobs', '--id', String(seeded.dead[0])])
    expect(replay.stderr).toBe('')
    expect(replay.code).toBe(0)
    expect(replay.stdout).toContain("Replayed 1 dead letter of 'jobs'.")
    expect(look(name, (s) => s.stats().find((r) => r.channel === 'jobs'))).toMatchObject({ ready: 3, dead: 2 })
    const purge = await cli(['purge', url, 'jobs', '--all', '--yes'])
    expect(purge.code).toBe(0)
    expect(purge.stdout).toContain("Purged 2 dead letters of 'jobs'.")
    expect(look(name, (s) => s.stats().find((r) => r.channel === 'jobs'))).toMatchObject({ ready: 3, delayed: 1, dead: 0 })
  })

  it('pause, resume and cancel', async () => {
    const name = schema()
    const seeded = await seed(name)
    const url = urlWith(name)
    expect((await cli(['pause', url, 'jobs'])).code).toBe(0)
    expect(look(name, (s) => s.isPaused('jobs'))).toBe(true)
    expect((await cli(['resume', url, 'jobs'])).code).toBe(0)
    expect(look(name, (s) => s.isPaused('jobs'))).toBe(false)
    const cancel = await cli(['cancel', url, String(seeded.delayed)])
    expect(cancel.code).toBe(0)
    expect(look(name, (s) => s.job(seeded.delayed, Date.now())?.state)).toBe('cancelled')
  })

  it('a missing channel names the store by its label', async () => {
    const name = schema()
    await seed(name)
    const result = await cli(['dead', urlWith(name), 'nope'])
    expect(result.code).toBe(2)
    expect(result.stderr.trim()).toBe(`durable-ipc: postgres://127.0.0.1:${new URL(postgresUrl()).port}/postgres (schema '${name}') has no durable channel 'nope'`)
  })
})

describe('arguments and secrets', () => {
  it('--schema and ?schema= must agree; --schema is for a URL only', async () => {
    const name = schema()
    await seed(name)
    const conflict = await cli(['stats', urlWith(name), '--schema', 'other'])
    expect(conflict.code).toBe(2)
    expect(conflict.stderr).toContain(`names schema '${name}' and the option schema 'other'`)
    const onFile = await cli(['stats', 'app.db', '--schema', name])
    expect(onFile.code).toBe(2)
    expect(onFile.stderr).toMatch(/only for a postgres:\/\/ URL/)
  })

  it('a server that does not answer, or refuses the password, is one line without the password or URL', async () => {
    const port = new URL(postgresUrl()).port
    const unreachable = await cli(['stats', `postgresql://durable:${testPassword}@127.0.0.1:1/postgres?schema=x&connect_timeout=2`])
    expect(unreachable.code).toBe(2)
    expect(unreachable.stderr.trim().split('\n')).toHaveLength(1)
    const wrong = await cli(['stats', `postgres://durable:wrong-${testPassword}@127.0.0.1:${port}/postgres`])
    expect(wrong.code).toBe(2)
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1)
    expect(wrong.stderr).not.toContain(`wrong-${testPassword}`)
  })
})
