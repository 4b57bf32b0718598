// event.progress(value) on durable deliveries: the latest value is stored on the job's row, where
// another broker reads it (broker.job(id).progress) within ~250 ms; many calls cost few writes (counted by a trigger on
// the real file); a value over 64 KiB or one that cannot be cloned throws at the call and stores
// nothing; nothing is written once the job has ended.

import { describe, expect, it } from 'vitest'
import { CloneError, ProgressTooLargeError } from '../../src/index.js'
import { decodeValue } from '../../src/protocol/envelope.js'
import { connect, Counter, dbPath, deferred, openBroker, useDurableFixtures, wait } from './durableHelpers.js'

useDurableFixtures()

/**
 * A broker on a fresh file with durable channel 'jobs', and another connection that counts every
 * write of a progress value (a trigger) and reads the stored one, as another process would.
 */
function withProgressReader(channelOptions: Record<string, unknown> = {}) {
  const path = dbPath()
  const broker = openBroker({ path })
  broker.channel('jobs', { durable: true, ...channelOptions })
  const db = connect(path)
  db.exec(`CREATE TABLE test_progress_writes (id INTEGER);
    CREATE TRIGGER test_count_progress AFTER UPDATE OF progress ON durable_ipc_messages
    BEGIN INSERT INTO test_progress_writes (id) VALUES (NEW.id); END`)
  const read = db.prepare<[number], { progress: Buffer | null }>('SELECT progress FROM durable_ipc_messages WHERE id = ?')
  const count = db.prepare<[], number>('SELECT COUNT(*) FROM test_progress_writes').pluck()
  return {
    broker: Object.assign(broker, { path }),
    progress: (id: number): unknown => {
      const row = read.get(id)
      return row?.progress ? decodeValue(row.progress) : undefined
    },
    writes: (): number => count.get() ?? 0,
  }
}

describe('event.progress', () => {
  it('stores the latest value, readable by another connection within 250 ms', async () => {
    const { broker, progress } = withProgressReader()
    const called = new Counter<{ id: number; at: number }>()
    const gate = deferred()
    broker.ipcMain.on('jobs', async (event) => {
      event.progress({ done: 0.5, step: 'resize' })
      called.push({ id: event.messageId!, at: Date.now() })
      await gate.promise
    })
    broker.enqueue('jobs', ['img'])
    await called.reach(1)
    const { id, at } = called.items[0]!
    // Another broker on the file, as another process would read it.
    const reader = openBroker({ path: broker.path })
    await expect.poll(() => reader.job(id)?.progress, { interval: 5, timeout: 1000 }).toEqual({ done: 0.5, step: 'resize' })
    expect(Date.now() - at).toBeLessThan(250)
    expect(progress(id)).toEqual({ done: 0.5, step: 'resize' })
    expect(reader.job(id)).toMatchObject({ state: 'active', attempts: 1 })
    gate.resolve()
  })

  it('coalesces: ten thousand calls and a steady stream cost a write per ~100 ms, the last value kept', async () => {
    const { broker, progress, writes } = withProgressReader()
    const done = deferred<number>()
    const gate = deferred()
    broker.ipcMain.handle('jobs', async (event) => {
      for (let i = 0; i < 10_000; i++) event.progress({ i })
      const started = Date.now()
      let n = 10_000
      while (Date.now() - started < 350) {
        event.progress({ i: n++ })
        await wait(5)
      }
      await wait(150) // the last value's write
      done.resolve(n - 1)
      await gate.promise
    })
    const { id } = broker.enqueue('jobs', [])
    const last = await done.promise
    expect(progress(id)).toEqual({ i: last })
    expect(writes()).toBeGreaterThanOrEqual(2)
    expect(writes()).toBeLessThanOrEqual(7) // ~500 ms of updates at one write per ~100 ms
    gate.resolve()
  })

  it('throws at the call for a value over 64 KiB or one that cannot be cloned, and stores nothing for it', async () => {
    const { broker, progress, writes } = withProgressReader()
    const errors = new Counter<Error & { code?: unknown }>()
    const gate = deferred()
    broker.ipcMain.handle('jobs', async (event) => {
      event.progress('fits')
      for (const value of [new Uint8Array(64 * 1024 + 1), { f: () => 1 }]) {
        try {
          event.progress(value)
        } catch (error) {
          errors.push(error as Error)
        }
      }
      event.progress(new Uint8Array(60 * 1024)) // under the limit, serialized header included
      event.progress('last')
      await gate.promise
    })
    const { id } = broker.enqueue('jobs', [])
    await errors.reach(2)
    const [tooLarge, uncloneable] = errors.items
    expect(tooLarge).toBeInstanceOf(ProgressTooLargeError)
    expect(tooLarge).toMatchObject({ code: 'ERR_PROGRESS_TOO_LARGE' })
    expect(tooLarge!.message).toMatch(/^A progress value is 655\d\d bytes serialized, over the limit of 65536$/)
    expect(uncloneable).toBeInstanceOf(CloneError)
    await expect.poll(() => progress(id)).toBe('last')
    expect(writes()).toBe(1)
    gate.resolve()
  })

  it('writes nothing once the job has ended, and a call then does not throw', async () => {
    const { broker, writes } = withProgressReader()
    const events = new Counter<{ progress(value: unknown): void }>()
    broker.ipcMain.on('jobs', (event) => void events.push(event))
    broker.enqueue('jobs', ['quick'])
    await events.reach(1)
    await wait(20) // acknowledged by now
    events.items[0]!.progress({ after: 'the end' })
    await wait(200)
    expect(writes()).toBe(0)
  })
})
