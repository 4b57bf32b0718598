// The command-line tool's contract with the shell: help on every command, exit codes, and files
// it cannot use refused in one line (exit 2) and left exactly as they were.

import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { cliPath, digest, makeDatabase, runCli, useCliFixtures } from './helpers.js'

const file = useCliFixtures()
const commands = ['stats', 'dead', 'replay', 'purge', 'tail', 'schedules', 'cancel']

describe('the executable', () => {
  it("is package.json's bin, a script node runs", () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { bin: Record<string, string> }
    expect(fileURLToPath(new URL(`../../${pkg.bin['durable-ipc']}`, import.meta.url))).toBe(cliPath)
    expect(readFileSync(cliPath, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node')
  })
})

describe('help', () => {
  it.each(commands)('%s --help prints its usage and exits 0', async (command) => {
    const { code, stdout, stderr } = await runCli([command, '--help'])
    expect(code).toBe(0)
    expect(stdout).toContain(`Usage: durable-ipc ${command} <db>`)
    expect(stderr).toBe('')
  })

  it('lists the commands with --help, and with no arguments (exit 2, on stderr)', async () => {
    const help = await runCli(['--help'])
    expect(help.code).toBe(0)
    for (const command of commands) expect(help.stdout).toContain(`  ${command} `)
    const bare = await runCli([])
    expect(bare.code).toBe(2)
    expect(bare.stderr).toContain('Usage: durable-ipc <command>')
  })

  it('prints the package version', async () => {
    const { code, stdout } = await runCli(['--version'])
    expect(code).toBe(0)
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
  })
})

describe('bad usage exits 2 with a pointer to the help', () => {
  it.each([
    [['bogus'], "durable-ipc: unknown command 'bogus'"],
    [['stats'], 'durable-ipc stats: missing <db>'],
    [['stats', 'a.db', '--wat'], "durable-ipc stats: Unknown option '--wat'"],
    [['stats', 'a.db', 'extra'], "durable-ipc stats: unexpected argument 'extra'"],
    [['dead', 'a.db', '--limit', 'x'], "durable-ipc dead: --limit expects a whole number of at least 1, not 'x'"],
    [['replay', 'a.db', 'jobs'], 'durable-ipc replay: give either --id <n>... or --all'],
    [['replay', 'a.db', 'jobs', '--all', '--id', '3'], 'durable-ipc replay: give either --id <n>... or --all'],
    [['purge', 'a.db', 'jobs', '--id', 'x'], "durable-ipc purge: 'x' is not a message id"],
    [['purge', 'a.db'], 'durable-ipc purge: missing <channel>'],
    [['cancel', 'a.db'], 'durable-ipc cancel: missing <id>'],
    [['cancel', 'a.db', 'x'], "durable-ipc cancel: 'x' is not a job id"],
    [['cancel', 'a.db', '1', '2'], "durable-ipc cancel: unexpected argument '2'"],
  ])('%j', async (args, message) => {
    const { code, stdout, stderr } = await runCli(args)
    expect(code).toBe(2)
    expect(stdout).toBe('')
    const [first, second] = stderr.trimEnd().split('\n')
    expect(first).toBe(message)
    expect(second).toMatch(/^Run 'durable-ipc( \w+)? --help' for usage\.$/)
  })
})

describe('files it cannot use', () => {
  const readCommands = [['stats'], ['dead'], ['tail'], ['schedules'], ['replay', 'jobs', '--all'], ['purge', 'jobs', '--all', '--yes'], ['cancel', '1']]
  const run = (command: string[], path: string) => runCli([command[0]!, path, ...command.slice(1)])

  it.each(readCommands)('%s: a missing file is reported and not created', async (...command) => {
    const path = file('missing.db')
    const { code, stderr } = await run(command, path)
    expect(code).toBe(2)
    expect(stderr).toBe(`durable-ipc: no such file: ${path}\n`)
    expect(existsSync(path)).toBe(false)
  })

  it('a directory is reported as one', async () => {
    const path = file('dir')
    mkdirSync(path)
    const { code, stderr } = await runCli(['stats', path])
    expect(code).toBe(2)
    expect(stderr).toBe(`durable-ipc: ${path} is a directory, not a database file\n`)
  })

  it.each(readCommands)('%s: a file that is not a database is refused and left alone', async (...command) => {
    const path = file('notes.db')
    writeFileSync(path, 'these are my notes, not a database\n'.repeat(100))
    const before = digest(path)
    const { code, stderr } = await run(command, path)
    expect(code).toBe(2)
    expect(stderr.split('\n')).toHaveLength(2) // one line and its newline
    expect(stderr).toContain('not a SQLite database')
    expect(digest(path)).toBe(before)
  })

  it.each(readCommands)('%s: an empty file (no durable-ipc schema) is refused and stays empty', async (...command) => {
    const path = file('empty.db')
    writeFileSync(path, '')
    const { code, stderr } = await run(command, path)
    expect(code).toBe(2)
    expect(stderr).toMatch(/^durable-ipc: Database '.*' has no durable-ipc schema.*\n$/)
    expect(statSync(path).size).toBe(0)
  })

  it.each(readCommands)('%s: a database from a newer durable-ipc is refused and left alone', async (...command) => {
    const path = file('newer.db')
    await makeDatabase(path, (broker) => void broker.channel('jobs', { durable: true }))
    const db = new Database(path)
    db.prepare("INSERT INTO durable_ipc_migrations (version, name, applied_at) VALUES (999, '999_future.sql', 0)").run()
    db.close()
    const before = digest(path)
    const { code, stderr } = await run(command, path)
    expect(code).toBe(2)
    expect(stderr).toMatch(/^durable-ipc: Database '.*' has durable-ipc schema version 999, newer than \d+.*\n$/)
    expect(digest(path)).toBe(before)
  })
})
