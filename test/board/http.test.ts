// The board's request handler over HTTP (node:http on port 0): security headers on every answer,
// the token for reads and actions, the Origin check, read-only refusals, errors without stacks,
// and /metrics in Prometheus' text format.

import { once } from 'node:events'
import { createServer } from 'node:http'
import { describe, expect, it } from 'vitest'
import { createBoard } from '../../src/board.js'
import { openSqliteStore } from '../../src/store/index.js'
import { createBroker } from '../../src/index.js'
import { action, buildStore, read, serve, tempFiles, TOKEN } from './helpers.js'

const file = tempFiles()

async function built(): Promise<string> {
  const path = file('app.db')
  await buildStore(path)
  return path
}

function deadIds(path: string, channel: string): number[] {
  const store = openSqliteStore({ path, readonly: true })
  try {
    return store.deadLetters(channel).map((d) => d.id)
  } finally {
    store.close()
  }
}

function withStoreRead<T>(path: string, read: (store: ReturnType<typeof openSqliteStore>) => T): T {
  const store = openSqliteStore({ path, readonly: true })
  try {
    return read(store)
  } finally {
    store.close()
  }
}

function paused(path: string, channel: string): boolean {
  const store = openSqliteStore({ path, readonly: true })
  try {
    return store.isPaused(channel)
  } finally {
    store.close()
  }
}

describe('security headers', () => {
  it('every answer carries a CSP without inline scripts, nosniff, no framing and no referrer', async () => {
    const served = await serve({ path: await built() })
    const answers = await Promise.all([
      fetch(served.url, { redirect: 'manual' }),
      fetch(`${served.origin}/`, { headers: { cookie: 'x=y' } }), // 401 page
      read(served, '/api/overview'),
      fetch(`${served.origin}/static/app.js`),
      fetch(`${served.origin}/metrics`),
      read(served, '/api/nothing-here'),
      action(served, '/api/channels/orders/pause', {}, { origin: 'https://evil.example' }),
    ])
    for (const res of answers) {
      const csp = res.headers.get('content-security-policy') ?? ''
      expect(csp).toContain("script-src 'self'")
      expect(csp).toContain("default-src 'none'")
      expect(csp).toContain("frame-ancestors 'none'")
      expect(csp).not.toContain('unsafe-inline')
      expect(csp).not.toContain('unsafe-eval')
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('referrer-policy')).toBe('no-referrer')
      expect(res.headers.get('x-frame-options')).toBe('DENY')
    }
    expect(answers.map((r) => r.status)).toEqual([303, 401, 200, 200, 200, 404, 403])
  })

  it('serves its own modules as JavaScript and the page loads nothing from elsewhere', async () => {
    const served = await serve({ path: await built() })
    const js = await fetch(`${served.origin}/static/app.js`)
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/)
    const html = await (await fetch(`${served.origin}/`, { headers: { 'x-board-token': TOKEN } })).text()
    expect(html).not.toMatch(/<script>|<script [^>]*>[^<]/) // no inline script
    expect(html).not.toMatch(/https?:\/\//) // no CDN, no external font
    expect(html).toContain('<script type="module" src="static/app.js"></script>')
  })
})

describe('the token', () => {
  it('reads need it: refused without, accepted in the header or the cookie the page URL sets', async () => {
    const served = await serve({ path: await built() })
    expect((await fetch(`${served.origin}/api/overview`)).status).toBe(401)
    expect((await fetch(`${served.origin}/api/overview`, { headers: { 'x-board-token': 'wrong-token-0123456789' } })).status).toBe(401)
    expect((await fetch(`${served.origin}/?token=wrong-token-0123456789`, { redirect: 'manual' })).status).toBe(401)
    const opened = await fetch(served.url, { redirect: 'manual' })
    expect(opened.status).toBe(303)
    expect(opened.headers.get('location')).toBe('/') // the token leaves the address bar
    const cookie = opened.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/SameSite=Strict/)
    const overview = await fetch(`${served.origin}/api/overview`, { headers: { cookie: cookie.split(';')[0]! } })
    expect(overview.status).toBe(200)
    const body = (await overview.json()) as { channels: Array<{ name: string; ready: number; delayed: number; dead: number; paused: boolean }> }
    expect(body.channels.map((c) => [c.name, c.ready, c.delayed, c.dead, c.paused])).toEqual([
      ['emails', 0, 0, 2, false],
      ['orders', 7, 3, 0, false],
      ['reports', 0, 0, 0, true],
    ])
  })

  it('an action without the token, or with the cookie alone, is refused and changes nothing', async () => {
    const path = await built()
    const served = await serve({ path })
    const cookie = ((await fetch(served.url, { redirect: 'manual' })).headers.get('set-cookie') ?? '').split(';')[0]!
    const bare = await fetch(`${served.origin}/api/channels/orders/pause`, { method: 'POST', headers: { 'content-type': 'application/json', origin: served.origin }, body: '{}' })
    expect(bare.status).toBe(401)
    const withCookie = await fetch(`${served.origin}/api/channels/orders/pause`, { method: 'POST', headers: { 'content-type': 'application/json', origin: served.origin, cookie }, body: '{}' })
    expect(withCookie.status).toBe(401)
    expect(paused(path, 'orders')).toBe(false)
    const done = await action(served, '/api/channels/orders/pause')
    expect(done.status).toBe(200)
    expect(paused(path, 'orders')).toBe(true)
  })
})

describe('the Origin check', () => {
  it('refuses a POST from another origin or site, with the token, and changes nothing', async () => {
    const path = await built()
    const served = await serve({ path })
    for (const headers of [{ origin: 'https://evil.example' }, { origin: 'null' }, { origin: `${served.origin}.evil.example` }, { 'sec-fetch-site': 'cross-site' }]) {
      const res = await action(served, '/api/channels/emails/replay', { all: true }, headers)
      expect(res.status).toBe(403)
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ERR_BOARD_FORBIDDEN')
    }
    expect(deadIds(path, 'emails')).toHaveLength(2)
  })

  it('no action by GET, and only JSON bodies', async () => {
    const path = await built()
    const served = await serve({ path })
    expect((await read(served, '/api/channels/orders/pause')).status).toBe(404)
    const form = await fetch(`${served.origin}/api/channels/orders/pause`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-board-token': TOKEN }, body: 'a=1' })
    expect(form.status).toBe(415)
    const huge = await action(served, '/api/channels/emails/replay', { ids: [1], pad: 'x'.repeat(70_000) })
    expect(huge.status).toBe(413)
    expect(paused(path, 'orders')).toBe(false)
  })
})

describe('actions', () => {
  it('replay and purge one store transaction each; a purge must be confirmed', async () => {
    const path = await built()
    const served = await serve({ path })
    const [first, second] = deadIds(path, 'emails')
    const replayed = await action(served, '/api/channels/emails/replay', { ids: [first] })
    expect(await replayed.json()).toEqual({ ok: true, count: 1, message: 'Replayed 1 dead letter' })
    expect(deadIds(path, 'emails')).toEqual([second])
    expect((await action(served, '/api/channels/emails/purge', { ids: [second] })).status).toBe(400)
    expect(deadIds(path, 'emails')).toEqual([second])
    expect((await action(served, '/api/channels/emails/purge', { ids: [second], confirm: true })).status).toBe(200)
    expect(deadIds(path, 'emails')).toEqual([])
    expect((await action(served, '/api/channels/emails/replay', { ids: 'all' })).status).toBe(400)
    expect((await action(served, '/api/channels/nope/pause')).status).toBe(404)
  })

  it('cancels a waiting job (one transaction), and says so when there is nothing to cancel', async () => {
    const path = await built()
    const served = await serve({ path })
    const [job] = withStoreRead(path, (s) => s.jobs('orders', { state: 'waiting', limit: 1, afterId: 0 }, Date.now()))
    const res = await action(served, `/api/jobs/${job!.id}/cancel`)
    expect(await res.json()).toEqual({ ok: true, count: 1, message: `Cancelled job ${job!.id}` })
    expect(withStoreRead(path, (s) => s.job(job!.id, Date.now())?.state)).toBe('cancelled')
    const again = (await (await action(served, `/api/jobs/${job!.id}/cancel`)).json()) as { count: number }
    expect(again.count).toBe(0)
    const page = (await (await read(served, `/api/jobs/${job!.id}`)).json()) as { job: { state: string } }
    expect(page.job.state).toBe('cancelled')
    expect((await action(served, '/api/jobs/abc/cancel')).status).toBe(400)
  })

  it('runs a schedule now: its message is enqueued at once, its next slot stays', async () => {
    const path = await built()
    const served = await serve({ path })
    const before = (await (await read(served, '/api/overview')).json()) as { schedules: Array<{ name: string; nextRunAt: number; channel: string }> }
    expect(before.schedules).toMatchObject([{ name: 'nightly-report', channel: 'reports' }])
    const res = await action(served, '/api/schedules/nightly-report/run')
    expect(res.status).toBe(200)
    const store = openSqliteStore({ path, readonly: true })
    try {
      const [job] = store.jobs('reports', { limit: 10, afterId: 0 }, Date.now())
      expect(job).toMatchObject({ state: 'waiting' })
      expect(job!.runAt).toBeLessThanOrEqual(Date.now())
      expect(store.listSchedules()[0]!.nextRunAt).toBe(before.schedules[0]!.nextRunAt)
    } finally {
      store.close()
    }
    expect((await action(served, '/api/schedules/nope/run')).status).toBe(404)
  })

  it('read-only refuses every action with 403 (token and origin right), and opens the file readonly', async () => {
    const path = await built()
    const served = await serve({ path }, { readOnly: true })
    for (const [route, body] of [['/api/channels/orders/pause', {}], ['/api/channels/emails/replay', { all: true }], ['/api/channels/emails/purge', { all: true, confirm: true }], ['/api/jobs/1/cancel', {}], ['/api/schedules/nightly-report/run', {}]] as const) {
      const res = await action(served, route, body)
      expect(res.status).toBe(403)
    }
    expect(paused(path, 'orders')).toBe(false)
    expect(deadIds(path, 'emails')).toHaveLength(2)
    const session = (await (await read(served, '/api/session')).json()) as { readOnly: boolean }
    expect(session.readOnly).toBe(true)
  })

  it('over a broker, through its own API: a replayed letter is delivered by that broker at once', async () => {
    const broker = createBroker({ path: file('broker.db') })
    try {
      broker.channel('work', { durable: true, maxAttempts: 1 })
      let fail = true
      const seen: unknown[] = []
      let delivered!: () => void
      const again = new Promise<void>((resolve) => (delivered = resolve))
      broker.ipcMain.on('work', (_event, arg) => {
        seen.push(arg)
        if (fail) throw new Error('first time')
        delivered()
      })
      broker.enqueue('work', ['w1'])
      await expect.poll(() => broker.channel('work').stats().dead).toBe(1)
      const served = await serve({ broker })
      fail = false
      const res = await action(served, '/api/channels/work/replay', { all: true })
      expect(res.status).toBe(200)
      await again // no poll interval to wait for: the broker's consumer was woken
      expect(seen).toEqual(['w1', 'w1'])
      expect((await action(served, '/api/channels/work/pause')).status).toBe(200)
      expect(broker.channel('work').isPaused()).toBe(true)
    } finally {
      await broker.close()
    }
  })
})

describe('errors', () => {
  it('answer a code and a message, never a stack', async () => {
    const served = await serve({ path: await built() })
    for (const route of ['/api/jobs/999999', '/api/jobs/abc', '/api/channels/orders?state=nope', '/api/channels/orders?cursor=zzz', '/api/channels/nope']) {
      const res = await read(served, route)
      expect(res.status).toBeGreaterThanOrEqual(400)
      const text = await res.text()
      expect(JSON.parse(text)).toMatchObject({ error: { code: expect.stringMatching(/^ERR_/), message: expect.any(String) } })
      expect(text).not.toMatch(/\bat .*\.(ts|js):\d+/)
    }
  })

  it('a board over a closed broker answers 503', async () => {
    const broker = createBroker({ path: file('closing.db') })
    broker.channel('x', { durable: true })
    const served = await serve({ broker })
    expect((await read(served, '/api/overview')).status).toBe(200)
    await broker.close()
    const res = await read(served, '/api/overview')
    expect(res.status).toBe(503)
    expect(await res.text()).not.toMatch(/\bat .*\.(ts|js):\d+/)
  })
})

describe('under a prefix', () => {
  it("with basePath: '/board' redirects to the directory, keeps the cookie to it, and serves the API below it", async () => {
    const served = await serve({ path: await built() }, { basePath: '/board' })
    expect(served.url).toBe(`${served.origin}/board/?token=${TOKEN}`)
    const bare = await fetch(`${served.origin}/board`, { redirect: 'manual' })
    expect([bare.status, bare.headers.get('location')]).toEqual([308, '/board/'])
    const opened = await fetch(served.url, { redirect: 'manual' })
    expect(opened.headers.get('location')).toBe('/board/')
    expect(opened.headers.get('set-cookie')).toMatch(/Path=\/board\/;/)
    expect((await read(served, '/board/api/overview')).status).toBe(200)
    expect((await action(served, '/board/api/channels/orders/pause')).status).toBe(200)
  })

  it('mounted by a framework that strips the prefix (originalUrl, as Express does)', async () => {
    const board = createBoard({ path: await built() }, { token: TOKEN })
    const server = createServer((req, res) => {
      const original = req.url ?? '/'
      if (!original.startsWith('/admin/queues')) return void res.writeHead(404).end()
      Object.assign(req, { originalUrl: original, url: original.slice('/admin/queues'.length) || '/' })
      board.handler(req, res)
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const address = server.address()
    const origin = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
    try {
      const bare = await fetch(`${origin}/admin/queues`, { redirect: 'manual' })
      expect([bare.status, bare.headers.get('location')]).toEqual([308, '/admin/queues/'])
      const opened = await fetch(`${origin}/admin/queues/?token=${TOKEN}`, { redirect: 'manual' })
      expect(opened.headers.get('location')).toBe('/admin/queues/')
      expect(opened.headers.get('set-cookie')).toMatch(/Path=\/admin\/queues\/;/)
      expect((await fetch(`${origin}/admin/queues/api/overview`, { headers: { 'x-board-token': TOKEN } })).status).toBe(200)
    } finally {
      board.close()
      server.closeAllConnections()
      server.close()
    }
  })
})

describe('/metrics', () => {
  it("is Prometheus' text format: HELP and TYPE per family, one sample per channel, labels escaped", async () => {
    const path = await built()
    const broker = createBroker({ path })
    broker.channel('we"ird\\name', { durable: true })
    broker.enqueue('we"ird\\name', [1])
    await broker.close()
    const served = await serve({ path })
    const res = await fetch(`${served.origin}/metrics`) // no token: scrapers read it
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    const text = await res.text()
    expect(text.endsWith('\n')).toBe(true)
    const lines = text.trimEnd().split('\n')
    const sample = /^([a-z_]+)(\{[a-z_]+="(?:[^"\\\n]|\\["\\n])*"(?:,[a-z_]+="(?:[^"\\\n]|\\["\\n])*")*\})? (-?\d+(?:\.\d+)?(?:e[+-]?\d+)?|NaN|[+-]Inf)$/
    const typed = new Set<string>()
    for (const line of lines) {
      if (line.startsWith('# HELP ')) continue
      const type = /^# TYPE ([a-z_]+) (gauge|counter)$/.exec(line)
      if (type) {
        typed.add(type[1]!)
        continue
      }
      const match = sample.exec(line)
      expect(match, line).not.toBeNull()
      expect(typed.has(match![1]!), `${match![1]} has a TYPE line before its samples`).toBe(true)
    }
    expect(lines).toContain('durable_ipc_ready{channel="orders"} 7')
    expect(lines).toContain('durable_ipc_delayed{channel="orders"} 3')
    expect(lines).toContain('durable_ipc_dead{channel="emails"} 2')
    expect(lines).toContain('durable_ipc_paused{channel="reports"} 1')
    expect(lines).toContain('durable_ipc_ready{channel="we\\"ird\\\\name"} 1')
    expect(lines).toContain('# TYPE durable_ipc_delivered_total counter')
  })

  it('needs the token when configured so', async () => {
    const served = await serve({ path: await built() }, { metricsNeedToken: true })
    expect((await fetch(`${served.origin}/metrics`)).status).toBe(401)
    expect((await read(served, '/metrics')).status).toBe(200)
  })
})
