// Channel declarations and their subscriptions: the persisted config, parsed once per change, and
// what a publish needs (config and fan-out targets), cached while nobody else has written.

import { UnknownChannelError } from '../../errors.js'
import type { Statements } from './statements.js'
import type { ChannelConfig } from '../types.js'
import { configParser } from '../channelConfigText.js'

/** The subscription every durable channel has: its main-side listeners, a fan-out one. */
export const mainSubscription = 'main'

/** What a publish to a channel reads: its config, the subscriptions a plain publish goes to, and whether it is paused. */
export interface PublishPlan {
  config: ChannelConfig
  fanOut: readonly string[]
  /** Read with the plan: a hand-off (publishClaimed) leases nothing on a paused channel. */
  paused: boolean
}

/** Channel operations over the prepared statements; run inside the store's transactions. */
export interface Channels {
  declare(name: string, config: ChannelConfig, now: number): void
  get(name: string): ChannelConfig | undefined
  /** Like get, but throws UnknownChannelError for an undeclared channel. */
  require(name: string): ChannelConfig
  /** A config as stored (text), parsed once per change of its text. */
  parse(name: string, text: string): ChannelConfig
  /** Pauses or resumes a channel; throws UnknownChannelError for an undeclared one. */
  setPaused(name: string, paused: boolean): void
  isPaused(name: string): boolean
  list(): Array<{ name: string; config: ChannelConfig }>
  /** Creates the subscription, or sets its fanOut (throws UnknownChannelError). */
  ensureSubscription(channel: string, subscription: string, fanOut: boolean, now: number): void
  /**
   * The plan of a publish to `name` (throws UnknownChannelError). `cached`: the caller runs in a
   * write transaction of its own, so a cached plan is safe to use when no other connection has
   * committed since it was read (PRAGMA data_version; the write lock keeps it so until commit).
   * Inside an application's transaction it is read afresh: a rollback there could undo a
   * declaration the cache had seen. `version`: the data version the caller read in this
   * transaction already (one read less).
   */
  publishPlan(name: string, cached: boolean, version?: number): PublishPlan
  /**
   * Creates the subscription with `fanOut` if new (an inbox's first message); an existing one keeps
   * its own. Skips the write when known to exist.
   */
  touchSubscription(channel: string, subscription: string, fanOut: boolean, now: number, cached: boolean): void
}

/**
 * Makes the channel operations of one store. Configs are re-read on every call (another process
 * may have re-declared the channel) but parsed only when their text changes; publish plans are
 * cached as described on `publishPlan`, which saves a publish two look-ups.
 *
 * @example
 * const channels = createChannels(statements)
 * channels.require('jobs').maxAttempts
 */
export function createChannels(s: Statements): Channels {
  const plans = new Map<string, PublishPlan>()
  const knownSubscriptions = new Set<string>()
  let cacheVersion: number | null = null

  const parse = configParser()

  const get = (name: string): ChannelConfig | undefined => {
    const text = s.channelConfig.get({ name })
    return text === undefined ? undefined : parse(name, text)
  }

  const require = (name: string): ChannelConfig => {
    const config = get(name)
    if (config === undefined) throw new UnknownChannelError(name)
    return config
  }

  const forget = (): void => {
    plans.clear()
    knownSubscriptions.clear()
    cacheVersion = null
  }
  // True when the cache may be used: it was filled at the data version the file has now.
  const cacheValid = (version: number = s.dataVersion.get() ?? 0): boolean => {
    if (version === cacheVersion) return true
    forget()
    cacheVersion = version
    return false
  }

  return {
    declare(name, config, now) {
      forget()
      s.upsertChannel.run({ name, config: JSON.stringify(config), now })
      s.insertSubscription.run({ channel: name, name: mainSubscription, fanOut: 1, now })
    },
    get,
    require,
    parse,
    setPaused(name, paused) {
      forget()
      if (s.setPaused.run({ channel: name, paused: paused ? 1 : 0 }).changes === 0) throw new UnknownChannelError(name)
    },
    isPaused(name) {
      const state = s.claimState.get({ channel: name })
      if (state === undefined) throw new UnknownChannelError(name)
      return state.paused === 1
    },
    list: () => s.channels.all().map((row) => ({ name: row.name, config: parse(row.name, row.config) })),
    ensureSubscription(channel, subscription, fanOut, now) {
      forget()
      require(channel)
      s.upsertSubscription.run({ channel, name: subscription, fanOut: fanOut ? 1 : 0, now })
    },
    publishPlan(name, cached, version) {
      if (cached && cacheValid(version)) {
        const hit = plans.get(name)
        if (hit !== undefined) return hit
      }
      const state = s.claimState.get({ channel: name })
      if (state === undefined) throw new UnknownChannelError(name)
      const plan = { config: parse(name, state.config), fanOut: s.fanOutSubscriptions.all({ channel: name }), paused: state.paused === 1 }
      if (cached) plans.set(name, plan)
      return plan
    },
    touchSubscription(channel, subscription, fanOut, now, cached) {
      const id = `${channel}\u0000${subscription}`
      if (cached && cacheValid() && knownSubscriptions.has(id)) return
      const created = s.insertSubscription.run({ channel, name: subscription, fanOut: fanOut ? 1 : 0, now }).changes > 0
      // A new fan-out subscription is a target of the channel's next plain publish.
      if (created && fanOut) plans.delete(channel)
      if (cached) knownSubscriptions.add(id)
    },
  }
}
