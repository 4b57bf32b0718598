// What the tools make of their database argument: a file, or a postgres:// URL whose schema
// parameter goes to the store's schema and whose label never holds the user or password.

import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../../src/errors.js'
import { targetPath, toolTarget } from '../../src/board/target.js'

describe('toolTarget', () => {
  it('a file is a file, whatever it is called', () => {
    expect(toolTarget('app.db')).toEqual({ kind: 'file', path: 'app.db', label: 'app.db' })
    expect(toolTarget('./postgres:/x.db').kind).toBe('file')
  })

  it('takes ?schema= out of the connection string and keeps the other parameters', () => {
    expect(toolTarget('postgres://app:secret@db:5432/app?sslmode=require&schema=jobs&application_name=x')).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://app:secret@db:5432/app?sslmode=require&application_name=x',
      schema: 'jobs',
      label: "postgres://db:5432/app (schema 'jobs')",
    })
    expect(toolTarget('POSTGRESQL://db/app?schema=a%20b')).toMatchObject({ schema: 'a b' })
    expect(toolTarget('postgres://db/app', 'jobs')).toMatchObject({ connectionString: 'postgres://db/app', schema: 'jobs' })
    expect(toolTarget('postgres://db/app').label).toBe("postgres://db/app (schema 'public')")
  })

  it('never puts user information in the label, even a password with @ and / in it', () => {
    const target = toolTarget('postgres://app:p@ss/w@rd@db:5432/app')
    expect(target.label).toBe("postgres://db:5432/app (schema 'public')")
    expect(target.label).not.toMatch(/p@ss|rd|app:/)
    expect(toolTarget('postgres:///app').label).toBe("postgres:///app (schema 'public')")
  })

  it('refuses a schema twice over, an empty one, and a schema for a file, without quoting the URL', () => {
    expect(() => toolTarget('postgres://u:pw@db/app?schema=a', 'b')).toThrow(InvalidArgumentError)
    expect(() => toolTarget('postgres://u:pw@db/app?schema=a', 'b')).not.toThrow(/pw/)
    expect(() => toolTarget('postgres://u:pw@db/app?schema=')).toThrow(/empty/)
    expect(() => toolTarget('app.db', 'jobs')).toThrow(/only for a postgres:\/\/ URL/)
    expect(toolTarget('postgres://db/app?schema=a', 'a')).toMatchObject({ schema: 'a' })
  })

  it('targetPath names the same store again', () => {
    expect(targetPath(toolTarget('postgres://db/app?sslmode=require', 'jobs'))).toBe('postgres://db/app?sslmode=require&schema=jobs')
    expect(toolTarget(targetPath(toolTarget('postgres://db/app', 'a b')))).toMatchObject({ schema: 'a b' })
    expect(targetPath(toolTarget('app.db'))).toBe('app.db')
  })
})
