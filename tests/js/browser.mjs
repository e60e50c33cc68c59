// The browser a test script runs in: `--browser=chromium|firefox|webkit` (or CLERK_BROWSER),
// Chromium by default. Debian's Chromium is driven by playwright-core (no browser download is
// possible here); Firefox ESR and WebKitGTK by W3C WebDriver (webdriver.mjs), with the same
// Page API, so that one script runs in every engine.
import { chromium } from 'playwright-core';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchWebDriver } from './webdriver.mjs';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  // clerk-js treats navigator.webdriver as a bot; keep runs comparable.
  '--disable-blink-features=AutomationControlled',
];

export const ENGINES = ['chromium', 'firefox', 'webkit'];

/** The engine named on the command line or in CLERK_BROWSER; exits on an unknown name. */
export const engine = (() => {
  const arg = process.argv.find((a) => a.startsWith('--browser='))?.slice('--browser='.length);
  const name = arg ?? process.env.CLERK_BROWSER ?? 'chromium';
  if (!ENGINES.includes(name)) {
    console.log(`unknown browser ${name}: one of ${ENGINES.join(', ')}`);
    process.exit(2);
  }
  return name;
})();

/** A script's name in its output: `e2e-demo` in Chromium, `e2e-demo-firefox` in Firefox. */
export const scriptName = (name) => (engine === 'chromium' ? name : `${name}-${engine}`);

export async function launch() {
  if (engine !== 'chromium') return launchWebDriver(engine);
  const dir = await mkdtemp(join(tmpdir(), 'clerk-rs-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
  return { browser: context, context };
}
