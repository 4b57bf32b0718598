// What an invoke caller gets when the handler fails: Electron's message, plus what Electron loses
// on the way (the original error's name, code and own enumerable fields).
import { NoHandlerError } from '../errors.js'
import { cloneValue } from './clone.js'
import type { InvokeFailure } from '../protocol/jobOutcome.js'

export type { InvokeFailure } from '../protocol/jobOutcome.js'

/** Reduces whatever a handler threw (an Error or any value) to an InvokeFailure. */
export function toInvokeFailure(err: unknown): InvokeFailure {
  const failure: InvokeFailure = { text: safeString(err) }
  if (typeof err === 'object' && err !== null) {
    const { name, code } = err as { name?: unknown; code?: unknown }
    if (typeof name === 'string') failure.name = name
    if (code !== undefined) failure.code = safeClone(code)
    const fields = ownFields(err)
    if (fields) failure.fields = fields
  }
  return failure
}

/**
 * A thrown object's own enumerable fields that survive a clone (message, stack, name and code
 * left out: they travel on their own); undefined when none do. Never throws.
 *
 * @example
 * ownFields(Object.assign(new Error('nope'), { limit: 5 })) // { limit: 5 }
 */
export function ownFields(err: object): Record<string, unknown> | undefined {
  const fields: Record<string, unknown> = {}
  let any = false
  for (const key of Object.keys(err)) {
    if (key === 'message' || key === 'stack' || key === 'name' || key === 'code') continue
    const value = safeClone((err as Record<string, unknown>)[key])
    if (value === undefined) continue
    fields[key] = value
    any = true
  }
  return any ? fields : undefined
}

/**
 * The Error an invoke promise rejects with: Electron's text, the original's name, code and fields.
 * A missing handler (code `ERR_IPC_NO_HANDLER`, here or relayed by a handler) is a NoHandlerError.
 */
export function invokeRejection(channel: string, failure: InvokeFailure): Error {
  const message = `Error invoking remote method '${channel}': ${failure.text}`
  const error = failure.code === 'ERR_IPC_NO_HANDLER' ? new NoHandlerError(message) : new Error(message)
  if (failure.fields) Object.assign(error, failure.fields)
  if (failure.name !== undefined) Object.defineProperty(error, 'name', { value: failure.name, enumerable: false, writable: true, configurable: true })
  if (failure.code !== undefined) (error as Error & { code?: unknown }).code = failure.code
  return error
}

/** `String(value)`, or `[object X]` for a value whose toString throws. */
export function safeString(value: unknown): string {
  try {
    return String(value)
  } catch {
    return Object.prototype.toString.call(value)
  }
}

/**
 * A structured-clone copy, or undefined for what cannot be cloned: for data that travels further
 * (an error's fields), where leaving a field out beats failing the whole reply.
 */
export function safeClone(value: unknown): unknown {
  try {
    return cloneValue(value)
  } catch {
    return undefined
  }
}
