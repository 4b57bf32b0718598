// The read commands (stats, dead, tail) against databases the library built: what they print,
// and that the file they read is not altered.

import { once } from 'node:events'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { createBroker } from '../../src/index.js'
import { addDeadLetters, digest, makeDatabase, runCli, startCli, useCliFixtures } from './helpers.js'

const file = useCliFixtures()

/** jobs: 2 ready, 1 delayed, 3 dead; notice: 2 in renderer window-1's inbox. */
async function sample(): Promise<string> {
  const path = file('app.db')
  await makeDatabase(path, async (broker) => {
    await addDeadLetters(broker, 'jobs', 3, (n) => [{ order: n, lines: ['a', 'b'], deep: { a: { b: { c: { d: 1 } } } } }])
    broker.enqueue('jobs', ['first'])
    broker.enqueue('jobs', ['second'])
    broker.enqueue('jobs', ['later'], { delayMs: 3_600_000, key: 'later-1' })
    broker.channel('notice', { durable: true })
    const win = broker.createRenderer({ id: 'window-1' })
    win.webContents.send('notice', 'one')
    win.webContents.send('notice', 'two')
  })
  return path
}

/** Garbage in place of the payload of a dead letter (table 'dead_letters') or a message, as damage would leave it. */
function damage(path: string, table: 'dead_letters' | 'messages', id: number): void {
  const db = new Database(path)
  try {
    const changed = db.prepare(`UPDATE durable_ipc_${table} SET payload = ? WHERE id = ?`).run(Buffer.from([0xff, 0x0f, 0x99, 0x42, 0x00, 0x13]), id).changes
    if (changed !== 1) throw new Error(`no row ${id} in durable_ipc_${table}`)
  } finally {
    db.close()
  }
}

describe('stats', () => {
  it('prints an aligned table of channels and renderer inboxes', async () => {
    const path = await sample()
    const { code, stdout, stderr } = await runCli(['stats', path])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const lines = stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^CHANNEL +READY +DELAYED +IN FLIGHT +DEAD +OLDEST$/)
    expect(lines[1]).toMatch(/^jobs +2 +1 +0 +3 +\d+(ms|s)$/)
    expect(lines[2]).toMatch(/^notice +2 +0 +0 +0 +\d+(ms|s)$/)
    // Aligned: every row's READY column ends where its heading does.
    const readyEnd = lines[0]!.indexOf('READY') + 'READY'.length
    expect(lines[1]!.slice(0, readyEnd)).toMatch(/ 2$/)
    expect(lines.slice(3)).toEqual(['', expect.stringMatching(/^RENDERER +INBOX +CHANNELS$/), expect.stringMatching(/^window-1 +2 +notice 2$/)])
  })

  it('prints JSON with --json, in the shape of broker.stats(), null for what only a broker knows', async () => {
    const path = await sample()
    const { code, stdout } = await runCli(['stats', path, '--json'])
    expect(code).toBe(0)
    const stats = JSON.parse(stdout) as Record<string, unknown>
    expect(Object.keys(stats)).toEqual(['path', 'at', 'durable', 'renderers', 'transient', 'schedules'])
    expect(stats).toMatchObject({
      path,
      durable: {
        jobs: { ready: 2, delayed: 1, inFlight: 0, dead: 3, delivered: null, failed: null, subscriptions: { main: { ready: 2, delayed: 1, inFlight: 0, dead: 3 } } },
        notice: { ready: 2, subscriptions: { 'renderer:window-1': { ready: 2 } } },
      },
      renderers: { 'window-1': { depth: 2, channels: { notice: 2 }, open: null } },
      transient: null,
      schedules: [],
    })
    expect(typeof stats.at).toBe('number')
  })

  it('--json gives the durable and renderers parts broker.stats() gives for the same file', async () => {
    const path = await sample()
    const broker = createBroker({ path })
    try {
      broker.channel('jobs', { durable: true, maxAttempts: 1 })
      broker.ipcMain.on('transient-ping', () => {})
      broker.channel('notice', { durable: true })
      const win = broker.createRenderer({ id: 'window-2' })
      win.webContents.send('notice', 'three')
      const fromBroker = broker.stats()
      const { code, stdout } = await runCli(['stats', path, '--json'])
      expect(code).toBe(0)
      const fromCli = JSON.parse(stdout) as typeof fromBroker
      // Ages grow between the two reads; everything else is equal.
      const withoutAges = (durable: Record<string, object & { oldestAgeMs: number | null }>) =>
        Object.fromEntries(Object.entries(durable).map(([name, c]) => [name, { ...c, oldestAgeMs: c.oldestAgeMs === null ? null : 'some' }]))
      const brokerDurable = Object.fromEntries(Object.entries(fromBroker.durable).map(([name, c]) => [name, { ...c, delivered: null, failed: null }]))
      expect(withoutAges(fromCli.durable)).toEqual(withoutAges(brokerDurable))
      expect(fromCli.durable['jobs']!.oldestAgeMs).toBeGreaterThanOrEqual(fromBroker.durable['jobs']!.oldestAgeMs!)
      expect(fromBroker.renderers['window-2']).toEqual({ depth: 1, channels: { notice: 1 }, open: true })
      expect(fromCli.renderers).toEqual(Object.fromEntries(Object.entries(fromBroker.renderers).map(([id, r]) => [id, { ...r, open: null }])))
      expect(fromBroker.transient).toEqual({ 'transient-ping': { listeners: 1, handler: false } })
      expect(fromCli.transient).toBeNull()
    } finally {
      await broker.close()
    }
  })

  it('says so when the database has no durable channel', async () => {
    const path = file('empty-broker.db')
    await makeDatabase(path, () => {})
    const { code, stdout } = await runCli(['stats', path])
    expect(code).toBe(0)
    expect(stdout).toBe(`No durable channels in ${path}.\n`)
  })

  it('--watch refreshes: --count stops it, and Ctrl-C ends it cleanly', async () => {
    const path = await sample()
    const counted = await runCli(['stats', path, '--watch', '--json', '--interval', '20', '--count', '3'])
    expect(counted.code).toBe(0)
    const frames = counted.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { at: number })
    expect(frames).toHaveLength(3)
    expect(frames[2]!.at).toBeGreaterThan(frames[0]!.at)

    const watching = startCli(['stats', path, '--watch'])
    await watching.waitFor(/^jobs .*$/m)
    expect(watching.output().stdout.split('\n')[0]).toContain(path) // a header with the file and time
    watching.child.kill('SIGINT')
    const [code] = (await once(watching.child, 'exit')) as [number | null]
    expect(code).toBe(0)
  })
})

describe('dead', () => {
  it('lists dead letters with attempts, the first line of the last error and an argument preview', async () => {
    const path = await sample()
    const { code, stdout } = await runCli(['dead', path])
    expect(code).toBe(0)
    const lines = stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^ID +CHANNEL +SUBSCRIPTION +ATTEMPTS +FAILED +LAST ERROR +ARGS$/)
    expect(lines).toHaveLength(4)
    expect(lines[1]).toMatch(/^ *1 +jobs +main +1 +\d+(ms|s) ago +Error: failed \[\{"order":0.*… +\[ \{ order: 0, lines: \[ 'a', 'b' \], deep: \{ a: \[Object\] \} \} \]$/)
    expect(stdout).not.toContain('at somewhere') // only the error's first line, cut to a width
  })

  it('filters by channel, pages with --limit and --after, and prints JSON', async () => {
    const path = await sample()
    expect((await runCli(['dead', path, 'notice'])).stdout).toBe("No dead letters of 'notice'.\n")

    const page = await runCli(['dead', path, 'jobs', '--limit', '2'])
    expect(page.stdout.trimEnd().split('\n').slice(1, 3).map((l) => l.trim().split(/ +/)[0])).toEqual(['1', '2'])
    expect(page.stdout).toContain("Showing 2 of 3 dead letters of 'jobs'; next page: --after 2")
    const next = await runCli(['dead', path, 'jobs', '--after', '2'])
    expect(next.stdout.trimEnd().split('\n').slice(1).map((l) => l.trim().split(/ +/)[0])).toEqual(['3'])

    const unknown = await runCli(['dead', path, 'mail'])
    expect([unknown.code, unknown.stderr]).toEqual([2, `durable-ipc: ${path} has no durable channel 'mail'\n`])

    const json = JSON.parse((await runCli(['dead', path, '--json', '--limit', '1'])).stdout) as Array<Record<string, unknown>>
    expect(json).toEqual([
      expect.objectContaining({ id: 1, channel: 'jobs', subscription: 'main', kind: 'message', attempts: 1, sender: null }),
    ])
    expect(json[0]!.lastError).toMatch(/^Error: failed .*\n {4}at somewhere/)
    expect(json[0]!.args).toEqual([{ order: 0, lines: ['a', 'b'], deep: { a: { b: { c: { d: 1 } } } } }])
    expect('undecodable' in json[0]!).toBe(false)
  })

  it('shows an undecodable payload as such, and the rest of the channel as usual', async () => {
    const path = await sample()
    damage(path, 'dead_letters', 2)
    const { code, stdout, stderr } = await runCli(['dead', path])
    expect([code, stderr]).toEqual([0, ''])
    const lines = stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(4)
    expect(lines[1]).toMatch(/\[ \{ order: 0, /)
    expect(lines[2]).toMatch(/^ *2 +jobs +main +1 .* <undecodable: .+$/)
    expect(lines[3]).toMatch(/\[ \{ order: 2, /)

    const json = JSON.parse((await runCli(['dead', path, '--json'])).stdout) as Array<Record<string, unknown>>
    expect(json.map((d) => [d.id, typeof d.undecodable])).toEqual([[1, 'undefined'], [2, 'string'], [3, 'undefined']])
    expect(json[1]!.args).toBeNull()
    expect(json[1]!.sender).toBeNull()
  })
})

describe('tail', () => {
  it('prints messages already waiting with --existing, and stops after --count', async () => {
    const path = await sample()
    const { code, stdout } = await runCli(['tail', path, 'jobs', '--existing', '--count', '3'])
    expect(code).toBe(0)
    const lines = stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z {2}#4 {2}jobs {2}main {2}\[ 'first' \]$/)
    expect(lines[2]).toMatch(/#6 {2}jobs {2}main {2}key=later-1 {2}delayed 1h 0m {2}\[ 'later' \]$/)

    const json = await runCli(['tail', path, '--existing', '--json', '--count', '5'])
    const messages = json.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(messages.map((m) => [m.channel, m.subscription, m.args])).toEqual([
      ['jobs', 'main', ['first']],
      ['jobs', 'main', ['second']],
      ['jobs', 'main', ['later']],
      ['notice', 'renderer:window-1', ['one']],
      ['notice', 'renderer:window-1', ['two']],
    ])
  })

  it('shows an undecodable payload as such and goes on', async () => {
    const path = await sample()
    damage(path, 'messages', 5)
    const { code, stdout } = await runCli(['tail', path, 'jobs', '--existing', '--count', '3'])
    expect(code).toBe(0)
    const lines = stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/#4 {2}jobs {2}main {2}\[ 'first' \]$/)
    expect(lines[1]).toMatch(/#5 {2}jobs {2}main {2}<undecodable: .+>$/)
    expect(lines[2]).toMatch(/#6 .*\[ 'later' \]$/)
    const json = await runCli(['tail', path, 'jobs', '--existing', '--json', '--count', '2'])
    const messages = json.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(messages.map((m) => [m.id, typeof m.undecodable])).toEqual([[4, 'undefined'], [5, 'string']])
    expect(messages[1]!.args).toBeNull()
  })

  it('refuses a channel the database does not have', async () => {
    const path = await sample()
    const { code, stderr } = await runCli(['tail', path, 'mail'])
    expect(code).toBe(2)
    expect(stderr).toBe(`durable-ipc: ${path} has no durable channel 'mail'\n`)
  })

  it('leaves the database file exactly as it was, like every read command', async () => {
    const path = await sample()
    const before = digest(path)
    for (const args of [['stats', path], ['stats', path, '--json'], ['dead', path], ['tail', path, '--existing', '--count', '1']]) {
      expect((await runCli(args)).code).toBe(0)
    }
    expect(digest(path)).toBe(before)
  })
})
