// How durable subscriptions are named: a channel's main side, and one durable inbox per renderer.
// The only place that knows the `renderer:` prefix.

/** The subscription of a durable channel's main-side listeners. */
export const MAIN = 'main'

const INBOX_PREFIX = 'renderer:'

/**
 * The subscription of renderer `rendererId`'s durable inbox.
 *
 * @example
 * inboxOf('window-1') // 'renderer:window-1'
 */
export const inboxOf = (rendererId: string): string => `${INBOX_PREFIX}${rendererId}`

/**
 * The renderer id of an inbox subscription, or undefined for any other (`main`).
 *
 * @example
 * inboxOwner('renderer:window-1') // 'window-1'
 */
export function inboxOwner(subscription: string): string | undefined {
  return subscription.startsWith(INBOX_PREFIX) ? subscription.slice(INBOX_PREFIX.length) : undefined
}

/**
 * One key per (channel, subscription): the consumer of a subscription in a process.
 *
 * @example
 * subscriptionKey('jobs', MAIN) // 'jobs\u0000main'
 */
export const subscriptionKey = (channel: string, subscription: string): string => `${channel}\0${subscription}`
