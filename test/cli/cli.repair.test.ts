// replay and purge from the shell: what they change, the confirmation purge asks for, progress
// on long runs, and ids that are not dead letters.

import { spawnSync } from 'node:child_process'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { createBroker } from '../../src/index.js'
import { addDeadLetters, cliPath, makeDatabase, runCli, start, useCliFixtures } from './helpers.js'

const file = useCliFixtures()

async function withDeadLetters(count: number): Promise<string> {
  const path = file('app.db')
  await makeDatabase(path, (broker) => addDeadLetters(broker, 'jobs', count))
  return path
}

/** The channel's dead letter ids and waiting messages' arguments, read through the library. */
async function contents(path: string): Promise<{ dead: number[]; ready: number }> {
  const broker = createBroker({ path })
  try {
    const jobs = broker.channel('jobs')
    return { dead: jobs.deadLetters().map((d) => d.id), ready: jobs.stats().ready }
  } finally {
    await broker.close()
  }
}

// `script` (util-linux) runs the tool on a pseudo-terminal, as a person would.
const hasScript = spawnSync('script', ['--version']).status === 0

describe('replay', () => {
  it('puts the given dead letters back in the queue, in one transaction', async () => {
    const path = await withDeadLetters(4)
    const { code, stdout, stderr } = await runCli(['replay', path, 'jobs', '--id', '2', '--id', '3'])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toBe("Replayed 2 dead letters of 'jobs'.\n")
    expect(await contents(path)).toEqual({ dead: [1, 4], ready: 2 })
  })

  it('replays them all with --all, and the next consumer gets them in their original order', async () => {
    const path = await withDeadLetters(3)
    expect((await runCli(['replay', path, 'jobs', '--all'])).stdout).toBe("Replayed 3 dead letters of 'jobs'.\n")
    const broker = createBroker({ path })
    try {
      const got: unknown[] = []
      await new Promise<void>((resolve) => {
        broker.ipcMain.on('jobs', (event, job: { n: number }) => {
          got.push([job.n, event.attempt])
          if (got.length === 3) resolve()
        })
      })
      expect(got).toEqual([[0, 1], [1, 1], [2, 1]])
    } finally {
      await broker.close()
    }
  })

  it('exits 1 naming the ids that are not dead letters, after replaying the others', async () => {
    const path = await withDeadLetters(2)
    const { code, stdout, stderr } = await runCli(['replay', path, 'jobs', '--id', '1,7', '9'])
    expect(code).toBe(1)
    expect(stderr).toBe("durable-ipc replay: not dead letters of 'jobs': 7, 9\n")
    expect(stdout).toBe("Replayed 1 dead letter of 'jobs'.\n")
    expect(await contents(path)).toEqual({ dead: [2], ready: 1 })
  })

  it('refuses a channel the database does not have', async () => {
    const path = await withDeadLetters(1)
    const { code, stderr } = await runCli(['replay', path, 'mail', '--all'])
    expect(code).toBe(2)
    expect(stderr).toBe(`durable-ipc: ${path} has no durable channel 'mail'\n`)
  })
})

describe('purge', () => {
  it('refuses without a terminal to ask on and without --yes (exit 2), deleting nothing', async () => {
    const path = await withDeadLetters(2)
    const { code, stderr } = await runCli(['purge', path, 'jobs', '--all'], 'y\n')
    expect(code).toBe(2)
    expect(stderr).toBe("durable-ipc: refusing to purge 2 dead letters of 'jobs' without confirmation: stdin is not a terminal; pass --yes\n")
    expect((await contents(path)).dead).toEqual([1, 2])
  })

  it('deletes with --yes', async () => {
    const path = await withDeadLetters(3)
    const { code, stdout } = await runCli(['purge', path, 'jobs', '--id', '2', '--yes'])
    expect(code).toBe(0)
    expect(stdout).toBe("Purged 1 dead letter of 'jobs'.\n")
    expect(await contents(path)).toEqual({ dead: [1, 3], ready: 0 })
    expect((await runCli(['purge', path, 'jobs', '--all', '-y'])).stdout).toBe("Purged 2 dead letters of 'jobs'.\n")
    expect((await contents(path)).dead).toEqual([])
    expect((await runCli(['purge', path, 'jobs', '--all', '-y'])).stdout).toBe("No dead letters of 'jobs' to purge.\n")
  })

  it.skipIf(!hasScript).each([
    ['y', 0, [] as number[]],
    ['n', 1, [1, 2]],
  ])('asks on a terminal; answering %s exits %d', async (answer, exitCode, left) => {
    const path = await withDeadLetters(2)
    const running = start('script', ['-qec', `"${process.execPath}" "${cliPath}" purge "${path}" jobs --all`, '/dev/null'])
    await running.waitFor(/Purge 2 dead letters of 'jobs' from .*\? This cannot be undone\. \[y\/N\]/)
    running.child.stdin.write(`${answer}\n`)
    const { code } = await running.exited
    expect(code).toBe(exitCode)
    expect((await contents(path)).dead).toEqual(left)
  })
})

describe('the application holding the write lock', () => {
  it('makes a repair wait up to --busy-timeout, then fail in one line (exit 1) with nothing changed', async () => {
    const path = await withDeadLetters(2)
    const app = new Database(path)
    app.prepare('BEGIN IMMEDIATE').run()
    try {
      const started = Date.now()
      const { code, stdout, stderr } = await runCli(['replay', path, 'jobs', '--all', '--busy-timeout', '300'])
      expect(Date.now() - started).toBeGreaterThanOrEqual(300)
      expect(code).toBe(1)
      expect(stdout).toBe('')
      expect(stderr).toMatch(/^durable-ipc: Cannot write to '.*': the database is locked by another connection .*\n$/)
    } finally {
      app.prepare('ROLLBACK').run()
      app.close()
    }
    expect(await contents(path)).toEqual({ dead: [1, 2], ready: 0 })
  })
})

describe('a long repair', () => {
  it('shows its progress on stderr and still commits as one', async () => {
    const path = await withDeadLetters(2500)
    const { code, stdout, stderr } = await runCli(['replay', path, 'jobs', '--all'])
    expect(code).toBe(0)
    expect(stdout).toBe("Replayed 2,500 dead letters of 'jobs'.\n")
    const lines = stderr.trimEnd().split('\n')
    expect(lines).toEqual(['replayed 1,000 of 2,500 dead letters', 'replayed 2,000 of 2,500 dead letters', 'replayed 2,500 of 2,500 dead letters'])
    expect(await contents(path)).toEqual({ dead: [], ready: 2500 })
  })
})
