// Channel declarations and their subscriptions on PostgreSQL: the persisted config (parsed once per
// change of its text), pause, and what a publish needs (config and fan-out targets, one statement).

import { UnknownChannelError } from '../../errors.js'
import { count, first, rows, run } from './program.js'
import type { Program } from './program.js'
import type { ChannelConfig } from '../types.js'
import { configParser } from '../channelConfigText.js'

/** The subscription every durable channel has: its main-side listeners, a fan-out one. */
export const mainSubscription = 'main'

/** What a publish to a channel reads: its config and the subscriptions a plain publish goes to. */
export interface PublishPlan {
  config: ChannelConfig
  fanOut: readonly string[]
}

const sql = {
  upsertChannel: `INSERT INTO durable_ipc_channels (name, config, created_at) VALUES ($1, $2, $3)
    ON CONFLICT (name) DO UPDATE SET config = excluded.config`,
  insertSubscription: `INSERT INTO durable_ipc_subscriptions (channel, name, fan_out, created_at) VALUES ($1, $2, $3, $4)
    ON CONFLICT DO NOTHING`,
  upsertSubscription: `INSERT INTO durable_ipc_subscriptions (channel, name, fan_out, created_at) VALUES ($1, $2, $3, $4)
    ON CONFLICT (channel, name) DO UPDATE SET fan_out = excluded.fan_out`,
  channelConfig: 'SELECT config FROM durable_ipc_channels WHERE name = $1',
  channels: 'SELECT name, config FROM durable_ipc_channels ORDER BY name COLLATE "C"',
  // The plan of a publish in one look-up: config and fan-out subscriptions (by name, as SQLite orders them).
  publishPlan: `SELECT c.config, ARRAY(SELECT s.name FROM durable_ipc_subscriptions AS s
      WHERE s.channel = c.name AND s.fan_out ORDER BY s.name COLLATE "C") AS fan_out
    FROM durable_ipc_channels AS c WHERE c.name = $1`,
  claimState: 'SELECT paused, config FROM durable_ipc_channels WHERE name = $1',
  setPaused: 'UPDATE durable_ipc_channels SET paused = $2 WHERE name = $1',
} as const

/** A channel row as claims read it. */
export interface ClaimState {
  paused: boolean
  config: ChannelConfig
}

/** Channel operations of one store (the parse cache is its only state). */
export interface Channels {
  declare(name: string, config: ChannelConfig, now: number): Program<void>
  get(name: string): Program<ChannelConfig | undefined>
  /** Like get, but throws UnknownChannelError for an undeclared channel. */
  require(name: string): Program<ChannelConfig>
  list(): Program<Array<{ name: string; config: ChannelConfig }>>
  ensureSubscription(channel: string, subscription: string, fanOut: boolean, now: number): Program<void>
  /** Creates the subscription with `fanOut` if new; an existing one keeps its own. */
  touchSubscription(channel: string, subscription: string, fanOut: boolean, now: number): Program<void>
  /** Throws UnknownChannelError for an undeclared channel. */
  publishPlan(name: string): Program<PublishPlan>
  /** Pause and config. */
  claimState(name: string): Program<ClaimState | undefined>
  setPaused(name: string, paused: boolean): Program<void>
  isPaused(name: string): Program<boolean>
}

/**
 * Makes the channel operations of one store.
 *
 * @example
 * const channels = createChannels()
 * const config = yield* channels.require('jobs')
 */
export function createChannels(): Channels {
  const parse = configParser()
  function* get(name: string): Program<ChannelConfig | undefined> {
    const row = yield* first<{ config: string }>(sql.channelConfig, [name])
    return row === undefined ? undefined : parse(name, row.config)
  }
  function* require(name: string): Program<ChannelConfig> {
    const config = yield* get(name)
    if (config === undefined) throw new UnknownChannelError(name)
    return config
  }
  return {
    *declare(name, config, now) {
      yield* run(sql.upsertChannel, [name, JSON.stringify(config), now])
      yield* run(sql.insertSubscription, [name, mainSubscription, true, now])
    },
    get,
    require,
    *list() {
      const all = yield* rows<{ name: string; config: string }>(sql.channels)
      return all.map((row) => ({ name: row.name, config: parse(row.name, row.config) }))
    },
    *ensureSubscription(channel, subscription, fanOut, now) {
      yield* require(channel)
      yield* run(sql.upsertSubscription, [channel, subscription, fanOut, now])
    },
    *touchSubscription(channel, subscription, fanOut, now) {
      yield* run(sql.insertSubscription, [channel, subscription, fanOut, now])
    },
    *publishPlan(name) {
      const row = yield* first<{ config: string; fan_out: string[] }>(sql.publishPlan, [name])
      if (row === undefined) throw new UnknownChannelError(name)
      return { config: parse(name, row.config), fanOut: row.fan_out }
    },
    *claimState(name) {
      const row = yield* first<{ paused: boolean; config: string }>(sql.claimState, [name])
      return row === undefined ? undefined : { paused: row.paused, config: parse(name, row.config) }
    },
    *setPaused(name, paused) {
      if ((yield* count(sql.setPaused, [name, paused])) === 0) throw new UnknownChannelError(name)
    },
    *isPaused(name) {
      const row = yield* first<{ paused: boolean }>(sql.claimState, [name])
      if (row === undefined) throw new UnknownChannelError(name)
      return row.paused
    },
  }
}
