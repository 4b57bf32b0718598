// createBroker: the main side (ipcMain), its renderers, and the error reporting that keeps a
// throwing listener from taking the process down.
import { EventEmitter } from 'node:events'
import type { InspectionEvent } from 'xstate'
import { BrokerClosedError, InvalidArgumentError } from '../errors.js'
import { IpcMainImpl } from './ipcMain.js'
import { InProcessRenderer } from './renderer.js'
import { Router } from './router.js'
import type { BrokerOptions, ChannelMap, IpcMain, Renderer, RendererOptions, UntypedChannels } from './types.js'
import { assertOptionalMs } from './validation.js'

/**
 * The broker: one main side and its renderers.
 *
 * @example
 * const broker = createBroker()
 * broker.ipcMain.on('ping', (event) => event.reply('pong'))
 * const win = broker.createRenderer({ id: 'window-1' })
 * win.ipcRenderer.send('ping')
 */
export interface Broker<C extends ChannelMap = UntypedChannels> extends EventEmitter {
  readonly ipcMain: IpcMain<C>
  /** Creates an in-process renderer endpoint. */
  createRenderer(options?: RendererOptions): Renderer<C>
  /** Stops delivering, closes every renderer, and releases the broker's resources. */
  close(): Promise<void>
}

export interface FullBrokerOptions extends BrokerOptions {
  /** Passed to every actor the broker starts (XState's inspection API). */
  inspect?: ((event: InspectionEvent) => void) | undefined
}

class BrokerImpl extends EventEmitter {
  readonly ipcMain: IpcMainImpl
  readonly #router: Router
  readonly #renderers = new Map<string, InProcessRenderer>()
  readonly #options: FullBrokerOptions
  #closed = false

  constructor(options: FullBrokerOptions) {
    super()
    this.#options = options
    this.ipcMain = new IpcMainImpl({
      inspect: options.inspect,
      onListenerError: (error, channel) => this.reportError(error, channel),
    })
    this.#router = new Router(this.ipcMain)
  }

  createRenderer(options: RendererOptions = {}): InProcessRenderer {
    if (this.#closed) throw new BrokerClosedError()
    if (options.id !== undefined && (typeof options.id !== 'string' || options.id.length === 0)) {
      throw new InvalidArgumentError(`Expected renderer id to be a non-empty string, but found ${typeof options.id === 'string' ? 'an empty string' : `type '${typeof options.id}'`}`)
    }
    if (options.allow !== undefined && (!Array.isArray(options.allow) || options.allow.some((c) => typeof c !== 'string'))) {
      throw new InvalidArgumentError('Expected allow to be an array of channel names')
    }
    if (options.id !== undefined && this.#renderers.has(options.id)) {
      throw new InvalidArgumentError(`A renderer with id '${options.id}' is already open`)
    }
    const renderer = new InProcessRenderer(options, {
      router: this.#router,
      invokeTimeoutMs: this.#options.invokeTimeoutMs,
      inspect: this.#options.inspect,
      onListenerError: (error, channel) => this.reportError(error, channel),
      sendDurable: () => false,
      onClosed: (r) => {
        if (this.#renderers.get(r.id) === r) this.#renderers.delete(r.id)
      },
    })
    this.#renderers.set(renderer.id, renderer)
    return renderer
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const renderer of [...this.#renderers.values()]) renderer.close()
    this.ipcMain.stopActors()
  }

  /** A listener's failure: on the broker's 'error' event, or console.error when nobody listens. */
  reportError(error: unknown, channel: string): void {
    if (this.listenerCount('error') > 0) this.emit('error', error, channel)
    else console.error(`durable-ipc: a listener of channel '${channel}' threw:`, error)
  }
}

/**
 * Creates a broker. `Channels` optionally types every channel's arguments and invoke result.
 *
 * @example
 * const broker = createBroker<{ add: { args: [number, number]; result: number } }>()
 * broker.ipcMain.handle('add', (event, a, b) => a + b)
 * await broker.createRenderer().ipcRenderer.invoke('add', 1, 2) // 3
 */
export function createBroker<C extends ChannelMap = UntypedChannels>(options: FullBrokerOptions = {}): Broker<C> {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('Expected options to be an object')
  assertOptionalMs(options.invokeTimeoutMs, 'invokeTimeoutMs')
  return new BrokerImpl(options) as unknown as Broker<C>
}
