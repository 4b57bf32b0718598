// Renderer inboxes across nodes (issue 15): brokers with `postgres` (each its own SQLite file, one
// PostgreSQL schema) address a renderer by id, through event.sender of a message it sent or through
// webContents.fromId, and the send reaches it on whichever node has it open, woken by LISTEN/NOTIFY;
// it waits while the renderer is open nowhere and follows it from one node to another.

import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../../src/index.js'
import type { WebContents } from '../../src/index.js'
import { Counter, dbPath, deferred, openBroker, thrown, turns, useDurableFixtures, wait } from './durableHelpers.js'
import type { DurableBroker } from './durableHelpers.js'
import { postgresUrl, useSchemas } from '../support/postgres.js'

describe('renderer inboxes across nodes', () => {
  useDurableFixtures()
  const schema = useSchemas()
  // Nodes of one cluster: each a broker on its own file, all on one fresh schema.
  const cluster = (): (() => DurableBroker) => {
    const shared = schema()
    return () => openBroker({ path: dbPath('node.db'), postgres: { connectionString: postgresUrl(), schema: shared } })
  }
  // The inbox of `id` as a node's stats() shows it: PostgreSQL's counts, the same on every node.
  const inbox = (broker: DurableBroker, id: string) => broker.stats().renderers[id]

  it('delivers a reply through event.sender to the renderer on the node that sent the message', async () => {
    const node = cluster()
    const [a, b] = [node(), node()]
    // Declared on both (a channel declared on one node alone is learnt by the other within a second).
    for (const broker of [a, b]) {
      broker.channel('notice', { durable: true })
      broker.channel('ask', { durable: true })
    }
    // Only a has a listener on 'ask': b's renderer's message is handled there.
    const senders: WebContents[] = []
    a.ipcMain.on('ask', async (event, question: string) => {
      senders.push(event.sender)
      event.sender.send('notice', `answer to ${question}`)
    })
    const win = b.createRenderer({ id: 'w1' })
    const got = new Counter<string>()
    win.ipcRenderer.on('notice', (_event, text: string) => got.push(text))
    win.ipcRenderer.send('ask', 'q1')
    await got.reach(1)
    expect(got.items).toEqual(['answer to q1'])
    // On a, the sender is a stand-in: not open there, but addressable.
    expect(senders[0]).toMatchObject({ id: 'w1' })
    expect(senders[0]!.isDestroyed()).toBe(true)
    await expect.poll(() => inbox(b, 'w1')?.depth).toBe(0)
  })

  it('webContents.fromId reaches the renderer open on another node, and nothing else', async () => {
    const node = cluster()
    const [a, b] = [node(), node()]
    // Declared on b only: a learns it from PostgreSQL at the send instead of taking it for transient.
    b.channel('notice', { durable: true })
    const w1 = b.createRenderer({ id: 'w1' })
    const w2 = b.createRenderer({ id: 'w2' })
    const got1 = new Counter<number>()
    const others = new Counter<string>()
    w1.ipcRenderer.on('notice', (_event, n: number) => got1.push(n))
    w2.ipcRenderer.on('notice', (_event, n: number) => others.push(`w2 ${n}`))
    b.ipcMain.on('notice', (_event, n: number) => others.push(`b main ${n}`))
    const local = b.webContents.fromId('w1')
    expect(local).toBe(w1.webContents)
    const remote = a.webContents.fromId('w1')
    expect(remote.id).toBe('w1')
    expect(remote.isDestroyed()).toBe(true)
    for (const n of [1, 2, 3]) remote.send('notice', n)
    await got1.reach(3)
    expect(got1.items).toEqual([1, 2, 3])
    expect(a.channel('notice')).toBeDefined()
    await expect.poll(() => inbox(a, 'w1')?.depth).toBe(0)
    // w2's inbox and b's main side got none of them (the counts are PostgreSQL's: nothing waits either).
    await turns(20)
    expect(others.items).toEqual([])
    expect(inbox(a, 'w2')).toBeUndefined()
    expect(a.channel('notice').stats()).toMatchObject({ ready: 0, inFlight: 0 })
    // Transient sends reach only a renderer open here: a's stand-in drops them, as for a closed renderer.
    w1.ipcRenderer.on('chat', () => others.push('chat'))
    remote.send('chat', 'hi')
    b.webContents.fromId('w1').send('chat', 'hi')
    await expect.poll(() => others.items).toEqual(['chat'])
  })

  it('refuses a renderer id that is not a non-empty string, and fromId on a closed broker', async () => {
    const a = cluster()()
    for (const id of ['', 7, undefined, null]) {
      const error = thrown(() => a.webContents.fromId(id as string))
      expect(error).toBeInstanceOf(InvalidArgumentError)
      expect(error.code).toBe('ERR_INVALID_ARGUMENT')
    }
    await a.close()
    expect(thrown(() => a.webContents.fromId('w1')).code).toBe('ERR_BROKER_CLOSED')
  })

  it('wakes the idle renderer on the other node by LISTEN/NOTIFY, well under a second', async () => {
    const node = cluster()
    const [a, b] = [node(), node()]
    for (const broker of [a, b]) broker.channel('notice', { durable: true })
    const win = b.createRenderer({ id: 'w1' })
    let arrived = deferred<number>()
    win.ipcRenderer.on('notice', () => arrived.resolve(performance.now()))
    const to = a.webContents.fromId('w1')
    const latencies: number[] = []
    for (let i = 0; i < 12; i++) {
      // Idle long enough that b's consumer sleeps and its store watch polls at its slowest (100 ms).
      // An idle consumer has no timer of its own: only PostgreSQL's notification of a's commit wakes it.
      await wait(250)
      arrived = deferred<number>()
      const sent = performance.now()
      to.send('notice', i)
      latencies.push((await arrived.promise) - sent)
    }
    latencies.sort((x, y) => x - y)
    const median = latencies[latencies.length >> 1]!
    console.log(`cross-node inbox wake-up: median ${median.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms over ${latencies.length}`)
    // Seen: median 90-110 ms here (two brokers on one event loop; b's watch polls the notification
    // count every 100 ms when idle). Broken notifications deliver nothing at all: the test times out.
    expect(median).toBeLessThan(250)
    expect(latencies.at(-1)!).toBeLessThan(2000)
  })

  it('keeps messages while the renderer is open nowhere and delivers them, in order, where it opens next', async () => {
    const node = cluster()
    const [a, b, c] = [node(), node(), node()]
    for (const broker of [a, b, c]) broker.channel('notice', { durable: true })
    const to = a.webContents.fromId('w1')
    const onB = b.createRenderer({ id: 'w1' })
    const gotB = new Counter<string>()
    onB.ipcRenderer.on('notice', (_event, text: string) => gotB.push(text))
    to.send('notice', 'first')
    await gotB.reach(1)
    await expect.poll(() => inbox(a, 'w1')?.depth).toBe(0)
    onB.close()

    for (const text of ['second', 'third']) to.send('notice', text)
    // Every node sees them wait (once forwarded); open is whether the renderer is open in that broker.
    for (const broker of [a, b, c]) {
      await expect.poll(() => inbox(broker, 'w1')).toMatchObject({ depth: 2, channels: { notice: 2 }, open: false })
    }

    const onC = c.createRenderer({ id: 'w1' })
    expect(inbox(c, 'w1')).toMatchObject({ open: true })
    const gotC = new Counter<string>()
    onC.ipcRenderer.on('notice', (_event, text: string) => gotC.push(text))
    await gotC.reach(2)
    expect(gotC.items).toEqual(['second', 'third'])
    expect(gotB.items).toEqual(['first'])
    await expect.poll(() => inbox(a, 'w1')?.depth).toBe(0)
  })

  it('hands a delivery in flight on to the node where the renderer opens next', async () => {
    const node = cluster()
    const [a, b, c] = [node(), node(), node()]
    for (const broker of [a, b, c]) broker.channel('notice', { durable: true })
    const to = a.webContents.fromId('w1')
    const onB = b.createRenderer({ id: 'w1' })
    const started = deferred<void>()
    // b's renderer never finishes the first message: it closes holding it.
    onB.ipcRenderer.on('notice', () => {
      started.resolve()
      return new Promise(() => {})
    })
    to.send('notice', 'x')
    to.send('notice', 'y')
    await started.promise
    const leased = () => a.channel('notice').stats().subscriptions['renderer:w1']
    expect(leased()).toMatchObject({ inFlight: 1, ready: 1 })
    onB.close()
    // Handed back at once (one write), not after leaseMs (30 s): a user moving a window takes longer.
    await expect.poll(leased, { timeout: 2000 }).toMatchObject({ inFlight: 0, ready: 2 })
    const onC = c.createRenderer({ id: 'w1' })
    const gotC = new Counter<string>()
    onC.ipcRenderer.on('notice', (_event, text: string) => gotC.push(text))
    await gotC.reach(2)
    // Handed back at its place in line: x comes first again, on c.
    expect(gotC.items).toEqual(['x', 'y'])
    expect(a.channel('notice').stats()).toMatchObject({ dead: 0 })
  })
})
