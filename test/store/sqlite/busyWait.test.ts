// retryWhileBusy: tries again while SQLite says busy, up to the timeout, and never retries anything else.

import { describe, expect, it } from 'vitest'
import { retryWhileBusy } from '../../../src/store/sqlite/busyWait.js'

const failure = (code: string) => Object.assign(new Error(code), { code })

describe('retryWhileBusy', () => {
  it('tries again while busy, then returns the result', () => {
    let calls = 0
    const result = retryWhileBusy(() => {
      if (++calls < 4) throw failure(calls === 2 ? 'SQLITE_BUSY_RECOVERY' : 'SQLITE_BUSY')
      return 'done'
    }, 1000)
    expect(result).toBe('done')
    expect(calls).toBe(4)
  })

  it('gives up after the timeout with the last busy error', () => {
    const start = performance.now()
    let calls = 0
    expect(() => retryWhileBusy(() => {
      calls++
      throw failure('SQLITE_BUSY')
    }, 60)).toThrow('SQLITE_BUSY')
    const took = performance.now() - start
    expect(took).toBeGreaterThanOrEqual(55)
    expect(took).toBeLessThan(1000)
    expect(calls).toBeGreaterThan(5) // short waits, not SQLite's 1, 2, 5 ... 100 ms
  })

  it('does not retry other errors, nor a stale snapshot', () => {
    for (const code of ['SQLITE_FULL', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED']) {
      let calls = 0
      expect(() => retryWhileBusy(() => {
        calls++
        throw failure(code)
      }, 1000)).toThrow(code)
      expect(calls).toBe(1)
    }
  })
})
