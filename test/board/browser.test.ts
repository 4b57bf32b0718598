// The board in a real browser (headless Chromium): the overview shows the counts of a store the
// test built, a click leads to a job's arguments, replay and pause from the page reach the store,
// stored markup shows as characters and runs nothing, a read-only board shows and does no action,
// and a job enqueued by this process appears without a reload (also on a board over a broker, whose
// reads run in the board's reader thread). Saves a screenshot to
// test-results/board.png (ignored by git); UPDATE_SCREENSHOT=1 writes docs/board.png, the README's.

import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { createBroker } from '../../src/index.js'
import type { Broker } from '../../src/index.js'
import { openSqliteStore } from '../../src/store/index.js'
import { launchChromium } from './browser.js'
import { buildStore, serve, tempFiles, XSS_ARG, XSS_ERROR } from './helpers.js'
import type { Served } from './helpers.js'

const file = tempFiles()
const screenshot = fileURLToPath(new URL(process.env.UPDATE_SCREENSHOT === '1' ? '../../docs/board.png' : '../../test-results/board.png', import.meta.url))
let browser: Browser

beforeAll(async () => {
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
})

/** A page on a board over a freshly built file; dialogs and page errors are recorded, not hidden. */
async function openBoard(options: { readOnly?: boolean } = {}, broker?: (path: string) => Broker): Promise<{ page: Page; served: Served; path: string; dialogs: string[]; errors: string[] }> {
  const path = file('app.db')
  await buildStore(path)
  const served = await serve(broker === undefined ? { path } : { broker: broker(path) }, options)
  const context = await browser.newContext({ viewport: { width: 1200, height: 760 } })
  const page = await context.newPage()
  const dialogs: string[] = []
  const errors: string[] = []
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message())
    void dialog.accept()
  })
  page.on('pageerror', (err) => errors.push(err.message))
  await page.goto(served.url)
  await page.waitForSelector('#channels')
  return { page, served, path, dialogs, errors }
}

function withStore<T>(path: string, read: (store: ReturnType<typeof openSqliteStore>) => T): T {
  const store = openSqliteStore({ path, readonly: true })
  try {
    return read(store)
  } finally {
    store.close()
  }
}

/** What the tests read of the page's globals (the test files are typed without the DOM library). */
interface InPage {
  __xss?: unknown
  marker?: number
  document: { querySelectorAll(selector: string): { length: number }; scripts: { length: number } }
}

const cell = (page: Page, channel: string, col: string) => page.locator(`#channels tr[data-channel="${channel}"] td[data-col="${col}"]`)

describe('the board in Chromium', () => {
  it('shows the counts of the store on the overview', async () => {
    const { page, errors } = await openBoard()
    expect(await cell(page, 'orders', 'ready').textContent()).toBe('7')
    expect(await cell(page, 'orders', 'delayed').textContent()).toBe('3')
    expect(await cell(page, 'orders', 'active').textContent()).toBe('0')
    expect(await cell(page, 'emails', 'dead').textContent()).toBe('2')
    expect(await page.locator('#channels tr[data-channel="reports"] .badge.paused').count()).toBe(1)
    expect(await page.locator('#channels tr[data-channel="orders"] .badge.paused').count()).toBe(0)
    expect(page.url()).not.toContain('token=') // it became a cookie
    await page.screenshot({ path: screenshot })
    expect(errors).toEqual([])
  })

  it('clicks through to a job, shows its arguments, and cancels it after asking', async () => {
    const { page, path, dialogs } = await openBoard()
    await page.click('#channels a:text-is("orders")')
    await page.waitForSelector('#jobs')
    // Waiting in claim order: priority 2 first, then FIFO.
    const first = page.locator('#jobs tbody tr').first()
    expect(await first.locator('td').nth(1).textContent()).toBe('2')
    await first.locator('a').click()
    await page.waitForSelector('#args')
    expect(JSON.parse((await page.locator('#args').textContent())!)).toEqual([{ order: 2 }])
    expect(await page.locator('#job-state').textContent()).toBe('waiting')
    const id = Number((await page.locator('h1').textContent())!.match(/Job (\d+)/)![1])
    await page.click('button[data-action="cancel"]')
    await page.waitForSelector('#job-state:text-is("cancelled")')
    expect(dialogs).toEqual([`Cancel job ${id}?`])
    expect(withStore(path, (s) => s.job(id, Date.now())?.state)).toBe('cancelled')
  })

  it('replays a dead letter and pauses a channel from the page, and the store has it', async () => {
    const { page, path } = await openBoard()
    const [firstDead, secondDead] = withStore(path, (s) => s.deadLetters('emails').map((d) => d.id))
    await page.goto(`${page.url().split('#')[0]}#/channels/emails?state=dead`)
    await page.waitForSelector(`#jobs tr[data-job="${firstDead}"]`)
    await page.click(`#jobs tr[data-job="${firstDead}"] button[data-action="replay"]`)
    await page.waitForSelector(`#jobs tr[data-job="${firstDead}"]`, { state: 'detached' })
    expect(withStore(path, (s) => s.deadLetters('emails').map((d) => d.id))).toEqual([secondDead])
    expect(withStore(path, (s) => s.job(firstDead!, Date.now())?.state)).toBe('waiting')

    await page.click('a:text-is("Overview")')
    await page.click('#channels tr[data-channel="orders"] button[data-action="pause"]')
    await page.waitForSelector('#channels tr[data-channel="orders"] .badge.paused')
    expect(withStore(path, (s) => s.isPaused('orders'))).toBe(true)
  })

  it('shows stored markup as characters: no dialog, no element made from it, no script run', async () => {
    const { page, dialogs, errors } = await openBoard()
    await page.click('#channels a:text-is("orders")')
    await page.waitForSelector('#jobs')
    const argsCells = await page.locator('#jobs td[data-col="args"]').allTextContents()
    expect(argsCells.some((t) => t.includes('<img src=x onerror='))).toBe(true)
    await page.fill('input[name="q"]', 'xss')
    await page.click('form.lookup button')
    await page.waitForSelector('#args')
    expect(JSON.parse((await page.locator('#args').textContent())!)).toEqual([{ note: XSS_ARG }])

    await page.goto(`${page.url().split('#')[0]}#/channels/emails?state=dead`)
    await page.waitForSelector('#jobs')
    expect(await page.locator('#jobs td[data-col="error"]').first().textContent()).toBe(`Error: ${XSS_ERROR}`)
    await page.locator('#jobs a').first().click()
    await page.waitForSelector('#last-error')
    expect(await page.locator('#last-error').textContent()).toContain(`Error: ${XSS_ERROR}\n    at `)

    const found = await page.evaluate(() => {
      const page = globalThis as unknown as InPage
      return { xss: page.__xss, images: page.document.querySelectorAll('main img').length, scripts: page.document.scripts.length }
    })
    expect(found).toEqual({ xss: undefined, images: 0, scripts: 1 })
    expect(dialogs).toEqual([])
    expect(errors).toEqual([])
  })

  it('read-only: shows no action, and the board refuses one sent from the page with 403', async () => {
    const { page, path } = await openBoard({ readOnly: true })
    expect(await page.locator('#mode').textContent()).toBe('read-only')
    expect(await page.locator('[data-action]').count()).toBe(0)
    await page.goto(`${page.url().split('#')[0]}#/channels/emails?state=dead`)
    await page.waitForSelector('#jobs')
    expect(await page.locator('[data-action]').count()).toBe(0)
    const status = await page.evaluate(async () => {
      const { token } = (await (await fetch('api/session')).json()) as { token: string }
      const res = await fetch('api/channels/emails/replay', { method: 'POST', headers: { 'content-type': 'application/json', 'x-board-token': token }, body: '{"all":true}' })
      return res.status
    })
    expect(status).toBe(403)
    expect(withStore(path, (s) => s.deadLetters('emails').length)).toBe(2)
  })

  it('shows a job enqueued by this process without a reload', async () => {
    const { page, path } = await openBoard()
    await page.click('#channels a:text-is("orders")')
    await page.waitForSelector('#jobs')
    await page.evaluate(() => ((globalThis as unknown as InPage).marker = 42))
    const broker = createBroker({ path })
    let id: number
    try {
      broker.channel('orders', { durable: true })
      id = broker.enqueue('orders', [{ live: 'yes' }], { priority: 9 }).id
    } finally {
      await broker.close()
    }
    await page.waitForSelector(`#jobs tbody tr:first-child[data-job="${id}"]`, { timeout: 10_000 })
    expect(await page.locator(`#jobs tr[data-job="${id}"] td[data-col="args"]`).textContent()).toBe('[{"live":"yes"}]')
    expect(await page.locator('.tabs a[data-state="waiting"] .pill').textContent()).toBe('8')
    expect(await page.evaluate(() => (globalThis as unknown as InPage).marker)).toBe(42) // the same document
  })

  it("over a broker (its reads in the board's reader thread): shows a job it enqueues without a reload", async () => {
    let broker: Broker | undefined
    try {
      const { page } = await openBoard({}, (path) => {
        broker = createBroker({ path })
        broker.channel('orders', { durable: true })
        return broker
      })
      await page.click('#channels a:text-is("orders")')
      await page.waitForSelector('#jobs')
      await page.evaluate(() => ((globalThis as unknown as InPage).marker = 7))
      const id = broker!.enqueue('orders', [{ live: 'thread' }], { priority: 9 }).id
      await page.waitForSelector(`#jobs tbody tr:first-child[data-job="${id}"]`, { timeout: 10_000 })
      expect(await page.locator(`#jobs tr[data-job="${id}"] td[data-col="args"]`).textContent()).toBe('[{"live":"thread"}]')
      expect(await page.evaluate(() => (globalThis as unknown as InPage).marker)).toBe(7) // the same document
    } finally {
      await broker?.close()
    }
  })
})
