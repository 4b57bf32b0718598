// Store and forward while PostgreSQL is down: sends keep succeeding into the node's file, the
// outbox backlog grows in stats, the broker reports the outage once (not once per retry), and once
// the server is back everything is forwarded and delivered, once each.

import { afterEach, describe, expect, it } from 'vitest'
import { Counter, dbPath, openBroker, useDurableFixtures, wait } from './durableHelpers.js'
import { postgresUrl, useSchemas } from '../support/postgres.js'
import { startTcpProxy, throughProxy } from '../support/tcpProxy.js'
import type { TcpProxy } from '../support/tcpProxy.js'

describe('a broker with postgres during an outage', () => {
  useDurableFixtures()
  const schema = useSchemas()
  const proxies: TcpProxy[] = []
  afterEach(async () => {
    for (const proxy of proxies.splice(0)) await proxy.close()
  })

  it('keeps storing sends while PostgreSQL refuses connections, reports it once, and delivers everything once it is back', async () => {
    const server = new URL(postgresUrl())
    const proxy = startTcpProxy(server.hostname, Number(server.port || 5432))
    proxies.push(proxy)
    const broker = openBroker({ path: dbPath('node.db'), postgres: { connectionString: throughProxy(postgresUrl(), proxy), schema: schema(), timeoutMs: 2000 } })
    const errors: unknown[] = []
    broker.on('error', (error) => errors.push(error))
    broker.channel('jobs', { durable: true })
    const got = new Counter<number>()
    broker.ipcMain.on('jobs', async (_event, n: number) => got.push(n))
    broker.enqueue('jobs', [0])
    await got.reach(1)

    proxy.refuse()
    const started = performance.now()
    let n = 1
    while (performance.now() - started < 3000) {
      for (let i = 0; i < 20; i++) broker.enqueue('jobs', [n++])
      await wait(50)
    }
    const sent = n
    const during = broker.stats()
    expect(during.outbox?.pending).toBeGreaterThan(sent / 2)
    expect(during.outbox?.reachable).toBe(false)
    expect(during.outbox?.oldestAgeMs).toBeGreaterThan(1000)
    // The forwarder failed at least once: one report for the whole outage.
    expect(errors).toHaveLength(1)

    proxy.forward()
    await got.reach(sent)
    await expect.poll(() => broker.stats().outbox?.pending, { timeout: 10_000 }).toBe(0)
    expect(new Set(got.items).size).toBe(sent)
    expect(errors).toHaveLength(1)
    for (const error of errors) expect(error).toMatchObject({ name: 'StoreError' })
  }, 40_000)
})
