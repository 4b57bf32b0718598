// Opening a file applies the migrations once, and refuses files it must not touch: newer schema,
// non-database, missing file in readonly mode.

import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { latestSchemaVersion, loadMigrations } from '../../../src/store/sqlite/migrate.js'
import { openSqliteStore } from '../../../src/store/sqlite/sqliteStore.js'
import { channelConfig, message, tempDir } from '../helpers.js'

const file = tempDir()

function tables(path: string): string[] {
  const db = new Database(path, { readonly: true })
  try {
    return db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all() as string[]
  } finally {
    db.close()
  }
}

function migrationsOf(path: string): Array<{ version: number; name: string }> {
  const db = new Database(path, { readonly: true })
  try {
    return db.prepare('SELECT version, name FROM durable_ipc_migrations ORDER BY version').all() as Array<{ version: number; name: string }>
  } finally {
    db.close()
  }
}

describe('migrations', () => {
  it('finds the numbered migration files and caches them', () => {
    const first = loadMigrations()
    expect(first.map((m) => m.version)).toEqual(first.map((_, i) => i + 1))
    expect(first[0]?.name).toBe('001_init.sql')
    expect(loadMigrations()).toBe(first)
  })

  it('creates the schema in a fresh file, in WAL mode', () => {
    const path = file('fresh.db')
    const store = openSqliteStore({ path })
    store.close()
    expect(tables(path)).toEqual(expect.arrayContaining(['durable_ipc_channels', 'durable_ipc_messages', 'durable_ipc_dead_letters']))
    expect(migrationsOf(path).map((m) => m.version)).toEqual(loadMigrations().map((m) => m.version))
    const db = new Database(path, { readonly: true })
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    db.close()
  })

  it('reopens an up-to-date file without migrating again, keeping its data', () => {
    const path = file('reopen.db')
    const now = Date.now()
    const first = openSqliteStore({ path })
    first.declareChannel('jobs', channelConfig())
    first.publish(message('jobs', 'kept', now))
    first.close()

    const second = openSqliteStore({ path })
    expect(second.stats(now).find((s) => s.channel === 'jobs')?.ready).toBe(1)
    second.close()
    expect(migrationsOf(path)).toHaveLength(latestSchemaVersion())
  })

  it('refuses a file from a newer schema version and leaves it untouched', () => {
    const path = file('newer.db')
    openSqliteStore({ path }).close()
    const db = new Database(path)
    db.pragma('journal_mode = DELETE')
    db.prepare("INSERT INTO durable_ipc_migrations (version, name, applied_at) VALUES (99, '099_future.sql', 0)").run()
    db.close()
    const before = readFileSync(path)

    const open = () => openSqliteStore({ path })
    expect(open).toThrow(expect.objectContaining({ name: 'StoreError', code: 'ERR_STORE_NEWER_SCHEMA' }))
    expect(open).toThrow(`schema version 99, newer than ${latestSchemaVersion()}`)
    expect(() => openSqliteStore({ path, readonly: true })).toThrow(expect.objectContaining({ code: 'ERR_STORE_NEWER_SCHEMA' }))
    expect(readFileSync(path).equals(before)).toBe(true)
    expect(existsSync(`${path}-wal`)).toBe(false)
  })

  it('refuses a file that is not a SQLite database and leaves it untouched', () => {
    const path = file('garbage.db')
    const garbage = Buffer.from('this is not a database, only some bytes that look nothing like one\n'.repeat(100))
    writeFileSync(path, garbage)

    expect(() => openSqliteStore({ path })).toThrow(expect.objectContaining({ code: 'ERR_STORE_NOT_A_DATABASE' }))
    expect(() => openSqliteStore({ path, readonly: true })).toThrow(expect.objectContaining({ code: 'ERR_STORE_NOT_A_DATABASE' }))
    expect(readFileSync(path).equals(garbage)).toBe(true)
    expect(existsSync(`${path}-wal`)).toBe(false)
  })

  it('opens a missing file readonly with an error, and creates nothing', () => {
    const path = file('missing.db')
    expect(() => openSqliteStore({ path, readonly: true })).toThrow(expect.objectContaining({ name: 'StoreError', code: 'ERR_STORE_IO' }))
    expect(existsSync(path)).toBe(false)
  })

  it('refuses a readonly open of a database that has no durable-ipc schema', () => {
    const path = file('empty.db')
    new Database(path).close()
    expect(() => openSqliteStore({ path, readonly: true })).toThrow(expect.objectContaining({ code: 'ERR_STORE_NO_SCHEMA' }))
    expect(tables(path)).toEqual([])
  })

  it('reads a migrated file readonly', () => {
    const path = file('readonly.db')
    const now = Date.now()
    const writer = openSqliteStore({ path })
    writer.declareChannel('jobs', channelConfig())
    writer.publish(message('jobs', 'one', now))
    writer.close()

    const reader = openSqliteStore({ path, readonly: true })
    expect(reader.listChannels().map((c) => c.name)).toEqual(['jobs'])
    expect(reader.stats(now)[0]).toMatchObject({ channel: 'jobs', subscription: 'main', ready: 1 })
    reader.close()
  })

  it('lets two stores on one fresh file both open (one migrates, the other sees it done)', () => {
    const path = file('twice.db')
    const a = openSqliteStore({ path })
    const b = openSqliteStore({ path })
    a.declareChannel('jobs', channelConfig())
    expect(b.getChannel('jobs')).toEqual(channelConfig())
    a.close()
    b.close()
    expect(migrationsOf(path)).toHaveLength(latestSchemaVersion())
  })

  it('upgrades a version-1 file: a lease taken under 001 keeps its expiry and its place in line', () => {
    const path = file('v1.db')
    const t0 = Date.now()
    const db = new Database(path)
    db.exec(loadMigrations()[0]!.sql)
    db.prepare("INSERT INTO durable_ipc_migrations (version, name, applied_at) VALUES (1, '001_init.sql', 0)").run()
    db.prepare("INSERT INTO durable_ipc_channels (name, config, created_at) VALUES ('jobs', ?, 0)").run(JSON.stringify(channelConfig()))
    db.prepare("INSERT INTO durable_ipc_subscriptions (channel, name, created_at) VALUES ('jobs', 'main', 0)").run()
    const insert = db.prepare(`INSERT INTO durable_ipc_messages
      (id, channel, subscription, kind, payload, created_at, visible_at, queued_at, attempts, lease_owner)
      VALUES (?, 'jobs', 'main', 'message', ?, ?, ?, ?, ?, ?)`)
    // 001's lease: visible_at held the expiry (a minute from now), queued_at the place in line.
    insert.run(1, Buffer.from('leased'), t0 - 20, t0 + 60_000, t0 - 20, 1, 'other-host/1/abc')
    insert.run(2, Buffer.from('waiting'), t0 - 10, t0 - 10, null, 0, null)
    db.close()

    const store = openSqliteStore({ path })
    expect(migrationsOf(path).map((m) => m.version)).toEqual(loadMigrations().map((m) => m.version))
    // The lease still holds: only the waiting message is claimable, and the lease's expiry is the next wake-up.
    expect(store.stats(t0)[0]).toMatchObject({ ready: 1, inFlight: 1, delayed: 0 })
    expect(store.claim('jobs', 'main', 'me', t0, 120_000, 10).map((m) => m.id)).toEqual([2])
    expect(store.nextVisibleAt('jobs', 'main')).toBe(t0 + 60_000)
    // Released, it is back at its old place, ahead of newer messages, with its attempt kept.
    store.publish(message('jobs', 'newer', t0))
    expect(store.release('other-host/1/abc', t0)).toBe(1)
    const claimed = store.claim('jobs', 'main', 'me', t0, 30_000, 10)
    expect(claimed.map((m) => [m.id, m.attempt])).toEqual([[1, 2], [3, 1]])
    store.close()
  })

  it('upgrades a file as the release with schema 004 left it: renderer inboxes stop being fan-out targets, nothing else moves', () => {
    const path = file('v4.db')
    const t0 = Date.now()
    const db = new Database(path)
    db.pragma('journal_mode = WAL')
    for (const m of loadMigrations().filter((m) => m.version <= 4)) {
      db.exec(m.sql)
      db.prepare('INSERT INTO durable_ipc_migrations (version, name, applied_at) VALUES (?, ?, 0)').run(m.version, m.name)
    }
    // What a 004 broker stores: a channel with its main subscription and a renderer's inbox, a
    // message leased (started) by a consumer on another host, one waiting in the inbox, and a dead
    // letter that kept its key.
    db.prepare("INSERT INTO durable_ipc_channels (name, config, created_at) VALUES ('notice', ?, 0)").run(JSON.stringify(channelConfig()))
    const subscription = db.prepare("INSERT INTO durable_ipc_subscriptions (channel, name, created_at) VALUES ('notice', ?, 0)")
    subscription.run('main')
    subscription.run('renderer:window-1')
    const insert = db.prepare(`INSERT INTO durable_ipc_messages
      (id, channel, subscription, kind, payload, key, created_at, visible_at, attempts, lease_owner, lease_until, started)
      VALUES (?, 'notice', ?, 'message', ?, NULL, ?, ?, ?, ?, ?, ?)`)
    insert.run(1, 'main', '"leased"', t0 - 30, t0 - 30, 1, 'other-host/1/abc', t0 + 60_000, 1)
    insert.run(2, 'renderer:window-1', '"for the window"', t0 - 20, t0 - 20, 0, null, null, 0)
    db.prepare(`INSERT INTO durable_ipc_dead_letters (id, channel, subscription, kind, payload, key, attempts, last_error, created_at, failed_at)
      VALUES (3, 'notice', 'main', 'message', '"dead"', 'order-42', 3, 'Error: no', ?, ?)`).run(t0 - 10, t0 - 5)
    db.close()

    const store = openSqliteStore({ path })
    expect(migrationsOf(path).map((m) => m.version)).toEqual(loadMigrations().map((m) => m.version))
    expect(latestSchemaVersion()).toBeGreaterThanOrEqual(5)
    const check = new Database(path, { readonly: true })
    expect(check.prepare('SELECT name, fan_out FROM durable_ipc_subscriptions ORDER BY name').raw().all()).toEqual([['main', 1], ['renderer:window-1', 0]])
    check.close()

    // A publish without a subscription still reaches only main.
    const { id } = store.publish(message('notice', 'plain', t0))
    expect(store.messagesAfter(2, 'notice', 10).map((m) => [m.id, m.subscription])).toEqual([[id, 'main']])
    // The lease holds, the inbox keeps its message, and the dead letter comes back with its id and key.
    expect(store.stats(t0).map((s) => [s.subscription, s.ready, s.inFlight, s.dead])).toEqual([['main', 1, 1, 1], ['renderer:window-1', 1, 0, 0]])
    expect(store.claim('notice', 'renderer:window-1', 'me', t0, 1000, 10).map((m) => [m.id, m.payload])).toEqual([[2, '"for the window"']])
    expect(store.replay('notice', [3], t0)).toBe(1)
    expect(store.messagesAfter(0, 'notice', 10).map((m) => [m.id, m.subscription, m.key, m.leased])).toEqual([
      [1, 'main', null, true],
      [2, 'renderer:window-1', null, true],
      [3, 'main', 'order-42', false],
      [id, 'main', null, false],
    ])
    store.close()
  })

  it('upgrades a file as the release with schema 005 left it: priorities 0, outcomes with their state, configs without the new options', () => {
    const path = file('v5.db')
    const t0 = Date.now()
    const db = new Database(path)
    db.pragma('journal_mode = WAL')
    for (const m of loadMigrations().filter((m) => m.version <= 5)) {
      db.exec(m.sql)
      db.prepare('INSERT INTO durable_ipc_migrations (version, name, applied_at) VALUES (?, ?, 0)').run(m.version, m.name)
    }
    // A 005 config knows no timeoutMs or rateLimit.
    const { timeoutMs: _t, rateLimit: _r, ...oldConfig } = channelConfig()
    db.prepare("INSERT INTO durable_ipc_channels (name, config, created_at) VALUES ('jobs', ?, 0)").run(JSON.stringify(oldConfig))
    db.prepare("INSERT INTO durable_ipc_subscriptions (channel, name, created_at) VALUES ('jobs', 'main', 0)").run()
    const insert = db.prepare(`INSERT INTO durable_ipc_messages (id, channel, subscription, kind, payload, created_at, visible_at)
      VALUES (?, 'jobs', 'main', 'message', ?, ?, ?)`)
    insert.run(1, '"second"', t0 - 10, t0 - 10)
    insert.run(2, '"first"', t0 - 20, t0 - 20)
    const result = db.prepare('INSERT INTO durable_ipc_job_results (id, ok, payload, completed_at) VALUES (?, ?, ?, ?)')
    result.run(3, 1, Buffer.from([1]), t0 - 5)
    result.run(4, 0, Buffer.from([2]), t0 - 4)
    db.close()

    const store = openSqliteStore({ path })
    expect(migrationsOf(path).map((m) => m.version)).toEqual(loadMigrations().map((m) => m.version))
    expect(store.getChannel('jobs')).toMatchObject({ timeoutMs: null, rateLimit: null, maxAttempts: 3 })
    expect(store.isPaused('jobs')).toBe(false)
    expect(store.job(1, t0)).toMatchObject({ state: 'waiting', priority: 0 })
    // Outcomes from before 006 know their state but not their channel.
    expect(store.job(3, t0)).toMatchObject({ state: 'completed', channel: '' })
    expect(store.job(4, t0)).toMatchObject({ state: 'dead', channel: '' })
    expect(store.jobResult(4)).toMatchObject({ ok: false })
    // Line order is kept: visible_at first, at the one priority there is.
    store.publish(message('jobs', 'third', t0))
    expect(store.claim('jobs', 'main', 'me', t0, 1000, 10).map((m) => m.id)).toEqual([2, 1, 5])
    store.close()
  })
})
