// The typed errors: one base class recognising them all, each subclass only itself.
import { describe, expect, it } from 'vitest'
import { CloneError, DurableIpcError, InvalidChannelError, QueueFullError, StoreError } from '../../src/index.js'

describe('error classes', () => {
  it('DurableIpcError recognises every durable-ipc error, TypeErrors included', () => {
    expect(new CloneError('args[0]', 'x') instanceof DurableIpcError).toBe(true)
    expect(new InvalidChannelError('') instanceof DurableIpcError).toBe(true)
    expect(new InvalidChannelError('') instanceof TypeError).toBe(true)
    expect(new Error('plain') instanceof DurableIpcError).toBe(false)
  })

  it('a subclass recognises only its own instances', () => {
    expect(new CloneError('args[0]', 'x') instanceof QueueFullError).toBe(false)
    expect(new QueueFullError('jobs', 3) instanceof QueueFullError).toBe(true)
    expect(new StoreError('ERR_STORE_BUSY', 'busy') instanceof CloneError).toBe(false)
    expect(new StoreError('ERR_STORE_BUSY', 'busy').code).toBe('ERR_STORE_BUSY')
  })
})
