// Where the board's reads run: over a broker's file in the board's reader thread (on a read-only
// connection of its own), answering exactly what the reads on the application's thread answer;
// the thread ends with the board, and lets go of the file when the broker closes; an in-memory
// broker, or an application's handle that is not in WAL mode, is read on the application's thread
// as before; a reader thread that cannot open its file leaves the reads to the application's thread.

import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { BoardRequestError } from '../../src/board.js'
import { localReader, openReader } from '../../src/board/reader.js'
import { openSource } from '../../src/board/source.js'
import { readerThreads, workerReader } from '../../src/board/workerReader.js'
import { createBroker } from '../../src/index.js'
import { buildStore, read, serve, tempFiles } from './helpers.js'

const file = tempFiles()
const dist = new URL('../../dist/index.js', import.meta.url).href

async function builtBroker() {
  const path = file('app.db')
  await buildStore(path)
  const broker = createBroker({ path })
  broker.channel('orders', { durable: true })
  return { path, broker }
}

// Threads of earlier tests end a moment after their close.
async function noThreads(): Promise<void> {
  await expect.poll(() => readerThreads(), { timeout: 5000 }).toBe(0)
}

// The overview without the time the read took (where it ran, it differs).
const counts = ({ overview, held }: { overview: unknown; held: unknown }) => ({ overview, held })

describe("the board's reader thread", () => {
  it("answers the same overview, pages, look-ups and jobs as the reads on the application's thread", async () => {
    const { broker } = await builtBroker()
    try {
      const source = openSource({ broker }, { readOnly: false })
      expect(source.readFile).toMatch(/app\.db$/)
      const thread = openReader(source)
      const here = localReader(source)
      try {
        const now = Date.now()
        expect(thread.where).toBe('worker')
        const overview = await thread.overview(now)
        expect(overview.overview.channels.map((c) => [c.name, c.ready, c.delayed, c.dead, c.paused])).toEqual([
          ['emails', 0, 0, 2, false],
          ['orders', 7, 3, 0, false],
          ['reports', 0, 0, 0, true],
        ])
        expect(counts(overview)).toEqual(counts(await here.overview(now)))
        for (const [channel, state] of [['orders', 'waiting'], ['orders', 'delayed'], ['emails', 'dead'], ['orders', 'completed']] as const) {
          expect(await thread.channel(channel, state, null, 3, now)).toEqual(await here.channel(channel, state, null, 3, now))
        }
        const first = JSON.parse((await thread.channel('orders', 'waiting', null, 3, now))!.page) as { next: string; jobs: Array<{ id: number }> }
        expect(await thread.channel('orders', 'waiting', first.next, 3, now)).toEqual(await here.channel('orders', 'waiting', first.next, 3, now))
        expect(await thread.lookUp('orders', 'order-4', now)).toEqual(await here.lookUp('orders', 'order-4', now))
        expect(JSON.parse((await thread.lookUp('orders', 'order-4', now))!)).toHaveLength(1)
        expect(await thread.job(first.jobs[0]!.id, now)).toEqual(await here.job(first.jobs[0]!.id, now))
        expect(await thread.channel('nope', 'waiting', null, 50, now)).toBeUndefined()
        expect(await thread.job(999_999, now)).toBeUndefined()
        // A refusal thrown in the thread arrives as the same class, status and code.
        const refused = await thread.channel('orders', 'waiting', 'zzz', 50, now).catch((err: unknown) => err)
        expect(refused).toBeInstanceOf(BoardRequestError)
        expect(refused).toMatchObject({ status: 400, code: 'ERR_BOARD_BAD_REQUEST' })
        expect(thread.where).toBe('worker')
      } finally {
        thread.close()
      }
    } finally {
      await broker.close()
    }
  })

  it('ends with the board, and lets go of the file when the broker closes', async () => {
    await noThreads()
    const before = 0
    const { broker } = await builtBroker()
    const served = await serve({ broker })
    expect((await read(served, '/api/overview')).status).toBe(200)
    expect(readerThreads()).toBe(before + 1)
    served.board.close()
    await expect.poll(() => readerThreads(), { timeout: 5000 }).toBe(before)

    const again = await serve({ broker })
    expect((await read(again, '/api/channels/orders')).status).toBe(200)
    expect(readerThreads()).toBe(before + 1)
    await broker.close()
    await expect.poll(() => readerThreads(), { timeout: 5000 }).toBe(before)
    expect((await read(again, '/api/overview')).status).toBe(503)
  })

  it("shows what the broker and another process enqueue: a new version on the event stream, then the job in the channel's page", async () => {
    const { path, broker } = await builtBroker()
    try {
      const served = await serve({ broker })
      const versions: number[] = []
      const stream = new AbortController()
      const events = await fetch(`${served.origin}/api/events`, { headers: { 'x-board-token': served.board.token }, signal: stream.signal })
      void (async () => {
        const decoder = new TextDecoder()
        for await (const chunk of events.body!) {
          for (const match of decoder.decode(chunk).matchAll(/data: (\d+)/g)) versions.push(Number(match[1]))
        }
      })().catch(() => {})
      const waiting = async (): Promise<number[]> => {
        const page = (await (await read(served, '/api/channels/orders?state=waiting&limit=100')).json()) as { page: { jobs: Array<{ id: number }> } }
        return page.page.jobs.map((j) => j.id)
      }
      await expect.poll(() => versions.length).toBeGreaterThan(0)
      const seen = versions.at(-1)!

      const mine = broker.enqueue('orders', [{ from: 'this process' }]).id
      await expect.poll(() => versions.at(-1)!, { timeout: 10_000 }).toBeGreaterThan(seen)
      expect(await waiting()).toContain(mine)

      const script = `import { createBroker } from '${dist}'
        const broker = createBroker({ path: ${JSON.stringify(path)} })
        broker.channel('orders', { durable: true })
        console.log(broker.enqueue('orders', [{ from: 'another process' }]).id)
        await broker.close()`
      const seenBefore = versions.at(-1)!
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script])
      const theirs = Number(stdout.trim())
      await expect.poll(() => versions.at(-1)!, { timeout: 10_000 }).toBeGreaterThan(seenBefore)
      await expect.poll(waiting, { timeout: 10_000 }).toContain(theirs)
      stream.abort()
    } finally {
      await broker.close()
    }
  })
})

describe("reads on the application's thread", () => {
  it('over an in-memory broker: no thread, and the board shows its jobs', async () => {
    await noThreads()
    const before = 0
    const broker = createBroker()
    try {
      broker.channel('jobs', { durable: true })
      const id = broker.enqueue('jobs', [{ n: 1 }]).id
      expect(openSource({ broker }, { readOnly: false }).readFile).toBeUndefined()
      const served = await serve({ broker })
      const overview = (await (await read(served, '/api/overview')).json()) as { channels: Array<{ name: string; ready: number }> }
      expect(overview.channels).toEqual([expect.objectContaining({ name: 'jobs', ready: 1 })])
      const page = (await (await read(served, '/api/channels/jobs')).json()) as { page: { jobs: Array<{ id: number }> } }
      expect(page.page.jobs.map((j) => j.id)).toEqual([id])
      expect((await read(served, `/api/jobs/${id}`)).status).toBe(200)
      expect(readerThreads()).toBe(before)
    } finally {
      await broker.close()
    }
  })

  it("over an application's own handle in rollback-journal mode: no second connection", async () => {
    const db = new Database(file('own.db'))
    db.pragma('journal_mode = DELETE')
    const broker = createBroker({ database: db })
    try {
      broker.channel('jobs', { durable: true })
      broker.enqueue('jobs', [1])
      expect(openSource({ broker }, { readOnly: false }).readFile).toBeUndefined()
      const served = await serve({ broker })
      const overview = (await (await read(served, '/api/overview')).json()) as { channels: Array<{ name: string; ready: number }> }
      expect(overview.channels).toEqual([expect.objectContaining({ name: 'jobs', ready: 1 })])
    } finally {
      await broker.close()
      db.close()
    }
  })

  it('takes over when the reader thread cannot open its file: the reads it had and every later one', async () => {
    const { broker } = await builtBroker()
    try {
      const source = openSource({ broker }, { readOnly: false })
      const here = localReader(source)
      const thread = workerReader(fileURLToPath(new URL('./no-such-dir/none.db', import.meta.url)), here)!
      const now = Date.now()
      const [overview, page] = await Promise.all([thread.overview(now), thread.channel('orders', 'waiting', null, 50, now)])
      expect(counts(overview)).toEqual(counts(await here.overview(now)))
      expect(page).toEqual(await here.channel('orders', 'waiting', null, 50, now))
      expect(thread.where).toBe('here')
      expect(await thread.lookUp('orders', 'order-1', now)).toEqual(await here.lookUp('orders', 'order-1', now))
      thread.close()
    } finally {
      await broker.close()
    }
  })
})
