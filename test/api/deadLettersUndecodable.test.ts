// A dead letter whose payload cannot be decoded (damaged bytes, a format this Node.js does not
// read) shows as undecodable; it never hides the channel's other dead letters.

import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { dbPath, openBroker, useDurableFixtures } from './durableHelpers.js'

useDurableFixtures()

/** Writes a dead letter of `channel` straight into the file, as damage would leave it. */
function insertDeadLetter(path: string, id: number, channel: string, payload: Buffer | string): void {
  const db = new Database(path)
  try {
    db.prepare(`INSERT INTO durable_ipc_dead_letters (id, channel, subscription, kind, payload, attempts, last_error, created_at, failed_at)
      VALUES (?, ?, 'main', 'message', ?, 3, 'Error: gone', 1000, 2000)`).run(id, channel, payload)
  } finally {
    db.close()
  }
}

describe('deadLetters()', () => {
  it('lists an undecodable row with args [] and the decoding error, and the others as usual', async () => {
    const path = dbPath()
    const setup = openBroker({ path })
    setup.channel('jobs', { durable: true, maxAttempts: 1 })
    await setup.close()
    // V8's header followed by garbage, and text that is not JSON.
    insertDeadLetter(path, 10, 'jobs', Buffer.from([0xff, 0x0f, 0x99, 0x42, 0x00, 0x13, 0x37]))
    insertDeadLetter(path, 11, 'jobs', JSON.stringify([null, [{ ok: 1 }]]))
    insertDeadLetter(path, 12, 'jobs', '[not json')

    const broker = openBroker({ path })
    const jobs = broker.channel('jobs')
    const letters = jobs.deadLetters()
    expect(letters.map((d) => [d.id, d.args, typeof d.undecodable])).toEqual([
      [10, [], 'string'],
      [11, [{ ok: 1 }], 'undefined'],
      [12, [], 'string'],
    ])
    expect(letters[0]!.undecodable!.length).toBeGreaterThan(0)
    expect(letters[2]!.undecodable).toMatch(/JSON/)
    expect(letters[0]).toMatchObject({ attempts: 3, lastError: 'Error: gone', subscription: 'main', createdAt: new Date(1000), failedAt: new Date(2000) })
    expect('undecodable' in letters[1]!).toBe(false)
    // By id too, and it can still be purged.
    expect(jobs.deadLetters([10]).map((d) => d.id)).toEqual([10])
    expect(jobs.purgeDeadLetters([10, 12])).toBe(2)
    expect(jobs.deadLetters().map((d) => d.id)).toEqual([11])
  })

  it('dead-letters an undecodable message at its first attempt instead of retrying it, and delivers the others', async () => {
    const path = dbPath()
    const setup = openBroker({ path })
    setup.channel('jobs', { durable: true, maxAttempts: 5, backoff: { initialMs: 60_000, maxMs: 60_000 } })
    setup.enqueue('jobs', ['before'])
    await setup.close()
    const db = new Database(path)
    db.prepare(`INSERT INTO durable_ipc_messages (id, channel, subscription, kind, payload, created_at, visible_at)
      VALUES (100, 'jobs', 'main', 'message', ?, 1000, 1000)`).run('[not json')
    db.close()

    const broker = openBroker({ path })
    const jobs = broker.channel('jobs')
    const got: unknown[] = []
    broker.ipcMain.on('jobs', (_event, value: unknown) => void got.push(value))
    await expect.poll(() => jobs.stats().dead).toBe(1)
    const [dead] = jobs.deadLetters()
    expect(dead).toMatchObject({ id: 100, attempts: 1, args: [] })
    expect(dead!.lastError).toMatch(/^Error: Message 100 on 'jobs' cannot be decoded/)
    expect(got).toEqual(['before'])
  })
})
