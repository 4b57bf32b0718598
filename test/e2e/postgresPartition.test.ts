// A network partition of one node: its connections to PostgreSQL cut (a proxy that drops every
// byte both ways, as a pulled cable does: nothing is refused, nothing answers) while its slow
// listener holds leases. Its leases run out and the other node takes over those deliveries; the
// cut node keeps storing its sends in its own file; once healed, they are forwarded and delivered,
// and nothing is lost.

import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { countBySeq, ensureBuilt, killHard, readDeliveries, readSent, report, undelivered, start, tempDir, useProcesses } from './durableProcesses.js'
import { postgresUrl, useSchemas } from '../support/postgres.js'
import { startTcpProxy, throughProxy } from '../support/tcpProxy.js'
import type { TcpProxy } from '../support/tcpProxy.js'

useProcesses()
beforeAll(ensureBuilt, 120_000)

const LEASE_MS = 1500
const CUT_MS = 6000

describe('a network partition of one node', () => {
  const schema = useSchemas()
  const proxies: TcpProxy[] = []
  afterEach(async () => {
    for (const proxy of proxies.splice(0)) await proxy.close()
  })

  it('lets its leases run out, another node take over, and forwards its sends once healed', async () => {
    const dir = tempDir()
    const server = new URL(postgresUrl())
    const proxy = startTcpProxy(server.hostname, Number(server.port || 5432))
    proxies.push(proxy)
    const shared = { schema: schema(), timeoutMs: 2000 }
    const deliveredLog = join(dir, 'delivered.log')
    const sentLogs = [join(dir, 'sent-cut.log'), join(dir, 'sent-other.log')]
    const launch = (i: number, connectionString: string) =>
      start('forwardingNode.mjs', {
        path: join(dir, `node-${i}.db`),
        postgres: { connectionString, ...shared },
        channel: 'jobs',
        sentLog: sentLogs[i],
        deliveredLog,
        idsLog: join(dir, 'ids.log'),
        seqBase: (i + 1) * 10_000_000,
        sendEveryMs: 50,
        // Each delivery takes a while: the cut node always holds some leases.
        deliverMs: 100,
        channelOptions: { concurrency: 4, leaseMs: LEASE_MS },
      })
    const cut = launch(0, throughProxy(postgresUrl(), proxy))
    const other = launch(1, postgresUrl())
    await Promise.all([cut.ready, other.ready])
    await expect.poll(() => new Set(readDeliveries(deliveredLog).map((d) => d.pid)).size, { timeout: 20_000, interval: 100 }).toBe(2)
    const before = await report(cut)

    proxy.hang()
    const cutAt = Date.now()
    // Deliveries the cut node began just before the cut: their acknowledgements cannot get through.
    const heldAtCut = new Set(readDeliveries(deliveredLog).filter((d) => d.pid === cut.pid && d.at > cutAt - 150).map((d) => d.seq))
    // The other node takes them over once their lease has run out.
    const takenOver = (): number[] =>
      readDeliveries(deliveredLog).filter((d) => d.pid === other.pid && d.at > cutAt && d.attempt > 1).map((d) => d.seq)
    await expect.poll(() => takenOver().length, { timeout: CUT_MS, interval: 100 }).toBeGreaterThan(0)
    const firstTakeOverMs = Math.min(...readDeliveries(deliveredLog).filter((d) => d.pid === other.pid && d.at > cutAt && d.attempt > 1).map((d) => d.at)) - cutAt
    await new Promise((resolve) => setTimeout(resolve, cutAt + CUT_MS - Date.now()))
    const during = await report(cut)
    proxy.forward()
    const healedAt = Date.now()
    const sent = sentLogs.flatMap((log) => readSent(log))

    await expect.poll(() => undelivered(sent, deliveredLog).length, { timeout: 30_000, interval: 100 }).toBe(0)
    const drainMs = Date.now() - healedAt
    await expect.poll(async () => (await report(cut)).outbox?.pending, { timeout: 10_000, interval: 200 }).toBe(0)
    await Promise.all([killHard(cut), killHard(other)])

    const delivered = countBySeq(readDeliveries(deliveredLog))
    const heldTakenOver = [...heldAtCut].filter((seq) => takenOver().includes(seq)).length
    const duplicates = sent.filter((seq) => (delivered.get(seq) ?? 0) > 1).length
    console.info(
      `partition ${CUT_MS} ms (lease ${LEASE_MS} ms): first take-over ${firstTakeOverMs} ms after the cut, ${takenOver().length} taken over ` +
        `(${heldTakenOver} of the ${heldAtCut.size} begun just before it), cut node sent ${during.sent - before.sent} meanwhile ` +
        `(backlog ${during.outbox?.pending}, slowest send ${during.maxSendMs.toFixed(1)} ms), all ${sent.length} delivered ${drainMs} ms after the heal, ${duplicates} twice or more`,
    )

    // Taken over once the lease ran out (renewed every leaseMs / 3, so at least 2/3 of it after the cut), and soon.
    expect(firstTakeOverMs).toBeGreaterThanOrEqual(LEASE_MS / 2)
    expect(firstTakeOverMs).toBeLessThan(CUT_MS)
    // The cut node went on storing its sends; its stats said it could not reach PostgreSQL.
    expect(during.sent - before.sent).toBeGreaterThan(CUT_MS / 50 / 4)
    expect(during.outbox?.reachable).toBe(false)
    expect(during.outbox?.pending).toBeGreaterThan(0)
    expect(during.maxSendMs).toBeLessThan(1000)
    expect(duplicates).toBeLessThan(sent.length / 10)
    expect([cut, other].map((n) => n.stderr()).join('')).not.toMatch(/TypeError|RangeError|ReferenceError/)
  }, 90_000)
})
