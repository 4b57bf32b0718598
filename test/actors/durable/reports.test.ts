// Reports: a report the store failed is tried again after REPORT_RETRY_MS; when the store closed
// in between (the broker closed), the retry writes nothing and throws nothing (a timer's throw is
// an uncaught exception). Real SQLite store; its write lock held by another connection makes the
// report fail with ERR_STORE_BUSY.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { Reports, REPORT_RETRY_MS } from '../../../src/actors/durable/reports.js'
import { realClock } from '../../../src/actors/durable/consumerInput.js'
import type { ConsumerInput } from '../../../src/actors/durable/consumerInput.js'
import { newOwnerId, openSqliteStore } from '../../../src/store/index.js'
import type { ChannelConfig } from '../../../src/store/index.js'

const config: ChannelConfig = {
  maxAttempts: 3, backoffInitialMs: 1, backoffMaxMs: 2, concurrency: 1, leaseMs: 30_000, maxMessageBytes: null, maxDepth: null,
  timeoutMs: null, rateLimit: null,
}

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('Reports', () => {
  it('tries a failed report again later, and a retry after the store closed does nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'durable-ipc-reports-'))
    dirs.push(dir)
    const path = join(dir, 'reports.db')
    const store = openSqliteStore({ path, busyTimeoutMs: 10 })
    store.declareChannel('jobs', config)
    const owner = newOwnerId()
    const now = Date.now()
    const { id } = store.publish({ channel: 'jobs', payload: '[null,[1]]', kind: 'message', visibleAt: now, now })
    expect(store.claim('jobs', 'main', owner, now, 30_000, 1)).toHaveLength(1)
    const errors: unknown[] = []
    const input = { store, owner, config: () => config, onError: (error: unknown) => errors.push(error) } as unknown as ConsumerInput
    const reports = new Reports(input, realClock, {
      waiting: () => [],
      running: () => [],
      dropWaiting: () => {},
      renewed: () => {},
    })
    const other = new Database(path)
    other.exec('BEGIN IMMEDIATE')
    reports.ack(id, false)
    reports.flush()
    other.exec('ROLLBACK')
    other.close()
    expect(errors).toMatchObject([{ code: 'ERR_STORE_BUSY' }])
    // Closed before the retry is due: the retry must neither write nor throw.
    store.close()
    await new Promise((resolve) => setTimeout(resolve, REPORT_RETRY_MS * 2))
    expect(errors).toHaveLength(1)
    const check = openSqliteStore({ path, readonly: true })
    expect(check.stats(Date.now())[0]).toMatchObject({ inFlight: 1 })
    check.close()
  })
})
