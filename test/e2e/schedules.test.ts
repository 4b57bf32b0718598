// Schedules across real processes (issue "jobs:", point 10): two processes on one file run the same
// everyMs schedule, and every slot is fired by exactly one of them, also while one of them is
// SIGKILLed again and again around the slots (a fire's enqueue and its move to the next slot
// commit together, so a kill leaves either both or neither: a slot fired twice would show as two
// messages of the same slot).

import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { createBroker } from '../../src/index.js'
import { openSqliteStore } from '../../src/store/index.js'
import { ensureBuilt, killHard, start, tempDir, useProcesses } from './durableProcesses.js'
import type { Child } from './durableProcesses.js'

useProcesses()
beforeAll(ensureBuilt, 120_000)

const EVERY_MS = 50
const schedule = { channel: 'ticks', name: 'tick', everyMs: EVERY_MS }

/** A file with the channel and the schedule declared; returns its path and the first slot. */
async function prepare(): Promise<{ path: string; first: number }> {
  const path = join(tempDir(), 'schedules.db')
  const broker = createBroker({ path })
  broker.channel(schedule.channel, { durable: true })
  const { nextRunAt } = broker.schedule(schedule.name, { everyMs: EVERY_MS, channel: schedule.channel, args: [schedule.name] })
  await broker.close()
  return { path, first: nextRunAt.getTime() }
}

function runner(path: string): Child {
  return start('scheduler.mjs', { path, ...schedule })
}

async function closeAll(children: readonly Child[]): Promise<void> {
  for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) child.process.send('close')
  await Promise.all(children.map((c) => c.exited))
}

/** How many messages each slot has (a message's visibleAt is its slot), read from the file. */
function messagesBySlot(path: string): Map<number, number> {
  const store = openSqliteStore({ path, readonly: true })
  try {
    const counts = new Map<number, number>()
    for (const m of store.messagesAfter(0, schedule.channel, 1_000_000)) counts.set(m.visibleAt, (counts.get(m.visibleAt) ?? 0) + 1)
    return counts
  } finally {
    store.close()
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))

/** Every slot at most once, each on the schedule's grid; returns the slots fired, in order. */
function expectOncePerSlot(counts: Map<number, number>, first: number): number[] {
  expect([...counts].filter(([, n]) => n !== 1)).toEqual([])
  const slots = [...counts.keys()].sort((a, b) => a - b)
  expect(slots.filter((slot) => (slot - first) % EVERY_MS !== 0)).toEqual([])
  return slots
}

describe('one schedule, two processes', () => {
  it('fires every slot exactly once while both run it', async () => {
    const { path, first } = await prepare()
    const children = [runner(path), runner(path)]
    await Promise.all(children.map((c) => c.ready))
    const startedAt = Date.now()
    await sleep(3000)
    await closeAll(children)
    const endedAt = Date.now()
    for (const c of children) expect(c.stderr()).toBe('')

    const slots = expectOncePerSlot(messagesBySlot(path), first)
    // Slots came due all the while; a slot is only ever skipped when both processes stalled past
    // the next one (then the missed ones fire once, as after downtime): most of them fired.
    const due = Math.floor((endedAt - first) / EVERY_MS)
    expect(slots.length).toBeGreaterThanOrEqual(Math.floor(((endedAt - startedAt) / EVERY_MS) * 0.5))
    expect(slots.length).toBeLessThanOrEqual(due + 1)
    console.info(`schedules: ${slots.length} slots fired once each out of ${due} due, two processes`)
  })

  it('still fires each slot once while one of them is SIGKILLed again and again around the slots', async () => {
    const { path, first } = await prepare()
    const steady = runner(path)
    await steady.ready
    const KILLS = 12
    for (let kills = 0; kills < KILLS; kills++) {
      const victim = runner(path)
      await victim.ready
      // Kill it within a few ms of a slot, before or after, where a fire is most likely under way.
      const nextSlot = first + Math.ceil((Date.now() - first) / EVERY_MS + 1) * EVERY_MS
      await sleep(nextSlot - Date.now() + (kills % 7) - 3)
      await killHard(victim)
    }
    // And the steady one too, once: the victim's last life then runs the schedule alone.
    await killHard(steady)
    const last = runner(path)
    await last.ready
    await sleep(500)
    await closeAll([last])

    const slots = expectOncePerSlot(messagesBySlot(path), first)
    expect(slots.length).toBeGreaterThan(20)
    console.info(`schedules: ${slots.length} slots fired once each through ${KILLS} SIGKILLs`)
  }, 60_000)
})
