// The read commands on a database in a directory nobody may write (a read-only mount): they still
// inspect it, read as immutable since SQLite cannot create the -shm file there; a repair is refused
// in one line naming the file.

import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeReadOnlyPlace, readOnlyPlaces } from '../store/readOnlyPlaces.js'
import type { ReadOnlyPlace } from '../store/readOnlyPlaces.js'
import { addDeadLetters, digest, makeDatabase, runCli, useCliFixtures } from './helpers.js'

useCliFixtures()

const skipped = readOnlyPlaces.available ? '' : ` (skipped: ${readOnlyPlaces.why})`

describe.skipIf(!readOnlyPlaces.available)(`a database in a read-only directory or mount${skipped}`, () => {
  let place: ReadOnlyPlace
  let path: string
  beforeEach(async () => {
    place = makeReadOnlyPlace() as ReadOnlyPlace
    path = join(place.dir, 'app.db')
    await makeDatabase(path, async (broker) => {
      await addDeadLetters(broker, 'jobs', 2)
      broker.enqueue('jobs', ['waiting'])
    })
    place.lock()
  })
  afterEach(() => place.remove())

  it('can be inspected with stats, dead and tail, and is left as it was', async () => {
    const before = digest(path)
    const stats = await runCli(['stats', path])
    expect([stats.code, stats.stderr]).toEqual([0, ''])
    expect(stats.stdout.split('\n')[1]).toMatch(/^jobs +1 +0 +0 +2 +\d+(ms|s)$/)

    const dead = await runCli(['dead', path, '--json'])
    expect([dead.code, dead.stderr]).toEqual([0, ''])
    expect((JSON.parse(dead.stdout) as Array<{ id: number }>).map((d) => d.id)).toEqual([1, 2])

    const tail = await runCli(['tail', path, '--existing', '--count', '1'])
    expect([tail.code, tail.stderr]).toEqual([0, ''])
    expect(tail.stdout).toMatch(/#3 {2}jobs {2}main {2}\[ 'waiting' \]\n$/)

    expect(readdirSync(place.dir)).toEqual(['app.db'])
    expect(digest(path)).toBe(before)
  })

  it('refuses a repair in one line (exit 2), naming the file', async () => {
    const { code, stdout, stderr } = await runCli(['replay', path, 'jobs', '--all'])
    expect([code, stdout]).toEqual([2, ''])
    expect(stderr).toMatch(new RegExp(`^durable-ipc: Cannot open '${path}' to repair it: .*read-only.*\\n$`))
  })
})
