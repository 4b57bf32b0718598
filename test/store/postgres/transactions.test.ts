// A synchronous PostgreSQL transaction spans several round trips through the bridge's worker. If
// the worker's connection is lost between two of them, the rest must not run on a fresh
// connection outside the transaction (half of it committed): the transaction fails as a whole.

import { afterEach, describe, expect, it } from 'vitest'
import { loadPg } from '../../../src/store/postgres/connection.js'
import { pgWorkerSource } from '../../../src/store/postgres/pgWorker.js'
import type { PgBatch, PgWorkerData } from '../../../src/store/postgres/pgWorker.js'
import { run, rows } from '../../../src/store/postgres/program.js'
import type { Result, Sql } from '../../../src/store/postgres/program.js'
import { runSync } from '../../../src/store/postgres/runners.js'
import { SyncBridge } from '../../../src/store/postgres/syncBridge.js'
import { postgresUrl, useSchemas } from '../../support/postgres.js'
import { startTcpProxy, throughProxy } from '../../support/tcpProxy.js'
import type { TcpProxy } from '../../support/tcpProxy.js'

const sleep = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

describe('synchronous PostgreSQL transactions', () => {
  const schema = useSchemas()
  const cleanups: Array<() => unknown> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  it('fail whole when the connection is lost between two statements, even if the next batch could reconnect', () => {
    const server = new URL(postgresUrl())
    const proxy: TcpProxy = startTcpProxy(server.hostname, Number(server.port || 5432))
    cleanups.push(() => proxy.close())
    const name = schema()
    const data: PgWorkerData = {
      driver: loadPg().path,
      connectionString: throughProxy(postgresUrl(), proxy),
      setup: [`CREATE SCHEMA IF NOT EXISTS "${name}"`, `SET search_path TO "${name}"`],
      storeId: 'test',
      connectTimeoutMs: 5000,
    }
    const bridge = new SyncBridge({ source: pgWorkerSource, data, timeoutMs: 5000, label: 'PostgreSQL' })
    cleanups.push(() => bridge.close())
    let cut = false
    const exec = (batch: readonly Sql[], continues: boolean): Result[] => {
      const results = bridge.call({ batch, continues } satisfies PgBatch) as Result[]
      if (cut) {
        // After the first batch: the connection is reset, noticed by the worker, and the server
        // reachable again (so a careless worker would reconnect and go on outside the transaction).
        cut = false
        proxy.refuse()
        sleep(200)
        proxy.forward()
      }
      return results
    }
    const notice = { channel: 'durable_ipc.test', storeId: 'test' }
    runSync(exec, 'write', notice, () => run('CREATE TABLE t (n integer)'))
    cut = true
    expect(() =>
      runSync(exec, 'write', notice, function* () {
        yield* run('INSERT INTO t VALUES (1)')
        yield* run('INSERT INTO t VALUES (2)')
      }),
    ).toThrow(/Connection terminated/)
    expect(runSync(exec, 'read', notice, () => rows<{ n: number }>('SELECT n FROM t ORDER BY n'))).toEqual([])
  })
})
