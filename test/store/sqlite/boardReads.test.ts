// The board's reads (store/sqlite/boardReads.ts): counts that agree with stats() whichever slice
// is counted by subtraction, waiting and delayed pages in claim order that visit every job once,
// look-ups by key, and arrivals after an id.

import { describe, expect, it } from 'vitest'
import { summarizeStats } from '../../../src/protocol/stats.js'
import type { BoardJobRow, QueueCursor } from '../../../src/store/boardTypes.js'
import type { SyncStore } from '../../../src/store/contract.js'
import { channelConfig, message, tempDir, useSqliteStores } from '../helpers.js'

const file = tempDir()
const open = useSqliteStores()

function fill(store: SyncStore, now: number): void {
  store.declareChannel('jobs', channelConfig())
  store.declareChannel('mail', channelConfig())
  store.declareChannel('empty', channelConfig())
  const inputs = []
  for (let i = 0; i < 300; i++) inputs.push(message('jobs', `j${i}`, now, { priority: i % 4, visibleAt: i % 5 === 0 ? now + 60_000 + i : now - 1000 + i, key: `k${i}` }))
  for (let i = 0; i < 20; i++) inputs.push(message('mail', `m${i}`, now, { visibleAt: i % 2 === 0 ? now - 5 : now + 10 }))
  inputs.push(message('mail', 'inbox', now, { subscription: 'renderer:w1', fanOut: false }))
  store.publishMany(inputs)
  store.claim('jobs', 'main', 'owner-1', now, 30_000, 7) // 7 in flight
  const [dead] = store.claim('mail', 'main', 'owner-2', now, 30_000, 1)
  store.fail({ id: dead!.id, owner: 'owner-2', error: 'Error: no', retryAt: null, now })
  store.setPaused('mail', true)
}

function fromStats(store: SyncStore, now: number) {
  const { channels } = summarizeStats(store.stats(now), now)
  return Object.fromEntries(Object.entries(channels).map(([name, c]) => [name, { ready: c.ready, delayed: c.delayed, inFlight: c.inFlight, dead: c.dead, paused: c.paused }]))
}

function fromBoard(store: SyncStore, now: number) {
  const counts = store.boardReads!().queueCounts(now)
  const out: Record<string, { ready: number; delayed: number; inFlight: number; dead: number; paused: boolean }> = {}
  for (const g of counts.groups) {
    const c = (out[g.channel] ??= { ready: 0, delayed: 0, inFlight: 0, dead: counts.dead[g.channel] ?? 0, paused: counts.paused.includes(g.channel) })
    c.ready += g.ready
    c.delayed += g.delayed
    c.inFlight += g.inFlight
  }
  return out
}

describe('board reads', () => {
  it('count what stats() counts, on every call (the largest slice is counted by subtraction once known)', () => {
    const store = open(file('counts.db'))
    const now = Date.now()
    fill(store, now)
    const expected = fromStats(store, now)
    expect(expected.jobs).toEqual({ ready: 233, delayed: 60, inFlight: 7, dead: 0, paused: false })
    for (let i = 0; i < 3; i++) expect(fromBoard(store, now)).toEqual(expected)
    // The queue changes between calls: the remembered sizes are only a hint.
    store.publishMany(Array.from({ length: 50 }, (_, i) => message('jobs', `x${i}`, now, { priority: 9 })))
    store.purgeDeadLetters('mail')
    expect(fromBoard(store, now)).toEqual(fromStats(store, now))
    expect(fromBoard(store, now + 120_000)).toEqual(fromStats(store, now + 120_000))
  })

  it('the head of the ready line gives the oldest age; an inbox is its own group', () => {
    const store = open(file('head.db'))
    const now = Date.now()
    store.declareChannel('q', channelConfig())
    store.publish(message('q', 'old', now - 5000, { visibleAt: now - 5000 }))
    store.publish(message('q', 'new', now - 10, { visibleAt: now - 10 }))
    store.publish(message('q', 'inbox', now, { subscription: 'renderer:w', fanOut: false }))
    const groups = store.boardReads!().queueCounts(now).groups
    expect(groups.find((g) => g.subscription === 'main')).toMatchObject({ ready: 2, oldestReadyCreatedAt: now - 5000 })
    expect(groups.find((g) => g.subscription === 'renderer:w')).toMatchObject({ ready: 1 })
  })

  it('pages waiting jobs in claim order and delayed ones by due time, each job once', () => {
    const store = open(file('pages.db'))
    const now = Date.now()
    fill(store, now)
    const reads = store.boardReads!()
    const walk = (which: 'waiting' | 'delayed'): BoardJobRow[] => {
      const seen: BoardJobRow[] = []
      let cursor: QueueCursor | null = null
      for (;;) {
        const rows: BoardJobRow[] = reads[which]('jobs', cursor, 17, now)
        seen.push(...rows)
        if (rows.length < 17) return seen
        const last = rows.at(-1)!
        cursor = { priority: last.priority, runAt: last.runAt, id: last.id }
      }
    }
    const waiting = walk('waiting')
    expect(waiting).toHaveLength(233)
    expect(new Set(waiting.map((r) => r.id)).size).toBe(233)
    const order = [...waiting].sort((a, b) => b.priority - a.priority || a.runAt - b.runAt || a.id - b.id)
    expect(waiting.map((r) => r.id)).toEqual(order.map((r) => r.id))
    // The first claimable one is what a claim takes.
    const [claimed] = store.claim('jobs', 'main', 'owner-3', now, 30_000, 1)
    expect(claimed!.id).toBe(waiting[0]!.id)
    const delayed = walk('delayed')
    expect(delayed).toHaveLength(60)
    expect(delayed.map((r) => r.runAt)).toEqual([...delayed.map((r) => r.runAt)].sort((a, b) => a - b))
  })

  it('finds jobs by key, queued or dead, and counts arrivals after an id by channel', () => {
    const store = open(file('keys.db'))
    const now = Date.now()
    fill(store, now)
    const reads = store.boardReads!()
    const [one] = store.jobs('jobs', { limit: 1, afterId: 0 }, now)
    expect(reads.idsByKey('jobs', 'k0')).toEqual([one!.id])
    expect(reads.idsByKey('jobs', 'nope')).toEqual([])
    const last = store.lastMessageId()
    store.publish(message('jobs', 'a', now))
    store.publish(message('mail', 'b', now))
    store.publish(message('mail', 'c', now))
    expect(reads.arrivalsAfter(last)).toEqual({ jobs: 1, mail: 2 })
  })
})
