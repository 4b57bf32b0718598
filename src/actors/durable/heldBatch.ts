// The batch a consumer claimed and has not delivered yet: claimed at once, delivered one slot at a
// time, in order (consumerWork.ts). Reports and controls see what waits in it, and may take some out.
import type { ClaimedMessage } from '../../store/index.js'

export class HeldBatch {
  #batch: ClaimedMessage[] = []
  #head = 0

  /** How many messages wait. */
  get size(): number {
    return this.#batch.length - this.#head
  }

  /** The messages waiting, in order. */
  waiting(): ClaimedMessage[] {
    return this.#batch.slice(this.#head)
  }

  /** The next message to deliver, taken from the batch; undefined when none waits. */
  take(): ClaimedMessage | undefined {
    return this.#head < this.#batch.length ? this.#batch[this.#head++] : undefined
  }

  /** Puts back the message take() gave last: still ours, delivered later. */
  putBack(): void {
    this.#head--
  }

  /** A claim's batch, in place of what waited. */
  replace(batch: ClaimedMessage[]): void {
    this.#batch = batch
    this.#head = 0
  }

  /** A message behind the ones waiting. */
  append(message: ClaimedMessage): void {
    this.replace([...this.waiting(), message])
  }

  /** Takes these messages out of the batch: they are not delivered from it. */
  drop(ids: ReadonlySet<number>): void {
    this.replace(this.waiting().filter((message) => !ids.has(message.id)))
  }

  /** Empties the batch; the ids of the messages that waited. */
  clear(): number[] {
    const ids = this.waiting().map((message) => message.id)
    this.replace([])
    return ids
  }
}
