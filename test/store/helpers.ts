// Shared fixtures of the store tests: a fresh temp directory per test file and a default channel config.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach } from 'vitest'
import { openSqliteStore } from '../../src/store/index.js'
import type { SyncStore } from '../../src/store/contract.js'
import type { ChannelConfig, Payload, PublishInput } from '../../src/store/types.js'

/** A fresh temp directory, deleted after the test file; returns a path maker inside it. */
export function tempDir(): (name: string) => string {
  const dir = mkdtempSync(join(tmpdir(), 'durable-ipc-store-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  let counter = 0
  return (name: string) => join(dir, `${++counter}-${name}`)
}

/** A channel config with no limits; override what a test needs. */
export function channelConfig(overrides: Partial<ChannelConfig> = {}): ChannelConfig {
  return {
    maxAttempts: 3,
    backoffInitialMs: 100,
    backoffMaxMs: 1000,
    concurrency: 1,
    leaseMs: 30_000,
    maxMessageBytes: null,
    maxDepth: null,
    timeoutMs: null,
    rateLimit: null,
    ...overrides,
  }
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** A publish input carrying `text`, visible at `now`. */
export function message(channel: string, text: string, now: number, extra: Partial<PublishInput> = {}): PublishInput {
  return { channel, payload: encoder.encode(text), kind: 'message', visibleAt: now, now, ...extra }
}

/** The text a payload carries. */
export function text(payload: Payload): string {
  return typeof payload === 'string' ? payload : decoder.decode(payload)
}

/**
 * Opens SQLite stores that are closed after each test; returns the opener.
 *
 * @example
 * const open = useSqliteStores(); const store = open(file('a.db'))
 */
export function useSqliteStores(): (path: string) => SyncStore {
  const stores: SyncStore[] = []
  afterEach(() => {
    for (const store of stores.splice(0)) store.close()
  })
  return (path) => {
    const store = openSqliteStore({ path })
    stores.push(store)
    return store
  }
}
