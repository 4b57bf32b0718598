// Translates pg failures (server errors with a SQLSTATE, network errors, a dead connection) into
// StoreError, so that nothing above the store sees a raw pg error; durable-ipc's own typed errors
// pass through. Messages never carry the connection string or its password: whatever text the
// driver or the server sent is scrubbed of both before it reaches a message.

import { DurableIpcError, StoreError } from '../../errors.js'

interface Translation {
  /** A SQLSTATE, or a class of them (two characters). */
  state: string
  code: string
  what: string
}

const translations: readonly Translation[] = [
  { state: '25006', code: 'ERR_STORE_READONLY', what: 'the store was opened readonly' },
  { state: '53100', code: 'ERR_STORE_FULL', what: 'the server\'s disk is full' },
  { state: '40001', code: 'ERR_STORE_BUSY', what: 'a concurrent transaction conflicted (serialization failure)' },
  { state: '40P01', code: 'ERR_STORE_BUSY', what: 'a deadlock with another transaction was detected' },
  { state: '55P03', code: 'ERR_STORE_BUSY', what: 'a lock could not be taken' },
  { state: '57014', code: 'ERR_STORE_TIMEOUT', what: 'the statement was cancelled (timeout)' },
  { state: '28', code: 'ERR_STORE_UNAVAILABLE', what: 'the server refused the credentials' },
  { state: '08', code: 'ERR_STORE_UNAVAILABLE', what: 'the connection to the server failed' },
  { state: '57P', code: 'ERR_STORE_UNAVAILABLE', what: 'the server is shutting down or starting up' },
  { state: '3D000', code: 'ERR_STORE_UNAVAILABLE', what: 'the database does not exist' },
]

const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE'])

/**
 * Whether a failure means the transaction can be run again as it was: a deadlock, a serialization
 * failure, or an origin key taken by a forward of the same rows that committed meanwhile (run again,
 * the forward finds them stored and stores nothing twice: forward.ts).
 */
export function isRetryable(err: unknown): boolean {
  const { code: state, constraint } = (err ?? {}) as { code?: unknown; constraint?: unknown }
  return state === '40001' || state === '40P01' || (state === '23505' && constraint === 'durable_ipc_origins_pkey')
}

/** Makes a scrubber for messages: removes the connection string and its password wherever they appear. */
export function secretScrubber(connectionString: string): (text: string) => string {
  const secrets = [connectionString]
  try {
    const url = new URL(connectionString)
    if (url.password !== '') secrets.push(decodeURIComponent(url.password), url.password)
  } catch {
    // Not a URL (a libpq key=value string): scrub a password=... entry.
    const match = /password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/i.exec(connectionString)
    if (match?.[1] !== undefined) secrets.push(match[1].replace(/^'|'$/g, ''))
  }
  const found = secrets.filter((s) => s.length > 0).sort((a, b) => b.length - a.length)
  return (text) => found.reduce((out, secret) => out.split(secret).join('***'), text)
}

/**
 * Turns anything thrown while talking to PostgreSQL into a typed error; `operation` names what was
 * being done (e.g. `publish`), `scrub` removes secrets from the driver's text.
 *
 * @example
 * catch (err) { throw translatePgError(err, 'publish', scrub) }
 */
export function translatePgError(err: unknown, operation: string, scrub: (text: string) => string): Error {
  if (err instanceof DurableIpcError) return err as Error
  const code = (err as { code?: unknown } | null)?.code
  const detail = scrub(err instanceof Error ? err.message : String(err))
  // The cause is kept only when it carries no secret text (a pg error's message is the server's).
  const cause = err instanceof Error && scrub(err.message) === err.message ? err : undefined
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    const match = translations.find((t) => code.startsWith(t.state))
    const what = match?.what ?? 'PostgreSQL failed'
    return new StoreError(match?.code ?? 'ERR_STORE', `Cannot ${operation}: ${what} (${code}: ${detail})`, { cause })
  }
  if (/query read timeout/i.test(detail)) {
    return new StoreError('ERR_STORE_TIMEOUT', `Cannot ${operation}: PostgreSQL did not answer in time (${detail})`, { cause })
  }
  if ((typeof code === 'string' && networkCodes.has(code)) || /connection terminated|connection error|not queryable|timeout expired/i.test(detail)) {
    return new StoreError('ERR_STORE_UNAVAILABLE', `Cannot ${operation}: PostgreSQL cannot be reached (${detail})`, { cause })
  }
  return new StoreError('ERR_STORE', `Cannot ${operation}: ${detail}`, { cause })
}
