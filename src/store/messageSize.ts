// The channel's maxMessageBytes, as both backends enforce it on publish (one message or many).
import { MessageTooLargeError } from '../errors.js'
import { payloadBytes } from './types.js'
import type { ChannelConfig, PublishInput } from './types.js'

/**
 * Throws MessageTooLargeError when `input`'s payload is larger than its channel allows.
 *
 * @example
 * assertMessageSize(input, channels.require(input.channel)) // before anything is written
 */
export function assertMessageSize(input: PublishInput, config: ChannelConfig): void {
  if (config.maxMessageBytes === null) return
  const bytes = payloadBytes(input.payload)
  if (bytes > config.maxMessageBytes) throw new MessageTooLargeError(input.channel, bytes, config.maxMessageBytes)
}
