// An EventEmitter that hears of every change to its listeners: ipcMain keeps one listener actor
// per registration, ipcRenderer tells durable inboxes whether it listens. EventEmitter's own
// methods do the bookkeeping; each override then reports the channel.
import { EventEmitter } from 'node:events'

type Listener = Parameters<EventEmitter['on']>[1]

export abstract class ListenerEmitter extends EventEmitter {
  /** Called after the listeners of `channel` changed (added, removed, all removed). */
  protected abstract listenersChanged(channel: string | symbol): void

  // once/prependOnceListener go through on/prependListener; off is removeListener.
  override addListener(channel: string | symbol, listener: Listener): this {
    super.addListener(channel, listener)
    this.listenersChanged(channel)
    return this
  }
  override on(channel: string | symbol, listener: Listener): this {
    return this.addListener(channel, listener)
  }
  override prependListener(channel: string | symbol, listener: Listener): this {
    super.prependListener(channel, listener)
    this.listenersChanged(channel)
    return this
  }
  override removeListener(channel: string | symbol, listener: Listener): this {
    super.removeListener(channel, listener)
    this.listenersChanged(channel)
    return this
  }
  override off(channel: string | symbol, listener: Listener): this {
    return this.removeListener(channel, listener)
  }
  override removeAllListeners(channel?: string | symbol): this {
    const channels = channel === undefined ? this.eventNames() : [channel]
    if (channel === undefined) super.removeAllListeners()
    else super.removeAllListeners(channel)
    for (const ch of channels) this.listenersChanged(ch)
    return this
  }
}
