// `pg` is an optional peer dependency: loaded only when a PostgreSQL store is opened (a SQLite user
// never loads it), and when it is not installed, opening one says how to install it.

import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureBuilt } from '../../e2e/durableProcesses.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const run = promisify(execFile)

async function evaluate(source: string, cwd: string): Promise<unknown> {
  const env = { ...process.env }
  delete env.NODE_PATH
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', source], { cwd, env, timeout: 30_000 })
  return JSON.parse(stdout.trim())
}

describe('the pg driver', () => {
  const dirs: string[] = []
  beforeAll(ensureBuilt, 120_000)
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it('is not loaded by a broker on SQLite', async () => {
    const source = `
      import { createRequire } from 'node:module'
      import { createBroker } from ${JSON.stringify(join(root, 'dist/index.js'))}
      const broker = createBroker()
      broker.channel('jobs', { durable: true })
      broker.enqueue('jobs', ['x'])
      await broker.close()
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((path) => /[\\\\/]node_modules[\\\\/]pg[\\\\/]/.test(path))
      console.log(JSON.stringify(loaded))
    `
    expect(await evaluate(source, root)).toEqual([])
  })

  it('missing, makes openPostgresStore throw StoreError ERR_STORE_NO_DRIVER saying npm install pg', async () => {
    // The built store, copied where no node_modules can be found.
    const dir = mkdtempSync(join(tmpdir(), 'durable-ipc-nopg-'))
    dirs.push(dir)
    cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true })
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n')
    const source = `
      import { openPostgresStore } from ${JSON.stringify(join(dir, 'dist/store/postgres/postgresStore.js'))}
      try {
        openPostgresStore({ connectionString: 'postgres://app:s3cret@127.0.0.1:1/app' })
        console.log(JSON.stringify({ opened: true }))
      } catch (err) {
        console.log(JSON.stringify({ name: err.name, code: err.code, message: err.message }))
      }
    `
    const result = (await evaluate(source, dir)) as { name: string; code: string; message: string }
    expect(result).toMatchObject({ name: 'StoreError', code: 'ERR_STORE_NO_DRIVER' })
    expect(result.message).toContain('npm install pg')
    expect(result.message).not.toContain('s3cret')
  })
})
