#!/usr/bin/env node
// The handshake in headless Chromium: real clerk-js signs in on an app page, the app's servers
// (@clerk/backend and @clerk/express, see app_server.mjs) read the cookies, and when the
// session token has expired they send the browser through clerk-server's
// /v1/client/handshake and back.
// Usage: node handshake_drive.mjs '{"fapiUrl":…,"pk":…,"sk":…}'
// Prints one JSON object with what each step saw; exits 1 on a failed step.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

import { startApps } from './app_server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../../tests/js/package.json'));
const { chromium } = require('playwright-core');

const { fapiUrl, pk, sk } = JSON.parse(process.argv[2]);
process.env.CLERK_TELEMETRY_DISABLED = '1';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const decode = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

const apps = await startApps({ pk, sk, fapiUrl });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const out = {};
let exitCode = 0;
try {
  const context = await browser.newContext();
  const handshakes = async () => (await (await fetch(`${fapiUrl}/__dev/requests`)).json())['GET /v1/client/handshake'] ?? 0;
  /** The app's cookies (on the page's host), by name, with the attributes the tests check. */
  const cookies = async () => Object.fromEntries((await context.cookies(apps.backendUrl)).map((c) => [c.name, c]));
  /** A top-level navigation, as a user's, and what the app's server answered in the end. */
  const visit = async (url) => {
    const before = await handshakes();
    const p = await context.newPage();
    await p.goto(url);
    const auth = JSON.parse(await p.locator('#auth').textContent());
    const finalUrl = p.url();
    await p.close();
    return { auth, finalUrl, handshakes: (await handshakes()) - before };
  };
  /** Waits until the token in `__session` has expired (the apps allow no clock skew). */
  const waitForExpiry = async () => {
    const c = await cookies();
    const exp = decode(c.__session.value).exp;
    await sleep(Math.max(0, exp * 1000 - Date.now()) + 1200);
    return exp;
  };
  const sessionCookie = async () => {
    const c = await cookies();
    return c.__session ? { exp: decode(c.__session.value).exp, sid: decode(c.__session.value).sid, value: c.__session.value } : null;
  };

  // 1. First visit, before clerk-js ever ran.
  out.first = await visit(`${apps.backendUrl}/page`);
  out.firstCookies = Object.keys(await cookies()).sort();

  // 2. clerk-js signs bob in on the app's page; it writes the session cookies.
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('pageerror', e.message));
  await page.goto(`${apps.backendUrl}/page?clerk=1`);
  await page.waitForFunction(() => window.Clerk, null, { timeout: 15000 });
  out.signIn = await page.evaluate(async () => {
    const C = window.Clerk;
    await C.load({ telemetry: false });
    const si = await C.client.signIn.create({ identifier: 'bob@example.com', password: 'demo-password-1' });
    await C.setActive({ session: si.createdSessionId });
    return { sessionId: C.session.id, userId: C.user.id };
  });
  await page.waitForFunction(() => document.cookie.includes('__session='), null, { timeout: 10000 });
  // Read while clerk-js still keeps the token fresh (tokens live seconds here, and a loaded
  // machine could otherwise let this one expire first).
  const c = await cookies();
  out.afterSignIn = {
    names: Object.keys(c).sort(),
    session: c.__session && { sameSite: c.__session.sameSite, httpOnly: c.__session.httpOnly, path: c.__session.path },
    clientUat: c.__client_uat?.value ?? null,
  };
  await page.evaluate(() => window.Clerk.session.getToken({ skipCache: true }));
  out.fresh = await visit(`${apps.backendUrl}/page`);
  await page.close(); // clerk-js stops refreshing the token: the cookie is left to expire.

  // 3. The token expires; the plain @clerk/backend app runs the handshake.
  let before = await sessionCookie();
  out.expiredExp = await waitForExpiry();
  out.expiredApi = JSON.parse(await (await context.request.get(`${apps.backendUrl}/api/auth`)).text());
  out.backendHandshake = await visit(`${apps.backendUrl}/page`);
  let after = await sessionCookie();
  out.backendCookie = { changed: after?.value !== before.value, sid: after?.sid ?? null, expInFuture: after ? after.exp * 1000 > Date.now() : false };
  out.backendApiAfter = JSON.parse(await (await context.request.get(`${apps.backendUrl}/api/auth`)).text());

  // 4. The same with @clerk/express.
  before = after;
  await waitForExpiry();
  out.expressHandshake = await visit(`${apps.expressUrl}/page`);
  after = await sessionCookie();
  out.expressCookie = { changed: after?.value !== before.value, sid: after?.sid ?? null, expInFuture: after ? after.exp * 1000 > Date.now() : false };
  out.expressApiAfter = JSON.parse(await (await context.request.get(`${apps.expressUrl}/api/auth`)).text());

  // 5. The token format (older SDKs; no `format=nonce`): the handshake comes back as a JWT that
  // @clerk/backend verifies with the instance's JWKS before applying its directives.
  const db = (await cookies()).__clerk_db_jwt?.value;
  const hs = new URL(`${fapiUrl}/v1/client/handshake`);
  hs.searchParams.set('redirect_url', `${apps.backendUrl}/page`);
  if (db) hs.searchParams.set('__clerk_db_jwt', db);
  out.tokenFormat = await visit(hs.href);
  out.tokenFormatSid = (await sessionCookie())?.sid ?? null;

  // 6. The session is revoked on the Backend API; at the next expiry the handshake signs out.
  await apps.clerkClient.sessions.revokeSession(out.signIn.sessionId);
  await waitForExpiry();
  out.revokedExpress = await visit(`${apps.expressUrl}/page`);
  const r = await cookies();
  out.revokedCookies = { session: r.__session?.value ?? null, clientUat: r.__client_uat?.value ?? null };
  out.revokedBackend = await visit(`${apps.backendUrl}/page`);
  console.log(JSON.stringify(out));
} catch (e) {
  console.log(JSON.stringify({ ...out, error: String(e?.stack ?? e) }));
  exitCode = 1;
} finally {
  await browser.close();
  await apps.close();
}
process.exit(exitCode);
