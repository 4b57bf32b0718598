// webContents: the main side's handle on one renderer, whatever kind it is.
import { assertChannel } from './validation.js'
import type { WebContents } from '../types.js'

export interface WebContentsSink {
  /** Delivers (or stores, for durable channels) one message; `args` are still the caller's. */
  send(channel: string, args: unknown[]): void
  isDestroyed(): boolean
}

export class WebContentsImpl implements WebContents {
  readonly id: string
  readonly #sink: WebContentsSink

  constructor(id: string, sink: WebContentsSink) {
    this.id = id
    this.#sink = sink
  }

  send(channel: string, ...args: unknown[]): void {
    assertChannel(channel)
    this.#sink.send(channel, args)
  }

  isDestroyed(): boolean {
    return this.#sink.isDestroyed()
  }
}
