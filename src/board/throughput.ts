// Deliveries per minute over the last hour, per channel, for the overview's charts and the
// delivered counters of /metrics. Nothing in the file records deliveries (an acknowledged message
// leaves no row), so the board samples:
// - over a broker (`createBoard({ broker })`): that broker's own counts, exact;
// - over a file: what left the queue between two samples, from what arrived (ids given since the
//   last sample; the store's rows tell the channel of those still kept anywhere) less how much the
//   channel grew. Messages that arrived and were acknowledged between two samples left no row to
//   name their channel: with one channel they are its own; with several they are shared out in
//   proportion to each channel's deliveries over the last ten minutes, and the figures are marked
//   as estimates.
import type { Store } from '../store/index.js'

const MINUTE = 60_000
export const HISTORY_MINUTES = 60
const SHARE_WINDOW_MINUTES = 10

/** One sample's counts of a channel: what it holds (queue and dead letters). */
export interface HeldCounts {
  channel: string
  held: number
}

/** Records deliveries per channel and minute from samples. */
export class DeliveryHistory {
  readonly #minutes = new Map<string, Map<number, number>>()
  readonly #totals = new Map<string, number>()
  #last: { lastId: number; held: Map<string, number>; counts: Map<string, number> } | undefined
  #estimated = false
  /** Messages the board itself removed (purged) since the last sample: not deliveries. */
  readonly #removed = new Map<string, number>()

  /** True once a figure was shared out between channels (file mode, several channels). */
  get estimated(): boolean {
    return this.#estimated
  }

  /** The board removed `count` messages of `channel` itself (a purge): not deliveries. */
  removed(channel: string, count: number): void {
    this.#removed.set(channel, (this.#removed.get(channel) ?? 0) + count)
  }

  /**
   * Takes a sample. `counts`: a broker's delivered counts (exact); without them, the estimate
   * from `held` and the store's ids.
   *
   * @example
   * history.sample(Date.now(), [{ channel: 'jobs', held: 12 }], store, undefined)
   */
  sample(now: number, held: readonly HeldCounts[], store: Store, counts: ReadonlyMap<string, { delivered: number }> | undefined): void {
    const minute = Math.floor(now / MINUTE)
    const heldNow = new Map(held.map((h) => [h.channel, h.held]))
    const countsNow = new Map<string, number>()
    if (counts !== undefined) for (const [channel, c] of counts) countsNow.set(channel, c.delivered)
    const lastId = counts === undefined ? store.lastMessageId() : 0
    const last = this.#last
    this.#last = { lastId, held: heldNow, counts: countsNow }
    if (last === undefined) {
      this.#removed.clear()
      return
    }
    if (counts !== undefined) {
      for (const [channel, delivered] of countsNow) this.#add(channel, minute, delivered - (last.counts.get(channel) ?? 0))
    } else {
      this.#estimate(minute, lastId, last, heldNow, store)
    }
    this.#removed.clear()
    for (const [channel, byMinute] of this.#minutes) {
      for (const m of byMinute.keys()) if (m <= minute - HISTORY_MINUTES) byMinute.delete(m)
      if (byMinute.size === 0 && !heldNow.has(channel)) this.#minutes.delete(channel)
    }
  }

  /**
   * Deliveries of `channel` in each of the last 60 minutes, oldest first (the current minute last).
   *
   * @example
   * history.series('jobs', Date.now()).at(-1) // so far this minute
   */
  series(channel: string, now: number): number[] {
    const minute = Math.floor(now / MINUTE)
    const byMinute = this.#minutes.get(channel)
    return Array.from({ length: HISTORY_MINUTES }, (_, i) => Math.round(byMinute?.get(minute - HISTORY_MINUTES + 1 + i) ?? 0))
  }

  /** Deliveries of `channel` counted since the board started (the metrics' counter). */
  total(channel: string): number {
    return Math.round(this.#totals.get(channel) ?? 0)
  }

  #add(channel: string, minute: number, count: number): void {
    if (!(count > 0)) return
    let byMinute = this.#minutes.get(channel)
    if (byMinute === undefined) this.#minutes.set(channel, (byMinute = new Map()))
    byMinute.set(minute, (byMinute.get(minute) ?? 0) + count)
    this.#totals.set(channel, (this.#totals.get(channel) ?? 0) + count)
  }

  #estimate(minute: number, lastId: number, last: { lastId: number; held: Map<string, number> }, heldNow: Map<string, number>, store: Store): void {
    const arrived = Math.max(0, lastId - last.lastId)
    const traced = arrived === 0 ? {} : (store.boardReads?.().arrivalsAfter(last.lastId) ?? {})
    const channels = [...heldNow.keys()]
    let untraced = arrived
    for (const n of Object.values(traced)) untraced -= n
    untraced = Math.max(0, untraced)
    const shares = this.#shares(channels, minute, traced)
    if (untraced > 0 && channels.length > 1) this.#estimated = true
    for (const channel of channels) {
      const grew = (heldNow.get(channel) ?? 0) - (last.held.get(channel) ?? 0)
      const came = (traced[channel] ?? 0) + untraced * (shares.get(channel) ?? 0)
      this.#add(channel, minute, came - grew - (this.#removed.get(channel) ?? 0))
    }
  }

  // Each channel's part of the arrivals no row names: by its recent deliveries, else by what
  // arrived of it now, else evenly.
  #shares(channels: readonly string[], minute: number, traced: Record<string, number>): Map<string, number> {
    const weigh = (weight: (channel: string) => number): Map<string, number> | undefined => {
      const weights = channels.map((c) => [c, weight(c)] as const)
      const sum = weights.reduce((a, [, w]) => a + w, 0)
      return sum > 0 ? new Map(weights.map(([c, w]) => [c, w / sum])) : undefined
    }
    const recent = (channel: string): number => {
      let n = 0
      for (const [m, count] of this.#minutes.get(channel) ?? []) if (m > minute - SHARE_WINDOW_MINUTES) n += count
      return n
    }
    return weigh(recent) ?? weigh((c) => traced[c] ?? 0) ?? new Map(channels.map((c) => [c, 1 / channels.length]))
  }
}
