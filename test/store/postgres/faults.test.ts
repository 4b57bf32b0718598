// The PostgreSQL store when its server stops answering, goes down, comes back, or refuses the
// credentials: typed errors at the call (a synchronous call never blocks past timeoutMs), no
// connection string or password in any of them, and calls that work again once the server is back.

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

  it('ends a synchronous call to a server that stopped answering after timeoutMs (ERR_STORE_TIMEOUT), and works again once it answers', async () => {
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
    // The consumer side rejects too, within its own deadline.
    const rejected = await Promise.resolve(store.claim('jobs', 'main', 'h/1/a', t0, 1000, 1)).catch((e: unknown) => e)
    expect(rejected).toBeInstanceOf(StoreError)
    expect((rejected as StoreError).code).toMatch(/^ERR_STORE_(TIMEOUT|UNAVAILABLE)$/)
    expectNoSecret(rejected, url)

    proxy.forward()
    store.publish(message('jobs', 'after', t0))
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
    const { id } = store.publish(message('jobs', 'back', t0))
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
