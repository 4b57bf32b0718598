// What the store-and-forward tests open: node files in temp directories, and the stores and parts
// opened on them, all closed (last first) and removed after each test.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import { openForwardingStore } from '../../../src/store/index.js'
import type { Store } from '../../../src/store/index.js'
import { postgresUrl } from '../../support/postgres.js'

export interface ForwardingParts {
  /** A new node file path, in a directory of its own. */
  file(): string
  /** Closes `part` after the test. */
  track<T extends { close(): void }>(part: T): T
  /** A store-and-forward store on `path` and PostgreSQL schema `pgSchema`, closed after the test. */
  forwardingStore(path: string, pgSchema: string): Store
}

/** Registers the cleanup and returns the openers (call it inside a describe). */
export function useForwardingParts(prefix: string): ForwardingParts {
  const dirs: string[] = []
  const open: Array<{ close(): void }> = []
  afterEach(() => {
    for (const part of open.splice(0).reverse()) part.close()
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })
  const track = <T extends { close(): void }>(part: T): T => {
    open.push(part)
    return part
  }
  return {
    file: () => {
      const dir = mkdtempSync(join(tmpdir(), prefix))
      dirs.push(dir)
      return join(dir, 'node.db')
    },
    track,
    forwardingStore: (path, pgSchema) => track(openForwardingStore({ local: { path }, postgres: { connectionString: postgresUrl(), schema: pgSchema } })),
  }
}
