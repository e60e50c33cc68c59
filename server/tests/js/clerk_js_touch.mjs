#!/usr/bin/env node
// Real @clerk/clerk-js (browser build) in headless Chromium: the client touch. The server's dev
// clock is moved until `client.isEligibleForTouch()` is true; then `setActive({redirectUrl})`
// makes clerk-js navigate through `client.buildTouchUrl()`, and the server must extend the
// client and send the browser on to redirectUrl.
// Usage: node clerk_js_touch.mjs PAGE_URL PROXY_URL
// Prints one JSON object with what clerk-js saw; exits 1 on a failed step.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../../tests/js/package.json'));
const { chromium } = require('playwright-core');

const [pageUrl, proxyUrl] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const DAY = 24 * 3600 * 1000;
let exitCode = 0;
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('pageerror', e.message));
  const load = async (url) => {
    await page.goto(url);
    await page.waitForFunction(() => window.Clerk, null, { timeout: 15000 });
    await page.evaluate(() => window.Clerk.load({ telemetry: false }));
  };
  await load(pageUrl);
  const out = await page.evaluate(async ({ proxyUrl, DAY }) => {
    const C = window.Clerk;
    const si = await C.client.signIn.create({ identifier: 'bob@example.com', password: 'demo-password-1' });
    await C.setActive({ session: si.createdSessionId });
    const out = { clientId: C.client.id, lifetimeDays: (C.client.cookieExpiresAt.getTime() - C.client.createdAt.getTime()) / DAY };
    out.eligibleAtFirst = C.client.isEligibleForTouch();
    // Move the server 393 days on: 7 days are left, and the client says so after a reload.
    const serverNow = (await (await fetch(`${proxyUrl}/__dev/clock`)).json()).now;
    const leftMs = C.client.cookieExpiresAt.getTime() - serverNow;
    await fetch(`${proxyUrl}/__dev/clock?advance_ms=${leftMs - 7 * DAY}`, { method: 'POST' });
    await C.client.reload();
    out.expiresBefore = C.client.cookieExpiresAt.getTime();
    // isEligibleForTouch() compares with the browser's clock, which has not moved: this page
    // lives the server's offset ahead from here on, as a browser 393 days later would.
    const offset = (await (await fetch(`${proxyUrl}/__dev/clock`)).json()).offset_ms;
    const realNow = Date.now;
    Date.now = () => realNow() + offset;
    out.eligibleLater = C.client.isEligibleForTouch();
    out.touchUrl = C.client.buildTouchUrl({ redirectUrl: new URL('/page.html?touched=1', location.href) });
    // The session is long abandoned by now: sign in again, then let clerk-js navigate.
    const again = await C.client.signIn.create({ identifier: 'bob@example.com', password: 'demo-password-1' });
    out.sessionAgain = again.createdSessionId;
    return out;
  }, { proxyUrl, DAY });
  // setActive({redirectUrl}) sends an eligible client through /v1/client/touch
  // (#decorateUrlWithTouch), which extends it and redirects back to redirectUrl.
  await page.evaluate((id) => { window.Clerk.setActive({ session: id, redirectUrl: '/page.html?touched=1' }); }, out.sessionAgain);
  await page.waitForURL((u) => u.search === '?touched=1', { timeout: 15000 });
  await page.waitForFunction(() => window.Clerk, null, { timeout: 15000 });
  await page.evaluate(() => window.Clerk.load({ telemetry: false }));
  out.landedOn = page.url();
  Object.assign(out, await page.evaluate(() => {
    const C = window.Clerk;
    return { clientIdAfter: C.client.id, expiresAfter: C.client.cookieExpiresAt.getTime(), sessionAfter: C.session?.id ?? null };
  }));
  console.log(JSON.stringify(out));
} catch (e) {
  console.log(JSON.stringify({ error: String(e?.stack ?? e) }));
  exitCode = 1;
} finally {
  await browser.close();
}
process.exit(exitCode);
