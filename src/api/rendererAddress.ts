// A renderer addressed by its id, wherever it is open: the webContents the main side gets for an
// id (broker.webContents.fromId, and event.sender of a stored message). A renderer open in this
// broker answers with its own webContents; for any other id a stand-in, whose durable sends go
// into the id's inbox. With postgres that inbox is shared by every node, so the send reaches the
// renderer on whichever node has it open, or waits there until one does.
import { InvalidArgumentError } from '../errors.js'
import { WebContentsImpl } from '../ipc/webContents.js'

/** What the broker offers the addressing: its live renderers, and its durable channels. */
export interface RendererAddressHooks {
  /** The webContents of the renderer with this id open in this broker, if any. */
  live(id: string): WebContentsImpl | undefined
  /** Durable on this store, also when declared by another process (or node) and not learnt yet. */
  knowsDurable(channel: string): boolean
  /** Stores a `webContents.send` in renderer `id`'s durable inbox. */
  sendToInbox(id: string, channel: string, args: readonly unknown[]): void
}

/**
 * The webContents of renderer `id`: the live one if it is open here, else a stand-in that looks
 * the renderer up again on each send (it may have opened here since) and otherwise stores durable
 * sends in its inbox; transient sends to it are dropped, as to a closed renderer. `null` (a message
 * the main side enqueued) gets a stand-in that sends nowhere.
 *
 * @example
 * webContentsFor(hooks, 'window-1').send('notice', { text: 'hi' }) // into window-1's inbox
 */
export function webContentsFor(hooks: RendererAddressHooks, id: string | null): WebContentsImpl {
  if (id === null) return new WebContentsImpl('', { send: () => {}, isDestroyed: () => true })
  const live = hooks.live(id)
  if (live) return live
  return new WebContentsImpl(id, {
    send: (channel, args) => {
      const opened = hooks.live(id)
      if (opened) opened.send(channel, ...args)
      else if (hooks.knowsDurable(channel)) hooks.sendToInbox(id, channel, args)
    },
    isDestroyed: () => hooks.live(id) === undefined,
  })
}

/**
 * Checks the id given to `webContents.fromId`: a non-empty string, as createRenderer takes.
 *
 * @example
 * assertRendererId(7) // InvalidArgumentError: Expected a renderer id (a non-empty string), but found type 'number'
 */
export function assertRendererId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || id.length === 0) {
    throw new InvalidArgumentError(`Expected a renderer id (a non-empty string), but found ${typeof id === 'string' ? 'an empty string' : `type '${typeof id}'`}`)
  }
}
