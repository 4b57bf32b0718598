// `durable-ipc schedules` (and the schedules part of `stats`), run as the real executable: on a file
// the library made, and on a live file whose application fires a schedule meanwhile: it lists
// what broker.schedules() lists, reads the file without changing it, and disturbs nothing.

import { afterEach, describe, expect, it } from 'vitest'
import { createBroker } from '../../src/index.js'
import type { Broker } from '../../src/index.js'
import { digest, makeDatabase, runCli, useCliFixtures } from './helpers.js'

const file = useCliFixtures()

interface ScheduleJson {
  name: string
  cron: string | null
  everyMs: number | null
  tz: string | null
  channel: string
  nextRunAt: number
  lastRunAt: number | null
}

/** A file with two schedules (never run) on two channels; returns it and what the library listed. */
async function sample(): Promise<{ path: string; listed: ScheduleJson[] }> {
  const path = file('schedules.db')
  let listed: ScheduleJson[] = []
  await makeDatabase(path, (broker) => {
    broker.channel('report', { durable: true })
    broker.channel('health', { durable: true })
    broker.schedule('nightly', { cron: '0 3 * * *', tz: 'Europe/Berlin', channel: 'report', args: [{ kind: 'daily' }] })
    broker.schedule('heartbeat', { everyMs: 30_000, channel: 'health', args: [] })
    listed = broker.schedules().map((s) => ({ ...s, nextRunAt: s.nextRunAt.getTime(), lastRunAt: s.lastRunAt?.getTime() ?? null }))
  })
  return { path, listed }
}

async function schedulesJson(path: string): Promise<ScheduleJson[]> {
  const { code, stdout, stderr } = await runCli(['schedules', path, '--json'])
  expect(stderr).toBe('')
  expect(code).toBe(0)
  return JSON.parse(stdout) as ScheduleJson[]
}

let app: Broker | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

describe('schedules', () => {
  it('prints a table by name: when, channel, next slot and last run', async () => {
    const { path } = await sample()
    const { code, stdout, stderr } = await runCli(['schedules', path])
    expect([code, stderr]).toEqual([0, ''])
    const lines = stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^SCHEDULE +WHEN +CHANNEL +NEXT +LAST$/)
    expect(lines[1]).toMatch(/^heartbeat +every 30s +health +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(in \d+s\) +-$/)
    // How far 03:00 in Berlin is depends on when the test runs: '(in 5h 12m)', '(in 44m 37s)', '(in 9s)', '(in 850ms)'.
    expect(lines[2]).toMatch(/^nightly +0 3 \* \* \* Europe\/Berlin +report +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(in (\d+h \d+m|\d+m \d+s|\d+m?s)\) +-$/)
    expect(lines).toHaveLength(3)
  })

  it('prints with --json what broker.schedules() lists, times as epoch ms, and leaves the file as it was', async () => {
    const { path, listed } = await sample()
    const before = digest(path)
    expect(await schedulesJson(path)).toEqual(listed)
    expect(listed.map((s) => Object.keys(s))).toEqual([
      ['name', 'cron', 'everyMs', 'tz', 'channel', 'nextRunAt', 'lastRunAt'],
      ['name', 'cron', 'everyMs', 'tz', 'channel', 'nextRunAt', 'lastRunAt'],
    ])
    expect(digest(path)).toBe(before)
  })

  it('says so when there are none', async () => {
    const path = file('none.db')
    await makeDatabase(path, (broker) => void broker.channel('jobs', { durable: true }))
    const table = await runCli(['schedules', path])
    expect([table.code, table.stdout]).toEqual([0, `No schedules in ${path}.\n`])
    expect(await schedulesJson(path)).toEqual([])
  })

  it('is part of stats: name, channel, next and last, as a table and under schedules in JSON', async () => {
    const { path, listed } = await sample()
    const { code, stdout } = await runCli(['stats', path])
    expect(code).toBe(0)
    const lines = stdout.trimEnd().split('\n')
    const at = lines.findIndex((line) => line.startsWith('SCHEDULE'))
    expect(lines[at - 1]).toBe('')
    expect(lines[at]).toMatch(/^SCHEDULE +CHANNEL +NEXT +LAST$/)
    expect(lines.slice(at + 1).map((line) => line.split(/ +/).slice(0, 2))).toEqual([['heartbeat', 'health'], ['nightly', 'report']])
    const json = await runCli(['stats', path, '--json'])
    expect((JSON.parse(json.stdout) as { schedules: ScheduleJson[] }).schedules).toEqual(listed)
  })

  it('reads a live file while its application fires a schedule, and disturbs nothing', async () => {
    const path = file('live.db')
    app = createBroker({ path })
    app.channel('ticks', { durable: true })
    let received = 0
    app.ipcMain.on('ticks', () => void received++)
    app.schedule('tick', { everyMs: 100, channel: 'ticks', args: ['tick'] })
    await expect.poll(() => received, { timeout: 5000 }).toBeGreaterThanOrEqual(2)

    const first = (await schedulesJson(path))[0]!
    expect(first).toMatchObject({ name: 'tick', everyMs: 100, channel: 'ticks', lastRunAt: expect.any(Number) })
    const seen = received
    await expect.poll(async () => (await schedulesJson(path))[0]!.lastRunAt! > first.lastRunAt!, { timeout: 5000, interval: 50 }).toBe(true)
    const table = await runCli(['schedules', path])
    expect([table.code, table.stderr]).toEqual([0, ''])
    expect(table.stdout).toMatch(/^tick +every 100ms +ticks +.*\((in \d+ms|due)\) +.*\(\d+ms ago\)$/m)
    // The application went on firing and delivering throughout.
    await expect.poll(() => received, { timeout: 5000 }).toBeGreaterThan(seen + 2)
    expect(app.schedules()[0]!.lastRunAt!.getTime()).toBeGreaterThan(first.lastRunAt!)
  })
})
