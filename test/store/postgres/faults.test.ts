// The PostgreSQL store when its server stops answering, goes down, comes back, or refuses the
// credentials: typed errors at the call (a synchronous call never blocks past timeoutMs, and once
// one found the server out of reach the next ones fail at once while the store reconnects in the
// background), no connection string or password in any of them, and calls that work again soon
// once the server is back.

import { inspect } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { StoreError } from '../../../src/errors.js'
import { openPostgresStore } from '../../../src/store/index.js'
import type { Store } from '../../../src/store/index.js'
import { channelConfig, message } from '../helpers.js'
import { postgresUrl, useSchemas } from '../../support/postgres.js'
import { freePort, testPassword } from '../../support/postgresServer.js'
import { startTcpProxy, throughProxy } from '../../support/tcpProxy.js'
import type { TcpProxy } from '../../support/tcpProxy.js'

const t0 = 1_700_000_000_000

/** Everything an error shows, its causes included. */
function shown(err: unknown): string {
  return `${String(err)}\n${inspect(err, { depth: 10 })}\n${JSON.stringify(err)}`
}

function expectNoSecret(err: unknown, url: string): void {
  const text = shown(err)
  expect(text).not.toContain(testPassword)
  expect(text).not.toContain(url)
  const password = new URL(url).password
  if (password !== '') expect(text).not.toContain(decodeURIComponent(password))
}

/** Runs `run` until it stops throwing (the store reconnects in the background), at most `timeoutMs`. */
async function worksAgain<T>(run: () => T, timeoutMs = 10_000): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    try {
      return run()
    } catch (err) {
      if (performance.now() > deadline) throw err
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}

function caught(run: () => unknown): unknown {
  try {
    run()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw')
}

describe('the PostgreSQL store facing faults', () => {
  const schema = useSchemas()
  const stores: Store[] = []
  const proxies: TcpProxy[] = []
  afterEach(async () => {
    for (const store of stores.splice(0)) store.close()
    for (const proxy of proxies.splice(0)) await proxy.close()
  })
  const behindProxy = async (timeoutMs: number): Promise<{ store: Store; proxy: TcpProxy; url: string }> => {
    const server = new URL(postgresUrl())
    const proxy = startTcpProxy(server.hostname, Number(server.port || 5432))
    proxies.push(proxy)
    const url = throughProxy(postgresUrl(), proxy)
    const store = openPostgresStore({ connectionString: url, schema: schema(), timeoutMs })
    stores.push(store)
    return { store, proxy, url }
  }

  it('ends a synchronous call to a server that stopped answering after timeoutMs (ERR_STORE_TIMEOUT), fails the next ones at once, and works again once it answers', async () => {
    const { store, proxy, url } = await behindProxy(500)
    store.declareChannel('jobs', channelConfig())
    store.publish(message('jobs', 'before', t0))
    proxy.hang()
    const started = performance.now()
    const err = caught(() => store.publish(message('jobs', 'while hung', t0)))
    const waited = performance.now() - started
    expect(err).toBeInstanceOf(StoreError)
    expect(err).toMatchObject({ code: 'ERR_STORE_TIMEOUT' })
    expect(waited).toBeGreaterThanOrEqual(450)
    expect(waited).toBeLessThan(5000)
    expectNoSecret(err, url)
    // Known out of reach now: the next calls fail at once, on both sides, touching no connection.
    for (let i = 0; i < 5; i++) {
      const at = performance.now()
      expect(caught(() => store.publish(message('jobs', 'while hung', t0)))).toMatchObject({ name: 'StoreError', code: 'ERR_STORE_UNAVAILABLE' })
      expect(performance.now() - at).toBeLessThan(50)
    }
    const claimedAt = performance.now()
    const rejected = await Promise.resolve(store.claim('jobs', 'main', 'h/1/a', t0, 1000, 1)).catch((e: unknown) => e)
    expect(performance.now() - claimedAt).toBeLessThan(50)
    expect(rejected).toMatchObject({ name: 'StoreError', code: 'ERR_STORE_UNAVAILABLE' })
    expectNoSecret(rejected, url)
    // Still hung a while later: still failing fast (the background probe gets no answer either).
    await new Promise((resolve) => setTimeout(resolve, 1200))
    const later = performance.now()
    expect(caught(() => store.stats(t0))).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' })
    expect(performance.now() - later).toBeLessThan(50)

    proxy.forward()
    const backAt = performance.now()
    await worksAgain(() => store.publish(message('jobs', 'after', t0)))
    const backMs = performance.now() - backAt
    // The probe waits at most PROBE_MAX_MS between tries, plus one timeoutMs for a try in flight.
    expect(backMs).toBeLessThan(5000)
    expect(store.stats(t0).find((s) => s.channel === 'jobs')?.ready).toBe(2)
  })

  it('fails calls to a server that went down with ERR_STORE_UNAVAILABLE, and works again once it is back', async () => {
    const { store, proxy, url } = await behindProxy(2000)
    store.declareChannel('jobs', channelConfig())
    await store.claim('jobs', 'main', 'h/1/a', t0, 1000, 1)
    proxy.refuse()
    const err = caught(() => store.publish(message('jobs', 'while down', t0)))
    expect(err).toMatchObject({ name: 'StoreError', code: 'ERR_STORE_UNAVAILABLE' })
    expectNoSecret(err, url)
    const rejected = await Promise.resolve(store.claim('jobs', 'main', 'h/1/a', t0, 1000, 1)).catch((e: unknown) => e)
    expect(rejected).toMatchObject({ name: 'StoreError', code: 'ERR_STORE_UNAVAILABLE' })
    expectNoSecret(rejected, url)

    proxy.forward()
    const { id } = await worksAgain(() => store.publish(message('jobs', 'back', t0)))
    const [claimed] = await store.claim('jobs', 'main', 'h/1/a', t0, 1000, 1)
    expect(claimed?.id).toBe(id)
  })

  it('refuses to open on a port nobody listens on, quickly, without the password', async () => {
    const url = `postgres://durable:${testPassword}@127.0.0.1:${await freePort()}/postgres`
    const err = caught(() => openPostgresStore({ connectionString: url, schema: schema(), timeoutMs: 5000 }))
    expect(err).toMatchObject({ name: 'StoreError', code: 'ERR_STORE_UNAVAILABLE' })
    expect(String(err)).toMatch(/open schema/)
    expectNoSecret(err, url)
  })

  it('refuses wrong credentials with ERR_STORE_UNAVAILABLE, quoting neither the password tried nor the URL', () => {
    const wrong = 'Wr0ng-pass-word-xyz'
    const url = new URL(postgresUrl())
    url.password = wrong
    const err = caught(() => openPostgresStore({ connectionString: url.toString(), schema: schema(), timeoutMs: 5000 }))
    expect(err).toMatchObject({ name: 'StoreError', code: 'ERR_STORE_UNAVAILABLE' })
    expect(String(err)).toMatch(/credentials/)
    expect(shown(err)).not.toContain(wrong)
    expectNoSecret(err, url.toString())
  })

  it('says what is wrong with bad options, without quoting the connection string', () => {
    expect(() => openPostgresStore({ connectionString: '' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
    const err = caught(() => openPostgresStore({ connectionString: postgresUrl(), schema: 'x'.repeat(64) }))
    expect(err).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
    expectNoSecret(err, postgresUrl())
  })
})
