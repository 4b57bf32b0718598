// A channel's config as both backends store it, as JSON text (sqlite/channels.ts,
// postgres/channels.ts): parsed again only when a channel's text changed since its last read.
import type { ChannelConfig } from './types.js'

/**
 * A parser with its own cache, one per store.
 *
 * @example
 * const parse = configParser()
 * parse('jobs', '{"maxAttempts":5,...}').maxAttempts
 */
export function configParser(): (name: string, text: string) => ChannelConfig {
  const parsed = new Map<string, { text: string; config: ChannelConfig }>()
  return (name, text) => {
    const hit = parsed.get(name)
    if (hit !== undefined && hit.text === text) return hit.config
    // Declared before schema 006: no timeout and no rate limit.
    const config = { timeoutMs: null, rateLimit: null, ...(JSON.parse(text) as Partial<ChannelConfig>) } as ChannelConfig
    parsed.set(name, { text, config })
    return config
  }
}
