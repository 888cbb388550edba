// Debian's chromium for the console's browser tests, driven by playwright-core: launched once per
// test file, failing (never skipping) when the browser or the console build is missing.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { consoleBuildDir } from '../../server/console/create-console.js';

/** Debian's package (scripts/test.sh installs it); never a browser Playwright would download. */
const CHROMIUM = '/usr/bin/chromium';
const BROWSER_ARGS = [
  // chromium's sandbox refuses to start as root (and in many containers); it only loads local pages.
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  // No calls home: this machine's network refuses them, and they are not what is tested.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  // Fail, never skip: a missing browser or build would otherwise pass for a tested console.
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (bash scripts/test.sh installs it)`);
  if (!existsSync(join(consoleBuildDir(), 'index.html')))
    throw new Error('dist/console is missing: run npm run build (it builds the console)');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: BROWSER_ARGS });
}
