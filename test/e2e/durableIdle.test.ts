// Idle cost does not grow with channels (issue "trust:" point 8): a process with 1,000 durable
// channels with listeners and nothing queued uses next to no CPU (one change probe per store, not
// one poll per channel), and still wakes for another process's send as fast as with one channel.

import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { createBroker } from '../../src/index.js'
import { ensureBuilt, readDeliveries, start, tempDir, useProcesses } from './durableProcesses.js'
import type { Child } from './durableProcesses.js'

useProcesses()
beforeAll(ensureBuilt, 120_000)

function cpuMs(child: Child): Promise<number> {
  return new Promise((resolve) => {
    child.process.once('message', (m: { cpu: NodeJS.CpuUsage }) => resolve((m.cpu.user + m.cpu.system) / 1000))
    child.process.send('cpu')
  })
}

describe('idle cost', () => {
  it('1,000 idle durable channels with listeners use < 2% of a core, and wake for another process within its poll bound', async () => {
    const dir = tempDir()
    const path = join(dir, 'idle.db')
    const log = join(dir, 'delivered.log')
    const channels = 1000
    const setup = createBroker({ path })
    for (let i = 0; i < channels; i++) setup.channel(`ch-${i}`, { durable: true })
    await setup.close()
    const app = start('idleChannels.mjs', { path, channels, log })
    await app.ready
    // Settled into idle (the poll backed off to its slowest step).
    await new Promise((resolve) => setTimeout(resolve, 500))
    const before = await cpuMs(app)
    await new Promise((resolve) => setTimeout(resolve, 2000))
    const usedPerSecond = ((await cpuMs(app)) - before) / 2
    expect(usedPerSecond).toBeLessThan(20)

    const producer = createBroker({ path })
    const latencies: number[] = []
    for (let seq = 0; seq < 5; seq++) {
      await new Promise((resolve) => setTimeout(resolve, 250))
      const sentAt = Date.now()
      producer.enqueue(`ch-${seq * 199}`, [{ seq }])
      await expect.poll(() => readDeliveries(log).length, { timeout: 3000, interval: 5 }).toBe(seq + 1)
      latencies.push(readDeliveries(log)[seq]!.at - sentAt)
    }
    await producer.close()
    latencies.sort((a, b) => a - b)
    // Within the poll bound (100 ms, and the recheck of 1,000 consumers) as a rule; one wake-up of
    // five may come later when the whole suite loads the 2-core machine (989 ms seen once in CI).
    expect(latencies[2]).toBeLessThan(300)
    expect(latencies.at(-1)).toBeLessThan(1500)
    console.info(`idle: ${channels} channels use ${usedPerSecond.toFixed(1)} ms of CPU per s; cross-process wake-up median ${latencies[2]} ms, max ${latencies.at(-1)} ms`)
  }, 30_000)
})
