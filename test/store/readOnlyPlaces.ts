// Read-only directories for tests that run as root (here and in CI), where permission bits change
// nothing: a tmpfs mounted and then remounted read-only, or failing that a directory made
// immutable with `chattr +i`. Either needs root; without both the tests say why they skip.

import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A directory that starts writable; `lock()` makes it read-only, `remove()` undoes it all. */
export interface ReadOnlyPlace {
  dir: string
  /** How it is made read-only: 'mount' (a read-only tmpfs) or 'chattr' (an immutable directory). */
  kind: 'mount' | 'chattr'
  lock(): void
  /** Makes one file in it immutable too (chattr only; a read-only mount covers its files). */
  lockFile(path: string): void
  remove(): void
}

function run(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0
}

function must(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`)
}

/** Makes a place, or returns why it cannot. */
export function makeReadOnlyPlace(): ReadOnlyPlace | string {
  const dir = mkdtempSync(join(tmpdir(), 'durable-ipc-ro-'))
  if (run('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dir])) {
    let mounted = true
    return {
      dir,
      kind: 'mount',
      lock: () => must('mount', ['-o', 'remount,ro', dir]),
      lockFile: () => {},
      remove() {
        if (mounted) run('umount', [dir])
        mounted = false
        rmSync(dir, { recursive: true, force: true })
      },
    }
  }
  if (run('chattr', ['+i', dir]) && run('chattr', ['-i', dir])) {
    const locked: string[] = []
    return {
      dir,
      kind: 'chattr',
      lock() {
        must('chattr', ['+i', dir])
        locked.push(dir)
      },
      lockFile(path) {
        must('chattr', ['+i', path])
        locked.push(path)
      },
      remove() {
        for (const path of locked.splice(0)) run('chattr', ['-i', path])
        rmSync(dir, { recursive: true, force: true })
      },
    }
  }
  rmSync(dir, { recursive: true, force: true })
  return 'cannot make a read-only directory here: mounting a tmpfs and chattr +i both failed (they need root)'
}

/** Whether read-only places can be made on this machine, and if not, why (checked once). */
export const readOnlyPlaces: { available: boolean; why: string } = (() => {
  const place = makeReadOnlyPlace()
  if (typeof place === 'string') return { available: false, why: place }
  place.remove()
  return { available: true, why: '' }
})()
