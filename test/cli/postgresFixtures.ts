// Fixtures of the command-line tests over PostgreSQL: a schema filled through the store as a broker
// would leave it, and a run of the real CLI whose every line is checked for the password and the
// connection string (neither may ever be printed).

import { expect } from 'vitest'
import { encodeEnvelope } from '../../src/protocol/envelope.js'
import { newOwnerId, openPostgresStore } from '../../src/store/index.js'
import type { Store } from '../../src/store/index.js'
import type { ChannelConfig } from '../../src/store/types.js'
import { testPassword } from '../support/postgresServer.js'
import { postgresUrl } from '../support/postgres.js'
import { runCli } from './helpers.js'
import type { CliResult } from './helpers.js'

const config: ChannelConfig = { maxAttempts: 1, backoffInitialMs: 100, backoffMaxMs: 1000, concurrency: 1, leaseMs: 30_000, maxMessageBytes: null, maxDepth: null, timeoutMs: null, rateLimit: null }

/** What `seed` stored: 'jobs' with 2 waiting (ids `waiting`), 1 delayed and 3 dead letters (`dead`); a schedule 'nightly'. */
export interface Seeded {
  waiting: number[]
  delayed: number
  dead: number[]
}

/**
 * Fills `schema` (created by the store) as a broker with a failing consumer would leave it.
 *
 * @example
 * const seeded = await seed(schema())
 */
export async function seed(schema: string): Promise<Seeded> {
  const store = openPostgresStore({ connectionString: postgresUrl(), schema })
  try {
    store.declareChannel('jobs', config)
    const now = Date.now()
    const publish = (n: number, extra: { visibleAt?: number; key?: string } = {}): number =>
      store.publish({ channel: 'jobs', payload: encodeEnvelope(null, [{ order: n }]), kind: 'message', visibleAt: now, now, ...extra }).id
    const failing = [publish(1), publish(2), publish(3)]
    const owner = newOwnerId()
    const claimed = await store.claim('jobs', 'main', owner, now, 30_000, 3)
    expect(claimed.map((m) => m.id)).toEqual(failing)
    for (const m of claimed) await store.fail({ id: m.id, owner, error: `Error: failed ${m.id}\n    at somewhere (app.js:1:1)`, retryAt: null, now })
    const waiting = [publish(4), publish(5, { key: 'order-5' })]
    const delayed = publish(6, { visibleAt: now + 3_600_000 })
    store.upsertSchedule({ name: 'nightly', cron: '0 3 * * *', everyMs: null, tz: 'UTC', channel: 'jobs', payload: encodeEnvelope(null, ['nightly']), priority: 0, nextRunAt: now + 3_600_000 })
    return { waiting, delayed, dead: failing }
  } finally {
    store.close()
  }
}

/** Opens `schema` to look at what a command left (readonly: the test never writes through it). */
export function look<R>(schema: string, read: (store: Store) => R): R {
  const store = openPostgresStore({ connectionString: postgresUrl(), schema, readonly: true })
  try {
    return read(store)
  } finally {
    store.close()
  }
}

/** The server's URL with `?schema=`. */
export function urlWith(schema: string): string {
  return `${postgresUrl()}?schema=${encodeURIComponent(schema)}`
}

/**
 * Runs the CLI and checks that neither the password nor the connection string (nor its user
 * information) shows in what it printed.
 */
export async function cli(args: readonly string[], input?: string): Promise<CliResult> {
  const result = await runCli(args, input)
  expectNoSecret(`${result.stdout}\n${result.stderr}`)
  return result
}

/** Fails when `text` quotes the password or the user:password part of the server's URL. */
export function expectNoSecret(text: string): void {
  expect(text).not.toContain(testPassword)
  expect(text).not.toContain(postgresUrl())
  const userInfo = /^postgres(?:ql)?:\/\/([^@]*)@/.exec(postgresUrl())?.[1]
  if (userInfo !== undefined && userInfo !== '') expect(text).not.toContain(userInfo)
}
