// The job commands as real processes against a file another process consumes from: jobs lists by
// state, job shows one, pause stops the running consumer and resume lets it go on.

import { describe, expect, it } from 'vitest'
import { runCli, useCliFixtures, useLiveFiles } from './helpers.js'

const live = useLiveFiles(useCliFixtures())

describe('job commands', () => {
  it('jobs lists by state and job shows one, while a consumer works', async () => {
    const { path, producer: broker, consumer } = await live('jobs.db')
    const slow = broker.enqueue('jobs', [{ name: 'slow', holdMs: 1500 }]).id
    const later = broker.enqueue('jobs', [{ name: 'later' }], { delayMs: 60_000, priority: 7 }).id
    await expect.poll(() => broker.job(slow)?.state, { timeout: 3000 }).toBe('active')

    const listed = await runCli(['jobs', path, 'jobs', '--json'])
    expect(listed.code).toBe(0)
    const jobs = JSON.parse(listed.stdout) as Array<{ id: number; state: string; priority: number; args: unknown }>
    expect(jobs.map((j) => [j.id, j.state, j.priority])).toEqual([[slow, 'active', 0], [later, 'delayed', 7]])
    expect(jobs[1]!.args).toEqual([{ name: 'later' }])

    const delayed = await runCli(['jobs', path, 'jobs', '--state', 'delayed'])
    expect(delayed.stdout).toMatch(new RegExp(`^\\s*${later}\\s+delayed\\s+7\\s+0\\s+in \\d`, 'm'))
    expect(delayed.stdout).not.toMatch(new RegExp(`^\\s*${slow}\\s`, 'm'))

    const one = await runCli(['job', path, String(later)])
    expect(one.code).toBe(0)
    expect(one.stdout).toContain(`Job ${later}: delayed`)
    expect(one.stdout).toContain(`args          [{"name":"later"}]`)

    await consumer.waitFor(/^done slow$/m)
    const gone = await runCli(['job', path, String(slow)])
    expect(gone.code).toBe(1)
    expect(gone.stderr).toContain(`nothing is left of job ${slow}`)
    expect((await runCli(['jobs', path, 'jobs', '--state', 'ready'])).code).toBe(2)
    expect((await runCli(['jobs', path, 'nowhere'])).code).toBe(2)
  })

  it('pause stops the running consumer until resume', async () => {
    const { path, producer: broker, consumer } = await live('jobs.db')
    const paused = await runCli(['pause', path, 'jobs'])
    expect(paused).toMatchObject({ code: 0, stdout: "'jobs' is paused now.\n" })
    expect((await runCli(['pause', path, 'jobs'])).stdout).toBe("'jobs' was already paused.\n")
    broker.enqueue('jobs', [{ name: 'held' }])
    await new Promise((resolve) => setTimeout(resolve, 1200))
    expect(consumer.output().stdout).not.toContain('done held')
    const stats = await runCli(['stats', path])
    expect(stats.stdout).toMatch(/^jobs \(paused\)\s+1\s/m)
    expect((await runCli(['resume', path, 'jobs'])).stdout).toBe("'jobs' is running now.\n")
    await consumer.waitFor(/^done held$/m)
    expect((await runCli(['pause', path, 'nowhere'])).code).toBe(2)
  })
})
