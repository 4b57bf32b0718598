// Channels declared (or re-declared) by another process that opened the same file: this broker
// learns of them within about a second, so that a renderer's send on such a channel is stored
// instead of being treated as transient. The check costs one `PRAGMA data_version` read a second
// (it changes only when another connection commits); the channel list is read only then.

import type { ChannelConfig, Store } from '../store/index.js'

const CHECK_EVERY_MS = 1000

/**
 * Calls `onChannel` for every declared channel each time another connection has committed since
 * the last look (the first look is a second from now: the caller read the list as it opened), on
 * an unref'd timer. Returns the function that stops it. Best effort: a busy file is read next time.
 *
 * @example
 * const stop = watchDeclarations(store, (name, config) => configs.set(name, config))
 */
export function watchDeclarations(store: Store, onChannel: (name: string, config: ChannelConfig) => void): () => void {
  let seen: number | undefined
  try {
    seen = store.dataVersion()
  } catch {
    // the first check lists the channels
  }
  const check = (): void => {
    try {
      const version = store.dataVersion()
      if (version === seen) return
      seen = version
      for (const { name, config } of store.listChannels()) onChannel(name, config)
    } catch {
      // next time
    }
  }
  const timer = setInterval(check, CHECK_EVERY_MS)
  timer.unref()
  return () => clearInterval(timer)
}
