// `durable-ipc board <db>` as a real process: prints the URL with its token, serves the board
// there (reads need the token, read-only refuses actions), and stops cleanly on SIGTERM.

import { describe, expect, it } from 'vitest'
import { cliPath, runCli, start, useCliFixtures } from '../cli/helpers.js'
import { buildStore } from './helpers.js'

const file = useCliFixtures()

describe('durable-ipc board', () => {
  it('prints the URL with the token, serves it, and stops on SIGTERM', async () => {
    const path = file('app.db')
    await buildStore(path)
    const board = start(process.execPath, [cliPath, 'board', path, '--port', '0', '--token', 'cli-token-0123456789abcdef'])
    const [, origin, token] = (await board.waitFor(/Open (http:\/\/127\.0\.0\.1:\d+)\/\?token=(\S+)/))
    expect(token).toBe('cli-token-0123456789abcdef')
    expect((await fetch(`${origin}/api/overview`)).status).toBe(401)
    const overview = (await (await fetch(`${origin}/api/overview`, { headers: { 'x-board-token': token! } })).json()) as { channels: Array<{ name: string; ready: number }> }
    expect(overview.channels.find((c) => c.name === 'orders')?.ready).toBe(7)
    const pause = await fetch(`${origin}/api/channels/orders/pause`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-board-token': token!, origin: origin! }, body: '{}' })
    expect(pause.status).toBe(200)
    board.child.kill('SIGTERM')
    const ended = await board.exited
    expect(ended.code).toBe(0)
    expect(ended.stderr).toContain('Board stopped.')
  })

  it('--read-only refuses actions with 403; a random token by default', async () => {
    const path = file('ro.db')
    await buildStore(path)
    const board = start(process.execPath, [cliPath, 'board', path, '--port', '0', '--read-only'])
    const [, origin, token] = (await board.waitFor(/Open (http:\/\/127\.0\.0\.1:\d+)\/\?token=(\S+)/))
    expect(token!.length).toBeGreaterThanOrEqual(32)
    const res = await fetch(`${origin}/api/channels/orders/pause`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-board-token': decodeURIComponent(token!), origin: origin! }, body: '{}' })
    expect(res.status).toBe(403)
    board.child.kill('SIGINT')
    expect((await board.exited).code).toBe(0)
  })

  it('a missing file is one line and exit code 2', async () => {
    const result = await runCli(['board', file('missing.db'), '--port', '0'])
    expect(result.code).toBe(2)
    expect(result.stderr.trim()).toMatch(/^durable-ipc: no such file: /)
  })
})
