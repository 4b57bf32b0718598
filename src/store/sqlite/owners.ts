// Lease owner ids: `${hostname}/${pid}/${random}`, so that a process can tell which leases belong
// to processes of this host that have died, and hand their messages back without waiting for the
// leases to expire.

import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'

const thisHost = hostname()

/** The parts of an owner id. */
export interface OwnerId {
  host: string
  pid: number
  nonce: string
}

/**
 * Makes a fresh lease owner id for this process. Give each claimer (dispatcher) its own, so that
 * `release(owner)` hands back only its own messages.
 *
 * @example
 * const owner = newOwnerId() // 'build-box/4242/9f1c2ab07d3e'
 * store.claim('jobs', 'main', owner, Date.now(), 30_000, 16)
 */
export function newOwnerId(): string {
  return `${thisHost}/${process.pid}/${randomBytes(6).toString('hex')}`
}

/**
 * Splits an owner id; undefined when it is not one `newOwnerId` could have made.
 *
 * @example
 * parseOwnerId('box/42/ab12') // { host: 'box', pid: 42, nonce: 'ab12' }
 */
export function parseOwnerId(owner: string): OwnerId | undefined {
  const last = owner.lastIndexOf('/')
  const middle = last > 0 ? owner.lastIndexOf('/', last - 1) : -1
  if (middle <= 0) return undefined
  const pidText = owner.slice(middle + 1, last)
  if (!/^[1-9]\d*$/.test(pidText)) return undefined
  return { host: owner.slice(0, middle), pid: Number(pidText), nonce: owner.slice(last + 1) }
}

/**
 * True unless the operating system says no process has this pid. EPERM means the process exists
 * but belongs to someone else, so it counts as alive.
 *
 * @example
 * isProcessAlive(process.pid) // true
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

/**
 * True only when the owner provably cannot come back: it ran on this host and its pid is gone.
 * An owner from another host, or one we cannot parse, is never gone: its leases expire instead.
 * (A reused pid only makes us wait for the lease to expire, which is safe.)
 *
 * @example
 * isOwnerGone(newOwnerId()) // false: this process is alive
 */
export function isOwnerGone(owner: string): boolean {
  const parsed = parseOwnerId(owner)
  if (parsed === undefined || parsed.host !== thisHost || parsed.pid === process.pid) return false
  return !isProcessAlive(parsed.pid)
}
