// The WAL is copied back into the database file by a worker thread once a store has written enough,
// and close() stops that thread before the store's own connection closes.

import { existsSync, statSync } from 'node:fs'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { Checkpointer } from '../../../src/store/sqlite/checkpointer.js'
import { openSqliteStore } from '../../../src/store/sqlite/sqliteStore.js'
import { channelConfig, message, tempDir } from '../helpers.js'

const file = tempDir()
const t0 = 1_700_000_000_000

describe('checkpointer', () => {
  it('copies a store’s WAL into the database file from a worker, and stops with the store', async () => {
    const path = file('busy.db')
    const store = openSqliteStore({ path })
    store.declareChannel('jobs', channelConfig())
    const before = statSync(path).size
    // ~2 WAL pages per publish: 1500 publishes stay far below the store's own checkpoint (10000
    // pages), so whatever reaches the database file was copied by the worker.
    for (let i = 0; i < 1500; i++) store.publish(message('jobs', `m${i}`.padEnd(200, '.'), t0))
    await expect.poll(() => statSync(path).size, { timeout: 5000 }).toBeGreaterThan(before + 100 * 1024)
    store.close()
    // The worker closed its connection first, so the store's close was the last and removed the WAL.
    expect(existsSync(`${path}-wal`)).toBe(false)
    const reader = openSqliteStore({ path, readonly: true })
    expect(reader.stats(t0)[0]).toMatchObject({ channel: 'jobs', ready: 1500 })
    reader.close()
  })

  it('starts no worker for a store that writes little', () => {
    const checkpointer = new Checkpointer(file('quiet.db'))
    for (let i = 0; i < 999; i++) checkpointer.committed()
    expect(checkpointer.running).toBe(false)
    checkpointer.close()
  })

  it('survives a file it cannot open: the worker ends, the store’s own checkpoints carry on', async () => {
    const checkpointer = new Checkpointer(file('missing.db')) // fileMustExist: the worker's open fails
    for (let i = 0; i < 1000; i++) checkpointer.committed()
    expect(checkpointer.running).toBe(true)
    await expect.poll(() => checkpointer.running, { timeout: 5000 }).toBe(false)
    checkpointer.close()
  })

  it('closes at once when asked right after starting', () => {
    const path = file('brief.db')
    new Database(path).close()
    const checkpointer = new Checkpointer(path)
    for (let i = 0; i < 1000; i++) checkpointer.committed()
    const start = performance.now()
    checkpointer.close()
    expect(checkpointer.running).toBe(false)
    expect(performance.now() - start).toBeLessThan(1500)
  })
})
