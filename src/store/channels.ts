// Channel declarations and their subscriptions: the persisted config, parsed once per change.

import { UnknownChannelError } from '../errors.js'
import type { Statements } from './statements.js'
import type { ChannelConfig } from './types.js'

/** The subscription every durable channel has: its main-side listeners. */
export const mainSubscription = 'main'

/** Channel operations over the prepared statements; run inside the store's transactions. */
export interface Channels {
  declare(name: string, config: ChannelConfig, now: number): void
  get(name: string): ChannelConfig | undefined
  /** Like get, but throws UnknownChannelError for an undeclared channel. */
  require(name: string): ChannelConfig
  list(): Array<{ name: string; config: ChannelConfig }>
  ensureSubscription(channel: string, subscription: string, now: number): void
}

/**
 * Makes the channel operations of one store. Configs are re-read on every call (another process
 * may have re-declared the channel) but parsed only when their text changes: publish reads one.
 *
 * @example
 * const channels = createChannels(statements)
 * channels.require('jobs').maxAttempts
 */
export function createChannels(s: Statements): Channels {
  const parsed = new Map<string, { text: string; config: ChannelConfig }>()

  const parse = (name: string, text: string): ChannelConfig => {
    const hit = parsed.get(name)
    if (hit !== undefined && hit.text === text) return hit.config
    const config = JSON.parse(text) as ChannelConfig
    parsed.set(name, { text, config })
    return config
  }

  const get = (name: string): ChannelConfig | undefined => {
    const text = s.channelConfig.get({ name })
    return text === undefined ? undefined : parse(name, text)
  }

  const require = (name: string): ChannelConfig => {
    const config = get(name)
    if (config === undefined) throw new UnknownChannelError(name)
    return config
  }

  return {
    declare(name, config, now) {
      s.upsertChannel.run({ name, config: JSON.stringify(config), now })
      s.insertSubscription.run({ channel: name, name: mainSubscription, now })
    },
    get,
    require,
    list: () => s.channels.all().map((row) => ({ name: row.name, config: parse(row.name, row.config) })),
    ensureSubscription(channel, subscription, now) {
      require(channel)
      s.insertSubscription.run({ channel, name: subscription, now })
    },
  }
}
