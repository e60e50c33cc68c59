#!/usr/bin/env node
// Real @clerk/clerk-js (browser build) in headless Chromium with a virtual authenticator (the
// DevTools protocol's WebAuthn domain): user.createPasskey(), then
// signIn.authenticateWithPasskey(), against clerk-server. The page is on http://localhost:PORT
// (browsers refuse IP addresses as WebAuthn RP IDs).
// Usage: node clerk_js_passkeys.mjs PAGE_URL PROXY_URL
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
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-blink-features=AutomationControlled'],
});
let exitCode = 0;
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('pageerror', e.message));
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true },
  });
  await page.goto(pageUrl);
  await page.waitForFunction(() => window.Clerk, null, { timeout: 15000 });
  await page.evaluate(() => window.Clerk.load({ telemetry: false }));
  const out = await page.evaluate(async ({ proxyUrl }) => {
    const C = window.Clerk;
    const out = {};
    const refusal = async (p) => {
      try { await p; return 'no error'; } catch (e) { return [e.status ?? null, e.errors?.[0]?.code ?? e.code]; }
    };
    // Keep every assertion the authenticator makes, to replay one later.
    const assertions = [];
    const get = navigator.credentials.get.bind(navigator.credentials);
    navigator.credentials.get = async (opts) => { const c = await get(opts); assertions.push(c); return c; };

    let si = await C.client.signIn.create({ identifier: 'bob@example.com', password: 'demo-password-1' });
    await C.setActive({ session: si.createdSessionId });
    out.beforeCreate = C.user.passkeys.length;
    const passkey = await C.user.createPasskey();
    out.created = [passkey.verification?.status, typeof passkey.id, passkey.name];
    await C.client.reload(); // (clerk-server has no GET /v1/me; the client carries the user)
    out.userPasskeys = C.user.passkeys.map((p) => p.verification?.status);
    await C.session.end();

    si = await C.client.signIn.create({ identifier: 'bob@example.com' });
    out.factors = si.supportedFirstFactors.map((f) => f.strategy).filter((s) => s === 'passkey');
    si = await C.client.signIn.authenticateWithPasskey();
    out.signedIn = [si.status, typeof si.createdSessionId, si.firstFactorVerification.strategy];
    await C.setActive({ session: si.createdSessionId });
    out.user = C.user.primaryEmailAddress?.emailAddress ?? null;
    out.lastUsed = C.user.passkeys[0]?.lastUsedAt instanceof Date;
    await C.session.end();

    // Replay: the assertion that signed in, sent against a new challenge.
    si = await C.client.signIn.create({ identifier: 'bob@example.com' });
    si = await si.prepareFirstFactor({ strategy: 'passkey' });
    out.replayed = await refusal(si.attemptFirstFactor({ strategy: 'passkey', publicKeyCredential: assertions[0] }));
    // The challenge is spent by the refused attempt: no second try with it.
    out.afterReplay = await refusal(si.attemptFirstFactor({ strategy: 'passkey', publicKeyCredential: assertions[0] }));
    // Guessing is limited like any other factor: five refusals lock the sign-in.
    for (let i = 0; i < 4; i++) {
      await si.prepareFirstFactor({ strategy: 'passkey' });
      await refusal(si.attemptFirstFactor({ strategy: 'passkey', publicKeyCredential: assertions[0] }));
    }
    out.locked = await refusal(si.prepareFirstFactor({ strategy: 'passkey' }));
    return out;
  }, { proxyUrl });
  // No credential left on the device: the browser refuses, clerk-js reports it as such.
  await cdp.send('WebAuthn.clearCredentials', { authenticatorId });
  out.noCredential = await page.evaluate(async () => {
    const C = window.Clerk;
    const si = await C.client.signIn.create({ identifier: 'bob@example.com' });
    try { await si.authenticateWithPasskey(); return 'no error'; } catch (e) { return e.code; }
  });
  console.log(JSON.stringify(out));
} catch (e) {
  console.log(JSON.stringify({ error: String(e?.stack ?? e) }));
  exitCode = 1;
} finally {
  await browser.close();
}
process.exit(exitCode);
