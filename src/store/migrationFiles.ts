// The numbered NNN_name.sql migration files one backend ships (migrations/sqlite/,
// migrations/postgres/): read once per folder, checked to be numbered 1, 2, 3, ... with no gap.

import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { StoreError } from '../errors.js'

/** One migration file. */
export interface Migration {
  version: number
  name: string
  sql: string
}

const fileName = /^(\d+)_([A-Za-z0-9_-]+)\.sql$/
const cache = new Map<string, readonly Migration[]>()

/**
 * The migrations in `folder` (a directory URL), by version; read from disk once, then cached.
 * Throws StoreError for a missing folder, none found, a gap or a duplicate (a broken package:
 * applying around it would corrupt the schema).
 *
 * @example
 * loadMigrationFiles(new URL('../../../migrations/sqlite/', import.meta.url)).at(-1)?.version
 */
export function loadMigrationFiles(folder: URL): readonly Migration[] {
  const key = folder.href
  const hit = cache.get(key)
  if (hit !== undefined) return hit
  const where = fileURLToPath(folder)
  let names: string[]
  try {
    names = readdirSync(folder)
  } catch (err) {
    throw new StoreError('ERR_STORE', `Cannot read the migrations folder ${where}: ${(err as Error).message}`, { cause: err })
  }
  const migrations = names.flatMap((file) => {
    const match = fileName.exec(file)
    return match === null ? [] : [{ version: Number(match[1]), name: file, sql: readFileSync(new URL(file, folder), 'utf8') }]
  })
  migrations.sort((a, b) => a.version - b.version)
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new StoreError('ERR_STORE', `The migrations in ${where} are not numbered 1, 2, 3, ...: found ${m.name} at position ${i + 1}`)
  })
  if (migrations.length === 0) throw new StoreError('ERR_STORE', `No migrations found in ${where}`)
  cache.set(key, migrations)
  return migrations
}
