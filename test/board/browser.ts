// Headless Chromium for the board's browser tests: Debian's `chromium` package driven by
// playwright-core (its own browser download cannot work here). A machine without it fails the
// tests with one line saying how to install it: these tests are never skipped.

import { existsSync } from 'node:fs'
import { chromium } from 'playwright-core'
import type { Browser } from 'playwright-core'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Starts Chromium, or throws the one line that says how to get it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with 'apt-get update && apt-get install -y chromium' (as root; .ci/run does), or set CHROMIUM_PATH`)
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}
