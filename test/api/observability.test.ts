// What operators see from code: broker.stats(), the XState inspection hook on every kind of actor,
// and the diagnostics_channel events of durable messages.

import diagnosticsChannel from 'node:diagnostics_channel'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { InspectionEvent } from 'xstate'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { diagnosticChannels } from '../../src/index.js'
import type { DeliveryDiagnostic, FailureDiagnostic, PublishDiagnostic } from '../../src/index.js'
import { closeBrokers, deferred, flushToMain, newBroker, nextMessage } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'durable-ipc-observability-'))
let files = 0
const dbFile = (): string => join(dir, `${++files}.db`)

afterEach(closeBrokers)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('broker.stats()', () => {
  it('counts a durable channel: ready, delayed, dead, oldest age, delivered and failed since open', async () => {
    const broker = newBroker({ path: dbFile() })
    broker.channel('jobs', { durable: true, maxAttempts: 1 })
    broker.enqueue('jobs', ['a'])
    broker.enqueue('jobs', ['b'])
    broker.enqueue('jobs', ['later'], { delayMs: 60_000 })

    const before = broker.stats()
    expect(before.durable['jobs']).toMatchObject({ ready: 2, delayed: 1, inFlight: 0, dead: 0, delivered: 0, failed: 0 })
    expect(before.durable['jobs']?.oldestAgeMs).toBeGreaterThanOrEqual(0)
    expect(before.at).toBeLessThanOrEqual(Date.now())

    const seen: unknown[] = []
    const done = deferred()
    broker.ipcMain.on('jobs', (_event, job) => {
      seen.push(job)
      if (seen.length === 2) done.resolve()
      if (job === 'b') throw new Error('b fails')
    })
    await done.promise
    await expect.poll(() => broker.stats().durable['jobs']).toMatchObject({ ready: 0, delayed: 1, inFlight: 0, dead: 1, delivered: 1, failed: 1 })
    expect(broker.stats().durable['jobs']?.subscriptions['main']).toEqual({ ready: 0, delayed: 1, inFlight: 0, dead: 1 })
  })

  it('reports a durable channel declared by an earlier run, before any listener', async () => {
    const path = dbFile()
    const first = newBroker({ path })
    first.channel('jobs', { durable: true })
    first.enqueue('jobs', [1])
    await first.close()
    const second = newBroker({ path })
    expect(second.stats().durable['jobs']).toMatchObject({ ready: 1, delivered: 0, failed: 0 })
  })

  it('gives each renderer inbox its depth, and says whether that renderer is open', async () => {
    const broker = newBroker({ path: dbFile() })
    broker.channel('notice', { durable: true })
    const win = broker.createRenderer({ id: 'window-1' })
    win.webContents.send('notice', 1)
    win.webContents.send('notice', 2)
    expect(broker.stats().renderers['window-1']).toEqual({ depth: 2, channels: { notice: 2 }, open: true })
    win.close()
    expect(broker.stats().renderers['window-1']).toMatchObject({ depth: 2, open: false })
    expect(broker.stats().durable['notice']?.subscriptions['renderer:window-1']).toMatchObject({ ready: 2 })
  })

  it('lists transient channels with listeners or a handler, and forgets them once they have none', () => {
    const broker = newBroker()
    const listener = (): void => {}
    broker.ipcMain.on('ping', listener)
    broker.ipcMain.on('ping', () => {})
    broker.ipcMain.handle('add', () => 3)
    expect(broker.stats()).toMatchObject({
      durable: {},
      renderers: {},
      transient: { ping: { listeners: 2, handler: false }, add: { listeners: 0, handler: true } },
    })
    broker.ipcMain.removeAllListeners('ping')
    broker.ipcMain.removeHandler('add')
    expect(broker.stats().transient).toEqual({})
  })
})

/** What kind of durable-ipc actor an inspection event is about, from its logic. */
function kindOf(event: InspectionEvent): string {
  const src = (event.actorRef as unknown as { src?: unknown }).src
  if (typeof src === 'string') return src // spawned by a machine, named in its setup (the consumers)
  if (typeof src === 'object' && src !== null && typeof (src as { id?: unknown }).id === 'string') return (src as { id: string }).id
  return 'callback' // listener and handler actors are callback actors
}

describe('createBroker({ inspect })', () => {
  it('reaches listener, handler, renderer, consumer and worker renderer actors', async () => {
    const events: InspectionEvent[] = []
    const broker = newBroker({ path: dbFile(), inspect: (event) => events.push(event) })
    const kinds = (type: InspectionEvent['type']): Set<string> => new Set(events.filter((e) => e.type === type).map(kindOf))

    broker.ipcMain.on('ping', () => {})
    broker.ipcMain.handle('add', (_event, a: number, b: number) => a + b)
    const win = broker.createRenderer({ id: 'window-1' })
    broker.channel('jobs', { durable: true })
    const handled = nextMessage(broker.ipcMain, 'jobs')
    broker.enqueue('jobs', [1])
    await handled
    // Published while its consumer is idle: handed to it at publish, through its idle deliverer.
    const handedOver = nextMessage(broker.ipcMain, 'jobs')
    broker.enqueue('jobs', [2])
    await handedOver
    await expect(win.ipcRenderer.invoke('add', 1, 2)).resolves.toBe(3)
    win.ipcRenderer.send('ping')
    await flushToMain(broker, win)
    win.webContents.send('hello')
    const worker = broker.spawnRenderer(new URL('data:text/javascript,'))

    expect(kinds('@xstate.actor')).toEqual(new Set(['callback', 'renderer', 'consumerPool', 'consumer', 'handedDeliverer', 'storeWatch', 'housekeeping', 'scheduler', 'workerRenderer']))
    // Events reach each kind too: deliveries to listeners, messages to renderers, wake-ups to consumers.
    const received = (kind: string): string[] => events.filter((e) => e.type === '@xstate.event' && kindOf(e) === kind).map((e) => (e as { event: { type: string } }).event.type)
    expect(received('callback')).toContain('deliver')
    await expect.poll(() => received('renderer')).toContain('message')
    expect(received('consumer')).toContain('xstate.init')
    expect(received('handedDeliverer')).toContain('handed')
    expect(received('workerRenderer')).toContain('xstate.init')
    expect(received('storeWatch')).toContain('idle')
    expect(received('scheduler')).toContain('xstate.init')
    await worker.terminate()
  })
})

describe('diagnostics_channel', () => {
  const names = Object.values(diagnosticChannels)
  let got: Array<{ name: string; message: unknown }> = []
  const onMessage = (message: unknown, name: string | symbol): void => void got.push({ name: String(name), message })
  const subscribe = (): void => {
    got = []
    for (const name of names) diagnosticsChannel.subscribe(name, onMessage)
  }
  afterEach(() => {
    for (const name of names) diagnosticsChannel.unsubscribe(name, onMessage)
  })

  it('uses the documented channel names', () => {
    expect(diagnosticChannels).toEqual({
      publish: 'durable-ipc:publish',
      deliver: 'durable-ipc:deliver',
      ack: 'durable-ipc:ack',
      retry: 'durable-ipc:retry',
      deadLetter: 'durable-ipc:dead-letter',
    })
  })

  it('traces publish, deliver, retry, ack and dead-letter of durable messages', async () => {
    subscribe()
    const broker = newBroker({ path: dbFile() })
    broker.channel('jobs', { durable: true, maxAttempts: 2, backoff: { initialMs: 1, maxMs: 1 } })
    const { id: okId } = broker.enqueue('jobs', ['flaky'], { key: 'k1' })
    const { id: deadId } = broker.enqueue('jobs', ['doomed'])
    let flakyFailed = false
    broker.ipcMain.on('jobs', (_event, job) => {
      if (job === 'doomed') throw new Error('always fails')
      if (!flakyFailed) {
        flakyFailed = true
        throw new Error('fails once')
      }
    })
    await expect.poll(() => got.filter((g) => g.name === 'durable-ipc:dead-letter').length).toBe(1)
    await expect.poll(() => got.filter((g) => g.name === 'durable-ipc:ack').length).toBe(1)

    const of = (id: number): string[] => got.filter((g) => (g.message as { id: number }).id === id).map((g) => g.name)
    expect(of(okId)).toEqual(['durable-ipc:publish', 'durable-ipc:deliver', 'durable-ipc:retry', 'durable-ipc:deliver', 'durable-ipc:ack'])
    expect(of(deadId)).toEqual(['durable-ipc:publish', 'durable-ipc:deliver', 'durable-ipc:retry', 'durable-ipc:deliver', 'durable-ipc:dead-letter'])

    const publish = got.find((g) => g.name === 'durable-ipc:publish')!.message as PublishDiagnostic
    expect(publish).toMatchObject({ channel: 'jobs', subscription: undefined, id: okId, duplicate: false, kind: 'message', key: 'k1' })
    expect(publish.bytes).toBeGreaterThan(0)
    const ack = got.find((g) => g.name === 'durable-ipc:ack')!.message as DeliveryDiagnostic
    expect(ack).toMatchObject({ channel: 'jobs', subscription: 'main', id: okId, kind: 'message', attempt: 2 })
    const dead = got.find((g) => g.name === 'durable-ipc:dead-letter')!.message as FailureDiagnostic
    expect(dead).toMatchObject({ id: deadId, attempt: 2 })
    expect(dead.error).toBeInstanceOf(Error)
    expect((dead.error as Error).message).toBe('always fails')
  })

  it('traces duplicates, invokes and renderer inbox publishes too', async () => {
    subscribe()
    const broker = newBroker({ path: dbFile() })
    broker.channel('jobs', { durable: true })
    broker.channel('add', { durable: true })
    broker.channel('notice', { durable: true })
    broker.enqueue('jobs', [1], { key: 'same' })
    broker.enqueue('jobs', [2], { key: 'same' })
    const win = broker.createRenderer({ id: 'w1' })
    win.webContents.send('notice', 'hi')
    broker.ipcMain.handle('add', (_event, a: number, b: number) => a + b)
    await expect(win.ipcRenderer.invoke('add', 1, 2)).resolves.toBe(3)

    const publishes = got.filter((g) => g.name === 'durable-ipc:publish').map((g) => g.message as PublishDiagnostic)
    expect(publishes.map((p) => [p.channel, p.subscription, p.kind, p.duplicate])).toEqual([
      ['jobs', undefined, 'message', false],
      ['jobs', undefined, 'message', true],
      ['notice', 'renderer:w1', 'message', false],
      ['add', undefined, 'invoke', false],
    ])
  })

  it('reaches a subscriber that joins after the broker started, and stops when it leaves', async () => {
    const broker = newBroker({ path: dbFile() })
    broker.channel('jobs', { durable: true })
    const first = nextMessage(broker.ipcMain, 'jobs')
    broker.enqueue('jobs', [1])
    await first
    subscribe()
    const second = nextMessage(broker.ipcMain, 'jobs')
    const { id } = broker.enqueue('jobs', [2])
    await second
    await expect.poll(() => got.map((g) => g.name)).toEqual(['durable-ipc:publish', 'durable-ipc:deliver', 'durable-ipc:ack'])
    expect(got.every((g) => (g.message as { id: number }).id === id)).toBe(true)
    for (const name of names) diagnosticsChannel.unsubscribe(name, onMessage)
    const third = nextMessage(broker.ipcMain, 'jobs')
    broker.enqueue('jobs', [3])
    await third
    expect(got).toHaveLength(3)
  })
})
