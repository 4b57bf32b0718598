// A database where nothing may be written (issue "trust:" point 10e): a read-only mount or
// directory, or a read-only file. The broker refuses it at createBroker with ERR_STORE_READONLY
// naming the file, and writes nothing; a readonly open (the command-line tool's) still reads it.

import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createBroker, StoreError } from '../../../src/index.js'
import { openSqliteStore } from '../../../src/store/sqlite/sqliteStore.js'
import { makeReadOnlyPlace, readOnlyPlaces } from '../readOnlyPlaces.js'
import type { ReadOnlyPlace } from '../readOnlyPlaces.js'

function thrown(fn: () => unknown): Error & { code?: unknown } {
  try {
    fn()
  } catch (err) {
    return err as Error & { code?: unknown }
  }
  throw new Error('expected a throw')
}

async function makeDatabase(path: string): Promise<void> {
  const broker = createBroker({ path })
  broker.channel('jobs', { durable: true })
  broker.enqueue('jobs', [{ n: 1 }])
  await broker.close()
}

const skipped = readOnlyPlaces.available ? '' : ` (skipped: ${readOnlyPlaces.why})`

describe.skipIf(!readOnlyPlaces.available)(`a read-only directory or mount${skipped}`, () => {
  let place: ReadOnlyPlace
  beforeEach(() => {
    place = makeReadOnlyPlace() as ReadOnlyPlace
  })
  afterEach(() => place.remove())

  it('makes createBroker throw ERR_STORE_READONLY naming the file, and writes nothing', async () => {
    const path = join(place.dir, 'app.db')
    await makeDatabase(path)
    place.lock()
    const err = thrown(() => createBroker({ path }))
    expect(err).toBeInstanceOf(StoreError)
    expect(err.code).toBe('ERR_STORE_READONLY')
    expect(err.message).toContain(`'${path}'`)
    expect(err.message).toMatch(place.kind === 'mount' ? /read-only \(EROFS: a read-only file system\)/ : /read-only \(EPERM/)
    expect(readdirSync(place.dir)).toEqual(['app.db'])
  })

  it('makes createBroker of a new file there throw ERR_STORE_READONLY naming the directory', () => {
    place.lock()
    const path = join(place.dir, 'new.db')
    const err = thrown(() => createBroker({ path }))
    expect(err).toBeInstanceOf(StoreError)
    expect(err.code).toBe('ERR_STORE_READONLY')
    expect(err.message).toContain(`Cannot open '${path}': its directory '${place.dir}' is read-only`)
    expect(readdirSync(place.dir)).toEqual([])
  })

  it('is read by a readonly open as immutable when URI filenames are on, else refused saying so', async () => {
    const path = join(place.dir, 'app.db')
    await makeDatabase(path)
    place.lock()
    // better-sqlite3 enables URI filenames when it loads with SQLITE_USE_URI=1 (the CLI's case,
    // tested in test/cli/cli.readonly.test.ts); this test process did not set it.
    if (process.env.SQLITE_USE_URI === '1') {
      const store = openSqliteStore({ path, readonly: true })
      expect(store.stats().map((s) => [s.channel, s.ready])).toEqual([['jobs', 1]])
      store.close()
    } else {
      const err = thrown(() => openSqliteStore({ path, readonly: true }))
      expect(err).toMatchObject({ code: 'ERR_STORE_READONLY' })
      expect(err.message).toContain(`Cannot open '${path}' readonly: its directory cannot be written`)
      expect(err.message).toContain('SQLITE_USE_URI=1')
    }
    expect(readdirSync(place.dir)).toEqual(['app.db'])
  })
})

// chattr +i makes a file read-only even for root; on a file system without it, the test skips.
const chattrDir = mkdtempSync(join(tmpdir(), 'durable-ipc-chattr-'))
const chattrWorks = spawnSync('chattr', ['+i', chattrDir]).status === 0 && spawnSync('chattr', ['-i', chattrDir]).status === 0
rmSync(chattrDir, { recursive: true, force: true })

describe.skipIf(!chattrWorks)(`a read-only file in a writable directory${chattrWorks ? '' : ' (skipped: chattr +i failed here; it needs root)'}`, () => {
  let dir: string
  let path: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'durable-ipc-rofile-'))
    path = join(dir, 'app.db')
  })
  afterEach(() => {
    spawnSync('chattr', ['-i', path])
    rmSync(dir, { recursive: true, force: true })
  })

  it('makes createBroker throw ERR_STORE_READONLY (SQLite would open it readonly and fail at the first send)', async () => {
    await makeDatabase(path)
    expect(spawnSync('chattr', ['+i', path]).status).toBe(0)
    const err = thrown(() => createBroker({ path }))
    expect(err).toBeInstanceOf(StoreError)
    expect(err.code).toBe('ERR_STORE_READONLY')
    expect(err.message).toBe(`Cannot open '${path}' for writing: the database file is read-only (EPERM: not permitted, e.g. an immutable attribute)`)
    // A readonly open reads it as usual.
    const store = openSqliteStore({ path, readonly: true })
    expect(store.stats().map((s) => [s.channel, s.ready])).toEqual([['jobs', 1]])
    store.close()
  })
})
