// A worker renderer's durable sends, stored by the worker itself. On a broker with a SQLite file of
// its own, the worker opens its own connection to that file and commits each durable send there,
// so a send costs one commit in this thread instead of a round trip to main (a message to main, a
// wake-up of its loop, main's commit, a wake-up of this thread). Workers then store side by side,
// as the processes sharing a file do, and a busy main no longer holds their sends up.
//
// The contract is unchanged: the message is in the file when `send` returns, and the store's error
// (QueueFullError, MessageTooLargeError, StoreError) is thrown at the call, the same class. Main is
// told afterwards (a `stored` notice: at most one on its way at a time, see DIRECT_NOTICE), to wake
// its consumers, announce the publishes on diagnostics_channel and pace its checkpoints. Until the
// connection is open, when it cannot open, or once main turned it off (DIRECT_OFF), sends are round
// trips as before.
import type { SyncStore } from '../../store/index.js'
import { payloadBytes } from '../../store/types.js'
import { encodeEnvelope } from '../../protocol/envelope.js'
import { DIRECT_NOTICE, DIRECT_OFF, ToMainKind } from './protocol.js'
import type { DirectFile, StoredEntry, ToMain } from './protocol.js'

/** The least time between two notices of sends that follow each other closely. */
const NOTICE_GAP_MS = 1

export class DirectSends {
  readonly #file: DirectFile
  readonly #sender: string
  readonly #sync: Int32Array
  readonly #post: (message: ToMain) => void
  #store: SyncStore | undefined
  #opening: Promise<void> | undefined
  /** Stored, and not told to main yet. */
  #unsent: StoredEntry[] = []
  #flushQueued = false
  /** When the last notice went (performance.now()). */
  #noticeAt = -Infinity

  constructor(file: DirectFile, sender: string, sync: Int32Array, post: (message: ToMain) => void) {
    this.#file = file
    this.#sender = sender
    this.#sync = sync
    this.#post = post
  }

  /** Opens the connection (once); resolves when it is open, or failed to (sends stay round trips). */
  open(): Promise<void> {
    // Loaded on demand: a renderer that never sends durably on a file never loads the driver.
    this.#opening ??= import('../../store/index.js')
      .then(({ openSqliteStore }) => {
        this.#store = openSqliteStore({ ...this.#file, backgroundCheckpoints: false })
      })
      .catch(() => {})
    return this.#opening
  }

  /**
   * Stores a send on durable `channel`; false when this thread cannot store by itself now (the
   * caller makes it a round trip). Throws the store's error, the message not stored.
   */
  send(channel: string, args: readonly unknown[]): boolean {
    const store = this.#store
    if (store === undefined || Atomics.load(this.#sync, DIRECT_OFF) !== 0) return false
    const now = Date.now()
    const payload = encodeEnvelope(this.#sender, args)
    const { id } = store.publish({ channel, payload, kind: 'message', visibleAt: now, now })
    this.#unsent.push([channel, id, now, payloadBytes(payload)])
    // At most one notice a millisecond, and one on its way at a time: the sends in between wait in
    // #unsent, and what is left when this thread's loop turns goes then. (A notice costs this
    // thread ~8 µs, as much as a quarter of the send; main's store watch would see the commits
    // within 2-100 ms even without one.)
    const at = performance.now()
    if (at - this.#noticeAt >= NOTICE_GAP_MS && Atomics.compareExchange(this.#sync, DIRECT_NOTICE, 0, 1) === 0) {
      this.#noticeAt = at
      this.#flush()
    } else if (!this.#flushQueued) {
      this.#flushQueued = true
      setImmediate(() => {
        this.#flushQueued = false
        if (this.#unsent.length === 0) return
        Atomics.store(this.#sync, DIRECT_NOTICE, 1)
        this.#flush()
      })
    }
    return true
  }

  #flush(): void {
    const entries = this.#unsent
    this.#unsent = []
    this.#post([ToMainKind.stored, ...entries])
  }
}
