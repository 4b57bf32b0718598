// Stats read only indexes: the query plans of the message and dead-letter counts never walk table
// rows, whose payloads may fill overflow pages.

import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { prepareStatements } from '../../../src/store/sqlite/statements.js'
import { channelConfig, tempDir, useSqliteStores } from '../helpers.js'

const file = tempDir()
const t0 = 1_700_000_000_000
const open = useSqliteStores()

describe('stats', () => {
  it('reads only indexes: stats never scans the message or dead-letter table', () => {
    const path = file('plan.db')
    open(path).declareChannel('jobs', channelConfig())
    const db = new Database(path, { readonly: true })
    try {
      const s = prepareStatements(db)
      const source = (statement: unknown): string => (statement as { source: string }).source
      for (const sql of [source(s.messageCounts), source(s.deadCounts)]) {
        const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ now: t0 }).map((r) => (r as { detail: string }).detail)
        for (const step of plan) {
          // A SCAN of either table must walk a covering index: never the rows, whose payloads may fill overflow pages.
          if (/^SCAN (durable_ipc_messages|durable_ipc_dead_letters|d)\b/.test(step)) expect(step).toMatch(/USING COVERING INDEX/)
        }
        expect(plan.join('\n')).toMatch(/USING COVERING INDEX/)
      }
    } finally {
      db.close()
    }
  })
})
