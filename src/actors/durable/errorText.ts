// How a delivery's failure is stored (a dead letter's or a retried message's lastError): readable
// text whatever the listener threw.

import { inspect } from 'node:util'

/**
 * An error as stored: its stack (which starts with name and message); anything else that was
 * thrown as JSON where it can be (`{"code":"E_QUOTA"}`), else as Node would print it, never
 * `[object Object]`.
 *
 * @example
 * errorText(new Error('nope'))     // 'Error: nope\n    at ...'
 * errorText({ code: 'E_QUOTA' })   // 'Thrown value (not an Error): {"code":"E_QUOTA"}'
 */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`
  if (typeof error === 'string') return error
  return `Thrown value (not an Error): ${describe(error)}`
}

function describe(value: unknown): string {
  try {
    const json = JSON.stringify(value)
    if (json !== undefined) return json
  } catch {
    // a cycle, a BigInt: inspect handles those
  }
  try {
    return inspect(value, { depth: 4, breakLength: Infinity })
  } catch {
    return Object.prototype.toString.call(value)
  }
}
