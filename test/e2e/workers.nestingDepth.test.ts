// Nesting depth across threads (issue "trust:" point 7): a worker renderer's send of a value
// nested past 1,000 levels is a CloneError in the worker, and a durable delivery at the limit
// reaches a worker renderer whole (it is postMessage'd after being read from the store).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { closeBrokers, newBroker } from '../api/helpers.js'
import { nextFrom, spawnRemote } from './workerHelpers.js'

const dirs: string[] = []
afterEach(async () => {
  await closeBrokers()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function dbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'durable-ipc-depth-'))
  dirs.push(dir)
  return join(dir, 'app.db')
}

function levelsOf(value: unknown): { levels: number; leaf: unknown } {
  let levels = 0
  while (typeof value === 'object' && value !== null && 'a' in value) {
    value = (value as { a: unknown }).a
    levels++
  }
  return { levels, leaf: value }
}

describe('a worker renderer', () => {
  it('gets a CloneError, not a RangeError, for a send nested 100,000 levels deep, transient or durable', async () => {
    const broker = newBroker({ path: dbPath() })
    broker.channel('jobs', { durable: true })
    const remote = spawnRemote(broker)
    await remote.ready
    for (const channel of ['plain', 'jobs']) {
      const error = await remote.fail('sendNested', { channel, levels: 100_000 })
      expect(error).toMatchObject({ name: 'DataCloneError', code: 'ERR_IPC_CLONE', isDurableIpcError: true })
      expect(error.message).toContain('nested more than 1000 levels deep')
      expect(error.path).toMatch(/^args\[0\]\.a\.a/)
    }
    expect(broker.channel('jobs').stats().ready).toBe(0)
    // At the limit it crosses.
    const heard = nextFrom(broker, remote.renderer, 'plain')
    await remote.ok('sendNested', { channel: 'plain', levels: 1000 })
    expect(levelsOf((await heard)[0])).toEqual({ levels: 1000, leaf: new Date(3) })
  })

  it('receives a durable inbox message nested to the limit, with a Date inside', async () => {
    const broker = newBroker({ path: dbPath() })
    broker.channel('news', { durable: true })
    const remote = spawnRemote(broker, { id: 'window' })
    await remote.ready
    await remote.ok('durableListener', { channel: 'news', mode: 'return' })
    let value: unknown = new Date(9)
    for (let i = 0; i < 1000; i++) value = { a: value }
    const heard = nextFrom(broker, remote.renderer, 'news-heard')
    remote.renderer.webContents.send('news', value)
    expect(levelsOf((await heard)[0])).toEqual({ levels: 1000, leaf: new Date(9) })
  })
})
