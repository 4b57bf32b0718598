// SIGKILL while worker renderers store their own durable sends (src/ipc/worker/directSends.ts):
// several workers and main's consumer commit to one file side by side; the process is killed
// mid-stream, three times. Every send whose call returned reaches a listener (before a kill, or
// from the file afterwards), and the file is intact. Real processes, real SIGKILL.

import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { beforeAll, describe, expect, it } from 'vitest'
import { createBroker } from '../../src/index.js'
import { ensureBuilt, killHard, readSent, start, tempDir, useProcesses } from './durableProcesses.js'

useProcesses()
beforeAll(ensureBuilt, 120_000)

const WORKERS = 3

describe('SIGKILL of a process whose worker renderers store their own durable sends', () => {
  it('loses no send that returned, and leaves the file intact', async () => {
    const dir = tempDir()
    const path = join(dir, 'app.db')
    const delivered = join(dir, 'delivered.log')
    // One log per worker and round: the worker's seqs start at 0 in each.
    const logsOf = (round: number): string[] => Array.from({ length: WORKERS }, (_, i) => join(dir, `worker-${i}-round-${round}.log`))
    for (let round = 1; round <= 3; round++) {
      const logs = logsOf(round)
      const child = start('workerSenders.mjs', { path, logs, delivered })
      await child.ready
      // Sending (and consuming) for a while, then killed mid-stream.
      const deadline = Date.now() + 30_000
      while (readSent(logs[0]!).length < 400 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
      await killHard(child)
    }
    const db = new Database(path, { readonly: true })
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    db.close()

    // What is left in the file goes to a listener here (the killed process's leases are taken
    // back once its pid is seen dead).
    const got = new Set(existsSync(delivered) ? readFileSync(delivered, 'utf8').split('\n').filter(Boolean) : [])
    const before = got.size
    const broker = createBroker({ path })
    broker.channel('jobs', { durable: true })
    broker.ipcMain.on('jobs', (_event, { log, seq }: { log: string; seq: number }) => void got.add(`${log} ${seq}`))
    const sent = [1, 2, 3].flatMap((round) => logsOf(round).flatMap((log) => readSent(log).map((seq) => `${log} ${seq}`)))
    const deadline = Date.now() + 30_000
    while (sent.some((id) => !got.has(id)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    await broker.close()
    console.log(`direct worker sends: ${sent.length} returned before 3 kills, ${before} delivered before them, ${got.size - before} after`)
    expect(sent.length).toBeGreaterThan(1000)
    expect(sent.filter((id) => !got.has(id))).toEqual([])
  }, 150_000)
})
