// The consumer's lease renewal timer on XState's SimulatedClock: renewals come when a third of the
// lease has passed, counted from the latest renewal, whether the consumer held something all along
// or held, let go and held again (the trickle path leaves the timer running in between).

import { SimulatedClock } from 'xstate'
import { describe, expect, it } from 'vitest'
import { RenewalTimer } from '../../../src/actors/durable/renewalTimer.js'

const t0 = 1_700_000_000_000
const leaseMs = 30_000

function timer(): { clock: SimulatedClock; renewal: RenewalTimer; renewals: number[]; hold: () => void } {
  const clock = new SimulatedClock()
  clock.set(t0)
  const renewals: number[] = []
  // Leases of leaseMs taken (or renewed) now, something held.
  const hold = (): void => {
    renewal.renewed(clock.now(), leaseMs)
    renewal.arm(true)
  }
  const renewal = new RenewalTimer(clock, () => {
    renewals.push(clock.now() - t0)
    hold()
  })
  return { clock, renewal, renewals, hold }
}

describe('RenewalTimer', () => {
  it('renews every third of the lease while something is held', () => {
    const { clock, renewals, hold } = timer()
    hold()
    clock.increment(9_999)
    expect(renewals).toEqual([])
    clock.increment(1)
    expect(renewals).toEqual([10_000])
    clock.increment(10_000)
    expect(renewals).toEqual([10_000, 20_000])
  })

  it('renews nothing when it fires while nothing is held', () => {
    const { clock, renewal, renewals, hold } = timer()
    hold()
    clock.increment(1)
    renewal.arm(false)
    clock.increment(60_000)
    expect(renewals).toEqual([])
  })

  it('counts from the latest hold: let go and held again, it renews a third of a lease after that hold, not earlier', () => {
    const { clock, renewal, renewals, hold } = timer()
    hold()
    clock.increment(1)
    renewal.arm(false)
    clock.increment(4_999)
    hold() // again, at t0 + 5000
    clock.increment(9_999) // t0 + 14999: the first timer fired at 10000 and waited on
    expect(renewals).toEqual([])
    clock.increment(1)
    expect(renewals).toEqual([15_000])
  })

  it('comes sooner when the leases got shorter while it was set', () => {
    const { clock, renewal, renewals, hold } = timer()
    hold()
    renewal.renewed(t0, 3_000) // e.g. the channel's leaseMs was lowered
    renewal.arm(true)
    clock.increment(1_000)
    expect(renewals).toEqual([1_000])
  })

  it('stop() clears it', () => {
    const { clock, renewal, renewals, hold } = timer()
    hold()
    renewal.stop()
    renewal.arm(false)
    clock.increment(60_000)
    expect(renewals).toEqual([])
  })
})
