// Store and forward under SIGKILL, with real processes: nodes (each its own SQLite file, one shared
// PostgreSQL schema) send and consume while a killer loop SIGKILLs one of them every second or two
// and starts it again on its file, mid-send and mid-forward. Every id whose send returned is
// delivered at least once; a message is delivered again only because a delivery was in flight at a
// kill, never because a batch was forwarded twice.

import { readFileSync } from 'node:fs'
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { createBroker } from '../../src/index.js'
import { countBySeq, ensureBuilt, killHard, readDeliveries, readSent, start, tempDir, useProcesses } from './durableProcesses.js'
import type { Child, Delivery } from './durableProcesses.js'
import { postgresUrl, useSchemas } from '../support/postgres.js'

useProcesses()
beforeAll(ensureBuilt, 120_000)

// The shape: three nodes, a killer loop for 60 s, then a drain.
const NODES = 3
const RUN_MS = 60_000
const channelOptions = { leaseMs: 3000, concurrency: 4 }

describe('SIGKILL of store-and-forward nodes', () => {
  const schema = useSchemas()

  it('delivers every send that returned at least once, however often its node is killed mid-forward', async () => {
    const dir = tempDir()
    const postgres = { connectionString: postgresUrl(), schema: schema() }
    const files = Array.from({ length: NODES }, (_, i) => join(dir, `node-${i}.db`))
    const sentLogs = files.map((_, i) => join(dir, `sent-${i}.log`))
    const deliveredLog = join(dir, 'delivered.log')
    const idsLog = join(dir, 'ids.log')
    let runs = 0
    const launch = (i: number): Child =>
      start('forwardingNode.mjs', { path: files[i], postgres, channel: 'jobs', sentLog: sentLogs[i], deliveredLog, idsLog, seqBase: ++runs * 10_000_000, channelOptions })
    const nodes = files.map((_, i) => launch(i))
    await Promise.all(nodes.map((n) => n.ready))

    const started = Date.now()
    let kills = 0
    while (Date.now() - started < RUN_MS) {
      await new Promise((resolve) => setTimeout(resolve, 800 + Math.random() * 1200))
      const i = kills++ % NODES
      await killHard(nodes[i]!)
      nodes[i] = launch(i)
      await nodes[i]!.ready
    }
    await Promise.all(nodes.map((n) => killHard(n)))
    const stderr = nodes.map((n) => n.stderr()).join('')

    // Each file opened once more, here: what it still holds is forwarded, and all is delivered.
    const drained: Delivery[] = []
    const drainedIds: Array<[number, number]> = []
    const brokers = files.map((path) => createBroker({ path, postgres }))
    for (const broker of brokers) {
      broker.channel('jobs', { durable: true, ...channelOptions })
      broker.ipcMain.on('jobs', (event, payload: { seq: number }) => {
        drained.push({ pid: process.pid, seq: payload.seq, attempt: event.attempt, at: Date.now() })
        drainedIds.push([payload.seq, event.messageId!])
      })
    }
    await expect.poll(() => brokers.every((b) => {
      const stats = b.stats()
      const jobs = stats.durable['jobs']
      return stats.outbox?.pending === 0 && jobs !== undefined && jobs.ready + jobs.delayed + jobs.inFlight === 0
    }), { timeout: 30_000, interval: 200 }).toBe(true)
    await Promise.all(brokers.map((b) => b.close()))

    const sent = sentLogs.flatMap((log) => readSent(log))
    const delivered = countBySeq([...readDeliveries(deliveredLog), ...drained])
    expect(sent.length).toBeGreaterThan(1000)
    expect(sent.filter((seq) => !delivered.has(seq))).toEqual([])
    // Nothing was stored twice in PostgreSQL: every delivery of a send came from one message there
    // (a redelivery is a delivery in flight at a kill, handed out again).
    const idsOf = new Map<number, Set<number>>()
    const logged = readFileSync(idsLog, 'utf8').split('\n').map((line) => line.split(' ').map(Number)).filter((p) => p.length === 2 && p.every(Number.isFinite))
    for (const [seq, id] of [...logged, ...drainedIds] as Array<[number, number]>) {
      let ids = idsOf.get(seq)
      if (!ids) idsOf.set(seq, (ids = new Set()))
      ids.add(id)
    }
    expect([...idsOf].filter(([, ids]) => ids.size > 1)).toEqual([])
    const redelivered = [...delivered.values()].filter((n) => n > 1).length
    console.info(`forwarding crash: ${kills} kills, ${sent.length} sends, ${redelivered} redelivered (each from its one message)`)
    expect(stderr).not.toMatch(/TypeError|RangeError|ReferenceError/)
    // Every node's file came through the kills intact.
    for (const path of files) {
      const db = new Database(path, { readonly: true })
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
      } finally {
        db.close()
      }
    }
  }, 180_000)
})
