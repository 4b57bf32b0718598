// A FIFO of tasks run soon (in a microtask), or at once on demand: what makes `send` asynchronous
// as in Electron while keeping send, sendSync and invoke of one renderer in the order they were made.
export class DeferredQueue {
  #tasks: Array<() => void> = []
  #head = 0
  #scheduled = false
  readonly #run = (): void => {
    this.#scheduled = false
    this.flush()
  }

  push(task: () => void): void {
    this.#tasks.push(task)
    if (!this.#scheduled) {
      this.#scheduled = true
      queueMicrotask(this.#run)
    }
  }

  /** Runs every queued task now, in order (sendSync calls this before its own message). */
  flush(): void {
    const tasks = this.#tasks
    // Tasks pushed while flushing run in this same pass, after the ones before them.
    while (this.#head < tasks.length) {
      const task = tasks[this.#head++]!
      task()
    }
    this.#tasks = []
    this.#head = 0
  }

  /** Drops everything queued (the renderer is gone). */
  clear(): void {
    this.#tasks = []
    this.#head = 0
  }
}
