// Debian's Chromium, headless, driven by playwright-core (which downloads no browser of its own):
// a fresh profile per launch, and no network traffic of Chromium's own beside the test's.
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'

/** Where `.ci/run` installs Chromium (Debian's `chromium` package). */
export const CHROMIUM_PATH = '/usr/bin/chromium'

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/**
 * Why the browser tests cannot run here, or undefined when they can. Under CI=true a missing
 * Chromium is a failure, not a reason to skip: throws.
 */
export function chromiumMissing(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined
  const reason = `${CHROMIUM_PATH} is missing: install Debian's chromium (apt-get install -y chromium)`
  if (process.env.CI === 'true') throw new Error(reason)
  return reason
}

/** A running headless Chromium; close() also removes its profile. */
export interface Chromium {
  context: BrowserContext
  close(): Promise<void>
}

/** Launches Chromium with a fresh temporary profile. */
export async function launchChromium(): Promise<Chromium> {
  const profile = await mkdtemp(join(tmpdir(), 'tracehop-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ARGS,
  })
  return {
    context,
    close: async () => {
      await context.close()
      await rm(profile, { recursive: true, force: true })
    },
  }
}
