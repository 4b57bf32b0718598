// vitest globalSetup: one throwaway PostgreSQL server for the whole test run (postgresServer.ts),
// its URL handed to the tests with provide/inject (test/support/postgres.ts reads it). With
// DURABLE_IPC_PG_URL set, that server is used and nothing is started. Without either, the run goes
// on and every PostgreSQL test fails with one line saying how to get a server.

import type { TestProject } from 'vitest/node'
import { howToGetPostgres, postgresBinDir, startPostgresServer } from './postgresServer.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The server's URL; '' when there is none (then `postgresProblem` says why). */
    postgresUrl: string
    postgresProblem: string
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const external = process.env.DURABLE_IPC_PG_URL
  if (external !== undefined && external !== '') {
    project.provide('postgresUrl', external)
    project.provide('postgresProblem', '')
    return () => {}
  }
  if (postgresBinDir() === undefined) {
    project.provide('postgresUrl', '')
    project.provide('postgresProblem', howToGetPostgres)
    return () => {}
  }
  // Tests that start processes hand them postgresUrl() (test/support/postgres.ts).
  const server = await startPostgresServer()
  project.provide('postgresUrl', server.url)
  project.provide('postgresProblem', '')
  return () => server.stop()
}
