// Debian's Chromium driven by playwright-core (no browser download is possible here).
import { chromium } from 'playwright-core';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  // clerk-js treats navigator.webdriver as a bot; keep runs comparable.
  '--disable-blink-features=AutomationControlled',
];

export async function launch() {
  const dir = await mkdtemp(join(tmpdir(), 'clerk-rs-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
  return { browser: context, context };
}
