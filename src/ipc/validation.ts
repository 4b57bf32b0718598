// Input checks shared by every entry point, so each call fails the same way, at the call.
import { InvalidArgumentError, InvalidChannelError } from '../errors.js'

/** Throws InvalidChannelError (a TypeError) unless `channel` is a non-empty string. */
export function assertChannel(channel: unknown): asserts channel is string {
  if (typeof channel !== 'string' || channel.length === 0) throw new InvalidChannelError(channel)
}

export function assertFunction(value: unknown, what: string): asserts value is (...args: unknown[]) => unknown {
  if (typeof value !== 'function') throw new InvalidArgumentError(`Expected ${what} to be a function, but found type '${typeof value}'`)
}

/** A non-negative finite number or undefined. */
export function assertOptionalMs(value: unknown, name: string): asserts value is number | undefined {
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
    throw new InvalidArgumentError(`Expected ${name} to be a non-negative number of milliseconds, but found ${String(value)}`)
  }
}
