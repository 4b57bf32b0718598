// ipcRenderer: a renderer's side of IPC. One implementation for every kind of renderer; what
// carries the messages (a function call in-process, a MessagePort from a worker) is a transport.
import type { EventEmitter } from 'node:events'
import { ChannelNotAllowedError, ContextReleasedError } from '../errors.js'
import { ListenerEmitter } from './listenerEmitter.js'
import { assertChannel } from './validation.js'
import type { ArgsOf, ChannelMap, ChannelName, IpcRenderer, ResultOf, UntypedChannels } from '../types.js'

/** What carries one renderer's messages to the main side. Arguments arrive unvalidated and uncloned. */
export interface RendererTransport {
  send(channel: string, args: readonly unknown[]): void
  sendSync(channel: string, args: readonly unknown[]): unknown
  invoke(channel: string, args: readonly unknown[]): Promise<unknown>
}

export interface IpcRendererOptions {
  id: string
  allow?: readonly string[] | undefined
  /** A renderer-side listener threw. */
  onListenerError: (error: unknown, channel: string) => void
  /** The listeners of a channel changed (durable inboxes deliver only to a listening renderer). */
  onListenersChanged?: ((channel: string) => void) | undefined
}

// Node's own listener type, so the overrides stay assignable to the typed public interface.
type Listener = Parameters<EventEmitter['on']>[1]

// Generic in the channel map only for the types it hands out (results, event.sender): at run time
// every renderer is the same, and a map is the application's word for what its channels carry.
export class IpcRendererImpl<C extends ChannelMap = UntypedChannels> extends ListenerEmitter implements IpcRenderer<C> {
  readonly #transport: RendererTransport
  readonly #id: string
  readonly #allow: ReadonlySet<string> | undefined
  readonly #onListenerError: (error: unknown, channel: string) => void
  readonly #onListenersChanged: ((channel: string) => void) | undefined
  #released = false

  constructor(transport: RendererTransport, options: IpcRendererOptions) {
    super()
    this.#transport = transport
    this.#id = options.id
    this.#allow = options.allow ? new Set(options.allow) : undefined
    this.#onListenerError = options.onListenerError
    this.#onListenersChanged = options.onListenersChanged
  }

  protected override listenersChanged(channel: string | symbol): void {
    this.#changed(channel)
  }

  #changed(channel: string | symbol): this {
    if (typeof channel === 'string') this.#onListenersChanged?.(channel)
    return this
  }

  send(channel: string, ...args: readonly unknown[]): void {
    this.#check(channel)
    this.#transport.send(channel, args)
  }

  // The answer comes off the transport as whatever the listener assigned: its type is the map's claim.
  sendSync<K extends ChannelName<C>>(channel: K, ...args: ArgsOf<C, K>): ResultOf<C, K> {
    this.#check(channel)
    return this.#transport.sendSync(channel, args) as ResultOf<C, K>
  }

  invoke<K extends ChannelName<C>>(channel: K, ...args: ArgsOf<C, K>): Promise<ResultOf<C, K>> {
    // Never throws: every failure, a bad channel included, rejects.
    try {
      this.#check(channel)
      return this.#transport.invoke(channel, args) as Promise<ResultOf<C, K>>
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Hands a message from the main side to this renderer's listeners. */
  dispatch(channel: string, args: readonly unknown[]): void {
    if (this.#released) return
    // EventEmitter throws on an unheard 'error'; for IPC it is just a channel nobody listens to.
    if (channel === 'error' && this.listenerCount('error') === 0) return
    const listeners = this.rawListeners(channel) as Listener[]
    if (listeners.length === 0) return
    const event = { sender: this, ports: [] as readonly unknown[] }
    for (const listener of listeners) {
      try {
        listener.call(this, event, ...args)
      } catch (error) {
        this.#onListenerError(error, channel)
      }
    }
  }

  /**
   * Hands a durable message to this renderer's listeners: resolves when every listener returned (or
   * its promise resolved), rejects with the first failure.
   */
  deliverDurable(channel: string, args: readonly unknown[]): Promise<void> {
    try {
      return Promise.resolve(this.deliverDurableInline(channel, args))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * Like deliverDurable, but tells a synchronous outcome at once: undefined when every listener
   * returned a plain value, a promise when one returned a promise; throws what a listener threw.
   */
  deliverDurableInline(channel: string, args: readonly unknown[]): Promise<void> | undefined {
    const listeners = this.rawListeners(channel) as Listener[]
    const event = { sender: this, ports: [] as readonly unknown[] }
    let pending: unknown[] | undefined
    for (const listener of listeners) {
      const result: unknown = listener.call(this, event, ...args)
      if (typeof (result as { then?: unknown } | null)?.then === 'function') (pending ??= []).push(result)
    }
    return pending ? Promise.all(pending).then(() => undefined) : undefined
  }

  /** Marks the context released: every method throws from now on. */
  release(): void {
    this.#released = true
  }

  get released(): boolean {
    return this.#released
  }

  #check(channel: unknown): asserts channel is string {
    if (this.#released) throw new ContextReleasedError()
    assertChannel(channel)
    if (this.#allow && !this.#allow.has(channel)) throw new ChannelNotAllowedError(channel, this.#id)
  }
}
