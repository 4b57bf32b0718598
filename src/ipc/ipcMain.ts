// ipcMain: Node's EventEmitter whose event names are channels, plus Electron's invoke handlers.
// Each listener and each handler runs in its own actor, created when it is added and stopped when
// it is removed; messages reach them as events, never through `emit`.
import type { EventEmitter } from 'node:events'
import type { InspectionEvent } from 'xstate'
import { HandlerExistsError } from '../errors.js'
import { startListenerActor } from '../actors/listenerActor.js'
import type { CallOutcome, ListenerActor } from '../actors/listenerActor.js'
import { ListenerEmitter } from './listenerEmitter.js'
import { assertChannel, assertFunction } from './validation.js'
import type { ChannelMap, IpcMain } from '../types.js'

// Node's own listener type, so the overrides stay assignable to the typed public interface, IpcMain<C>.
type Listener = Parameters<EventEmitter['on']>[1]

interface HandlerEntry {
  fn: Listener
  actor: ListenerActor
  once: boolean
}

export interface IpcMainHooks {
  inspect?: ((event: InspectionEvent) => void) | undefined
  /** A listener threw or rejected. */
  onListenerError: (error: unknown, channel: string) => void
  /** The listeners of a channel changed (durable channels start or stop consuming on this). */
  onListenersChanged?: (channel: string) => void
}

// Loose on purpose: it takes any listener on any channel, so it is every map's IpcMain<C> at once
// (the broker checks that for its own C); checked here against the map without `any` in it.
export class IpcMainImpl extends ListenerEmitter implements IpcMain<ChannelMap> {
  readonly #hooks: IpcMainHooks
  /** channel -> raw listener (a once wrapper for once) -> its actors, one per registration. */
  readonly #actors = new Map<string | symbol, Map<Listener, ListenerActor[]>>()
  readonly #handlers = new Map<string, HandlerEntry>()

  constructor(hooks: IpcMainHooks) {
    super()
    this.#hooks = hooks
  }

  protected override listenersChanged(channel: string | symbol): void {
    this.#reconcile(channel)
  }

  handle(channel: string, handler: Listener): void {
    this.#addHandler(channel, handler, false)
  }

  handleOnce(channel: string, handler: Listener): void {
    this.#addHandler(channel, handler, true)
  }

  removeHandler(channel: string): void {
    const entry = this.#handlers.get(channel)
    if (!entry) return
    this.#handlers.delete(channel)
    stopSoon(entry.actor)
    this.#hooks.onListenersChanged?.(channel)
  }

  /** True when `channel` has at least one listener (not counting handlers). */
  hasListeners(channel: string): boolean {
    return this.listenerCount(channel) > 0
  }

  /**
   * Delivers one message to every listener registered now, in order, all sharing `event` and
   * `args`. With `settle`, it gets one outcome per listener (durable acknowledgement).
   * Returns how many listeners it reached.
   */
  deliver(channel: string, event: unknown, args: readonly unknown[], settle?: (outcome: CallOutcome) => void): number {
    const listeners = this.rawListeners(channel) as Listener[]
    const byFn = this.#actors.get(channel)
    if (!byFn || listeners.length === 0) return 0
    const callArgs = [event, ...args]
    const message = settle ? { type: 'deliver' as const, args: callArgs, settle } : { type: 'deliver' as const, args: callArgs }
    if (listeners.length === 1) {
      byFn.get(listeners[0]!)?.[0]?.send(message)
      return 1
    }
    // Actors are looked up before any call: a listener removed by an earlier one is still called
    // for this message, as EventEmitter's emit does.
    const actors = listeners.map((fn) => byFn.get(fn)?.[0])
    for (const actor of actors) actor?.send(message)
    return listeners.length
  }

  /** Calls the handler of `channel`; false when there is none. */
  invokeHandler(channel: string, event: unknown, args: readonly unknown[], settle: (outcome: CallOutcome) => void): boolean {
    const entry = this.#handlers.get(channel)
    if (!entry) return false
    if (entry.once) this.removeHandler(channel)
    entry.actor.send({ type: 'deliver', args: [event, ...args], settle })
    return true
  }

  hasHandler(channel: string): boolean {
    return this.#handlers.has(channel)
  }

  /** Stops every actor (broker close). Listeners stay registered, as on Electron's ipcMain. */
  stopActors(): void {
    for (const byFn of this.#actors.values()) for (const actors of byFn.values()) for (const a of actors) a.stop()
    this.#actors.clear()
    for (const entry of this.#handlers.values()) entry.actor.stop()
    this.#handlers.clear()
  }

  #addHandler(channel: string, handler: unknown, once: boolean): void {
    assertChannel(channel)
    if (this.#handlers.has(channel)) throw new HandlerExistsError(channel)
    assertFunction(handler, 'handler')
    const actor = startListenerActor(
      { fn: handler, thisArg: undefined, onError: (error) => this.#hooks.onListenerError(error, channel) },
      this.#hooks.inspect,
    )
    this.#handlers.set(channel, { fn: handler, actor, once })
    this.#hooks.onListenersChanged?.(channel)
  }

  // Makes the actors of `channel` match its listener list: one actor per registration.
  #reconcile(channel: string | symbol): void {
    const listeners = this.rawListeners(channel) as Listener[]
    let byFn = this.#actors.get(channel)
    const wanted = new Map<Listener, number>()
    for (const fn of listeners) wanted.set(fn, (wanted.get(fn) ?? 0) + 1)
    if (!byFn) {
      if (listeners.length === 0) return
      byFn = new Map()
      this.#actors.set(channel, byFn)
    }
    for (const [fn, actors] of byFn) {
      const keep = wanted.get(fn) ?? 0
      // Stopped after the current delivery: EventEmitter still calls a listener removed mid-emit.
      while (actors.length > keep) stopSoon(actors.pop()!)
      if (actors.length === 0) byFn.delete(fn)
    }
    const label = typeof channel === 'string' ? channel : String(channel)
    for (const [fn, count] of wanted) {
      const actors = byFn.get(fn) ?? []
      while (actors.length < count) {
        actors.push(startListenerActor({ fn, thisArg: this, onError: (error) => this.#hooks.onListenerError(error, label) }, this.#hooks.inspect))
      }
      byFn.set(fn, actors)
    }
    if (byFn.size === 0) this.#actors.delete(channel)
    if (typeof channel === 'string') this.#hooks.onListenersChanged?.(channel)
  }
}

function stopSoon(actor: ListenerActor): void {
  queueMicrotask(() => actor.stop())
}
