// Crash safety (issue 4, point 7) with real processes: a producer and a consumer SIGKILLed
// mid-flight lose no message whose send returned, and the only duplicates are the deliveries that
// were in flight (delivered, not yet acknowledged) at the kill; those come back, attempt counted,
// as soon as a consumer opens the file again.

import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { createBroker } from '../../src/index.js'
import { countBySeq, ensureBuilt, killHard, readDeliveries, readSent, start, tempDir, useProcesses } from './durableProcesses.js'
import type { Delivery } from './durableProcesses.js'

useProcesses()
beforeAll(ensureBuilt, 120_000)

/** Opens the file in this process and delivers everything left; returns what it got, in order. */
async function drain(path: string, channel: string): Promise<Delivery[]> {
  const broker = createBroker({ path })
  const got: Delivery[] = []
  broker.ipcMain.on(channel, (event, payload: { seq: number }) => {
    got.push({ pid: process.pid, seq: payload.seq, attempt: event.attempt, at: Date.now() })
  })
  const handle = broker.channel(channel)
  await expect.poll(() => {
    const s = handle.stats()
    return s.ready + s.delayed + s.inFlight
  }, { timeout: 5000 }).toBe(0)
  await broker.close()
  return got
}

function ascending(seqs: readonly number[]): boolean {
  return seqs.every((s, i) => i === 0 || s > seqs[i - 1]!)
}

describe('SIGKILL of producer and consumer', () => {
  it('loses no stored send, and duplicates only the deliveries in flight at the kill', async () => {
    const dir = tempDir()
    const path = join(dir, 'queue.db')
    const sentLog = join(dir, 'sent.log')
    const deliveredLog = join(dir, 'delivered.log')
    const setup = createBroker({ path })
    setup.channel('jobs', { durable: true })
    await setup.close()

    const consumer = start('durableConsumer.mjs', { path, channel: 'jobs', log: deliveredLog })
    await consumer.ready
    const producer = start('durableProducer.mjs', { path, channel: 'jobs', log: sentLog, count: 1_000_000 })
    await producer.ready
    // Both running together, well into their loops.
    await expect.poll(() => readDeliveries(deliveredLog).length >= 300 && readSent(sentLog).length >= 600, { timeout: 8000 }).toBe(true)
    await Promise.all([killHard(consumer), killHard(producer)])

    const sent = readSent(sentLog)
    const firstRun = readDeliveries(deliveredLog)
    const afterRestart = await drain(path, 'jobs')
    const delivered = countBySeq([...firstRun, ...afterRestart])

    // Every send that returned was delivered at least once.
    expect(sent.filter((seq) => !delivered.has(seq))).toEqual([])
    // Beyond those, only the one send under way at the kill may have been stored.
    const lastSent = sent.at(-1)!
    expect([...delivered.keys()].filter((seq) => seq > lastSent).every((seq) => seq === lastSent + 1)).toBe(true)
    // FIFO in each run, no retries needed.
    expect(ascending(firstRun.map((d) => d.seq))).toBe(true)
    expect(ascending(afterRestart.map((d) => d.seq))).toBe(true)
    // Duplicates: exactly the last deliveries of the killed consumer (delivered, acknowledgement not
    // yet written; acknowledgements are written in order). These deliveries take microseconds, so
    // their starts are recorded with the acknowledgements, within a millisecond: the last ones may
    // come back with the same attempt number. A message that never reached the listener before the
    // kill comes back with no attempt charged.
    const duplicated = new Set([...delivered].filter(([, n]) => n > 1).map(([seq]) => seq))
    expect([...delivered.values()].every((n) => n <= 2)).toBe(true)
    const tail = firstRun.slice(firstRun.length - duplicated.size).map((d) => d.seq)
    expect(new Set(tail)).toEqual(duplicated)
    // The delivery being started at the instant of the kill (its start recorded, its listener not
    // yet run) may come back counted: at most that one.
    for (const d of afterRestart) expect(d.attempt).toBeLessThanOrEqual(2)
    expect(afterRestart.filter((d) => !duplicated.has(d.seq) && d.attempt > 1).length).toBeLessThanOrEqual(1)
    console.info(`crash: ${sent.length} sends stored, ${firstRun.length} delivered before the kill, ${duplicated.size} redelivered after it`)
  })

  it('redelivers the delivery in flight at the kill as soon as a consumer opens the file again', async () => {
    const dir = tempDir()
    const path = join(dir, 'queue.db')
    const setup = createBroker({ path })
    setup.channel('jobs', { durable: true })
    for (let seq = 0; seq < 3; seq++) setup.enqueue('jobs', [{ seq }])
    await setup.close()

    const firstLog = join(dir, 'first.log')
    const first = start('durableConsumer.mjs', { path, channel: 'jobs', log: firstLog, workMs: 60_000 })
    await expect.poll(() => readDeliveries(firstLog).length, { timeout: 5000 }).toBe(1)
    await killHard(first)

    const secondLog = join(dir, 'second.log')
    const spawnedAt = Date.now()
    start('durableConsumer.mjs', { path, channel: 'jobs', log: secondLog })
    await expect.poll(() => readDeliveries(secondLog).length, { timeout: 5000 }).toBe(3)
    const got = readDeliveries(secondLog)
    expect(got.map((d) => d.seq)).toEqual([0, 1, 2])
    // Only the delivery that had started counts an attempt: a slow listener's consumer claims no
    // more than it can start soon, so 1 and 2 were never claimed by the killed process.
    expect(got.map((d) => d.attempt)).toEqual([2, 1, 1])
    // The default lease is 30 s: taken back at open because its owner's process is dead.
    const takeOverMs = got[0]!.at - spawnedAt
    expect(takeOverMs).toBeLessThan(3000)
    console.info(`crash: in-flight delivery redelivered ${takeOverMs} ms after the new consumer was spawned (node start-up included)`)
  })
})
