// The typed errors: one base class recognising them all, each subclass only itself, and a code on
// every error a call can raise (issue "trust:", point 10c).
import { afterEach, describe, expect, it } from 'vitest'
import { CloneError, DurableIpcError, HandlerExistsError, InvalidChannelError, NoHandlerError, QueueFullError, StoreError } from '../../src/index.js'
import { closeBrokers, newBroker, rejection, thrown } from './helpers.js'

afterEach(closeBrokers)

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

describe('codes of errors raised by ipcMain and invoke', () => {
  it("ipcMain.handle over an existing handler throws HandlerExistsError with Electron's message", () => {
    const { ipcMain } = newBroker()
    ipcMain.handle('add', () => 1)
    for (const register of [() => ipcMain.handle('add', () => 2), () => ipcMain.handleOnce('add', () => 2)]) {
      const err = thrown(register)
      expect(err).toBeInstanceOf(HandlerExistsError)
      expect(err).toBeInstanceOf(DurableIpcError)
      expect(err.code).toBe('ERR_IPC_HANDLER_EXISTS')
      expect(err.name).toBe('HandlerExistsError')
      expect(err.message).toBe("Attempted to register a second handler for 'add'")
      expect((err as HandlerExistsError).channel).toBe('add')
    }
  })

  it("invoke with no handler rejects with NoHandlerError: Electron's message and name, code ERR_IPC_NO_HANDLER", async () => {
    const broker = newBroker()
    const err = await rejection(broker.createRenderer().ipcRenderer.invoke('missing'))
    expect(err).toBeInstanceOf(NoHandlerError)
    expect(err).toBeInstanceOf(DurableIpcError)
    expect(err.code).toBe('ERR_IPC_NO_HANDLER')
    expect(String(err)).toBe("Error: Error invoking remote method 'missing': Error: No handler registered for 'missing'")
  })

  it('a handler failure stays the plain Error Electron gives, with the handler\'s own code', async () => {
    const broker = newBroker()
    broker.ipcMain.handle('fails', () => {
      throw Object.assign(new Error('no'), { code: 'E_MINE' })
    })
    const err = await rejection(broker.createRenderer().ipcRenderer.invoke('fails'))
    expect(err).not.toBeInstanceOf(DurableIpcError)
    expect(err.code).toBe('E_MINE')
  })
})
