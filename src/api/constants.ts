// Names shared by the durable modules.

/** The subscription of a durable channel's main-side listeners. */
export const MAIN = 'main'

/** The subscription of renderer `rendererId`'s durable inbox. */
export const inboxOf = (rendererId: string): string => `renderer:${rendererId}`
