// webContents: the main side's handle on one renderer, whatever kind it is.
import { assertChannel } from './validation.js'
import type { ChannelMap, WebContents } from '../types.js'

export interface WebContentsSink {
  /** Delivers (or stores, for durable channels) one message; `args` are still the caller's. */
  send(channel: string, args: readonly unknown[]): void
  isDestroyed(): boolean
}

// Loose on purpose: it sends whatever it is given, so it is every map's WebContents<C> at once
// (the broker checks that for its own C); checked here against the map without `any` in it.
export class WebContentsImpl implements WebContents<ChannelMap> {
  readonly id: string
  readonly #sink: WebContentsSink

  constructor(id: string, sink: WebContentsSink) {
    this.id = id
    this.#sink = sink
  }

  send(channel: string, ...args: readonly unknown[]): void {
    assertChannel(channel)
    this.#sink.send(channel, args)
  }

  isDestroyed(): boolean {
    return this.#sink.isDestroyed()
  }
}
