// The tool on a file that another process is consuming from at the same time: stats sees work in
// flight, tail prints messages as they are stored, replay hands dead letters back to the running
// consumer, and none of it disturbs the application.

import { describe, expect, it } from 'vitest'
import { runCli, startCli, useCliFixtures, useLiveFiles } from './helpers.js'
import type { Running } from './helpers.js'

const liveFile = useLiveFiles(useCliFixtures())
let consumer: Running | undefined

/** A database with the 'jobs' channel, a consumer process on it, and a producer in this process (no listeners: it only stores). */
async function live(): Promise<{ path: string; enqueue: (job: Record<string, unknown>) => void }> {
  const file = await liveFile('live.db')
  consumer = file.consumer
  return { path: file.path, enqueue: (job) => void file.producer.enqueue('jobs', [job]) }
}

const statsOf = async (path: string) => {
  const { code, stdout, stderr } = await runCli(['stats', path, '--json'])
  expect(stderr).toBe('')
  expect(code).toBe(0)
  return (JSON.parse(stdout) as { durable: Record<string, { ready: number; inFlight: number; dead: number }> }).durable['jobs']!
}

describe('while another process consumes', () => {
  it('stats shows a delivery in flight and the queue behind it', async () => {
    const { path, enqueue } = await live()
    enqueue({ name: 'slow', holdMs: 1500 })
    enqueue({ name: 'next' })
    // How many of the two are leased depends on how the consumer claims (a batch at a time).
    await expect.poll(async () => {
      const jobs = await statsOf(path)
      return jobs.inFlight >= 1 && jobs.ready + jobs.inFlight === 2 && jobs.dead === 0
    }, { timeout: 5000, interval: 50 }).toBe(true)
    await consumer!.waitFor(/^done next$/m)
    await expect.poll(() => statsOf(path), { timeout: 5000, interval: 50 }).toMatchObject({ ready: 0, inFlight: 0, dead: 0 })
  })

  it('tail prints each message as it is stored, whoever consumes it', async () => {
    const { path, enqueue } = await live()
    const tail = startCli(['tail', path, 'jobs', '--interval', '10'])
    // tail starts after the last id given so far: a first message shows it is watching.
    let probe = 0
    await expect.poll(async () => {
      enqueue({ name: `probe-${++probe}`, holdMs: 100 })
      return /probe-/.test(tail.output().stdout)
    }, { timeout: 5000, interval: 200 }).toBe(true)
    for (const name of ['a', 'b', 'c']) enqueue({ name, holdMs: 100 })
    await tail.waitFor(/name: 'c'/)
    const lines = tail.output().stdout.trimEnd().split('\n').filter((l) => !l.includes('probe-'))
    expect(lines.map((l) => l.match(/name: '(\w)'/)?.[1])).toEqual(['a', 'b', 'c'])
    expect(lines[0]).toMatch(/ {2}jobs {2}main {2}\[ \{ name: 'a', holdMs: 100 \} \]$/)
    await consumer!.waitFor(/^done c$/m)
    tail.child.kill('SIGINT')
    expect((await tail.exited).code).toBe(0)
  })

  it('replay hands dead letters back to the running consumer; purge removes them', async () => {
    const { path, enqueue } = await live()
    enqueue({ name: 'flaky', fail: true })
    enqueue({ name: 'doomed', fail: true })
    await consumer!.waitFor(/^failed doomed$/m)
    await expect.poll(() => statsOf(path), { timeout: 5000, interval: 50 }).toMatchObject({ dead: 2 })

    const dead = await runCli(['dead', path, 'jobs'])
    expect(dead.stdout).toMatch(/Error: job flaky failed +\[ \{ name: 'flaky', fail: true \} \]/)
    const flakyId = /^ *(\d+) .*flaky/m.exec(dead.stdout)![1]!
    const doomedId = /^ *(\d+) .*doomed/m.exec(dead.stdout)![1]!

    const replay = await runCli(['replay', path, 'jobs', '--id', flakyId])
    expect(replay.code).toBe(0)
    await consumer!.waitFor(/^done flaky$/m)
    const purge = await runCli(['purge', path, 'jobs', '--id', doomedId, '--yes'])
    expect(purge.stdout).toBe("Purged 1 dead letter of 'jobs'.\n")
    await expect.poll(() => statsOf(path), { timeout: 5000, interval: 50 }).toMatchObject({ ready: 0, inFlight: 0, dead: 0 })

    // The application kept working throughout.
    enqueue({ name: 'after' })
    await consumer!.waitFor(/^done after$/m)
  })

  it('cancel stops a job the consumer is running (its signal aborts within a second) and reports what it did', async () => {
    const { path, enqueue } = await live()
    enqueue({ name: 'long', untilAborted: true })
    const [, id] = await consumer!.waitFor(/^started long (\d+) 1$/m)
    const startedAt = Date.now()
    const cancel = await runCli(['cancel', path, id!])
    expect(cancel).toMatchObject({ code: 0, stdout: `Cancelled job ${id}.\n`, stderr: '' })
    await consumer!.waitFor(/^aborted long ERR_JOB_CANCELLED$/m)
    expect(Date.now() - startedAt).toBeLessThan(1500)

    const again = await runCli(['cancel', path, id!])
    expect(again).toMatchObject({ code: 1, stdout: `Not cancelled: job ${id} already ended (cancelled).\n` })
    const unknown = await runCli(['cancel', path, '999999'])
    expect(unknown).toMatchObject({ code: 1, stdout: 'Not cancelled: no job 999999 is delayed, waiting or running (unknown, acknowledged, or a dead letter).\n' })
    // Not retried: the consumer goes on with the next job and never starts this one again.
    enqueue({ name: 'after' })
    await consumer!.waitFor(/^done after$/m)
    expect(consumer!.output().stdout.match(/^started long/gm)).toHaveLength(1)
    await expect.poll(() => statsOf(path), { timeout: 5000, interval: 50 }).toMatchObject({ ready: 0, inFlight: 0, dead: 0 })
  })
})
