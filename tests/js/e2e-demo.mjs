// End-to-end test of the demo app (www/) against its own clerk-server (fresh seeded database,
// free loopback port, the site served on the same origin), in Debian's Chromium (playwright-core)
// or, with --browser=firefox|webkit, in Firefox ESR or WebKitGTK (W3C WebDriver, browser.mjs).
// Needs pkg/ (.ci/build-package). Screenshots go to tests/js/out/ (out/<engine>/ for the others).
//
// Flow: sign in bob → add alice (password + TOTP) → switch sessions → switch organization (token
// claims) → second tab → sign out one session → sign out of all (the second tab follows) →
// email-code sign-in → sign-up with email verification. Each step also checks what the server
// recorded in /__dev/requests.
import { prepareSite, startClerkServer } from './server.mjs';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { engine, launch, scriptName } from './browser.mjs';
import { totp } from './totp.mjs';

const root = new URL('../../', import.meta.url).pathname;
const out = join(root, 'tests/js/out', engine === 'chromium' ? '' : engine);
const NAME = scriptName('e2e-demo');
const PASSWORD = 'demo-password-1';
const TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const TOKEN_TTL = 20; // seconds: short, so that a background refresh happens during the test

let passed = 0, failed = 0, skipped = 0;
function check(name, ok, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${NAME}: ${name}${ok || detail === undefined ? '' : ` — ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`}`);
  ok ? passed++ : failed++;
  return ok;
}
/** A cross-tab check: skipped, not failed, while the library has no BroadcastChannel sync. */
const hasTabSync = () => readFileSync(join(root, 'pkg/index.js'), 'utf8').includes('new BroadcastChannel');
function crossTab(name, ok, detail) {
  if (ok || hasTabSync()) return check(`${name} (cross-tab sync)`, ok, detail);
  console.log(`SKIP ${NAME}: ${name} (cross-tab sync not in library yet)`);
  skipped++;
}


function decodeJwt(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

// ---------------------------------------------------------------- the server and the site

const { dir, site } = prepareSite(NAME, { withDemo: true });
mkdirSync(out, { recursive: true });

const clerkServer = await startClerkServer({ db: join(dir, 'clerk.db'), www: site, ttl: TOKEN_TTL });
const { base } = clerkServer;
const server = clerkServer.process;
if (!clerkServer.started) {
  console.log(clerkServer.log());
  console.log(`FAIL ${NAME}: clerk-server did not start`);
  console.log(`${NAME}: 0 passed, 1 failed`);
  clerkServer.stop();
  process.exit(1);
}
const { orgId } = clerkServer;

const counters = async () => (await fetch(`${base}/__dev/requests`)).json();
const resetCounters = () => fetch(`${base}/__dev/requests/reset`, { method: 'POST' });
/** Requests to Frontend API routes (not the dev endpoints or static files). */
const fapi = (c) => Object.fromEntries(Object.entries(c).filter(([k]) => k.includes('/v1/')));

// ---------------------------------------------------------------- the pages

const { browser, context } = await launch().catch((e) => {
  console.log(`FAIL ${NAME}: the browser did not start — ${e.message}`);
  console.log(`${NAME}: 0 passed, 1 failed`);
  clerkServer.stop();
  process.exit(1);
});
const pageErrors = [];
async function openTab(width = 1280, height = 900) {
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.setViewportSize({ width, height });
  await page.goto(`${base}/`);
  await page.waitForSelector('#status:not([data-state=loading])', { timeout: 20000 });
  return page;
}
const status = (page) => page.textContent('#status');
const waitStatus = (page, text, timeout = 15000) =>
  page.waitForFunction((t) => document.querySelector('#status')?.textContent === t, text, { timeout }).then(() => true, () => false);
const shot = (page, name) => page.screenshot({ path: join(out, `${name}.png`), fullPage: true });
const sessionRows = (page) => page.$$eval('#session-list li[data-session-id]', (lis) => lis.map((li) => ({
  id: li.dataset.sessionId,
  who: li.querySelector('.who')?.textContent,
  badge: li.querySelector('.badge')?.textContent,
  current: li.classList.contains('current'),
  canSwitch: !!li.querySelector('[data-action=switch-session]'),
})));
/** The claims shown in the token panel, once they satisfy `pred` (JSON part of the <pre>). */
async function claimsWhere(page, pred, timeout = 10000) {
  const deadline = Date.now() + timeout;
  let claims = null;
  while (Date.now() < deadline) {
    const text = await page.textContent('#token-claims');
    try { claims = JSON.parse(text.split('\n\n//')[0]); } catch { claims = null; }
    if (claims && pred(claims)) return claims;
    await page.waitForTimeout(100);
  }
  return claims;
}
async function signIn(page, email) {
  await page.fill('#sign-in-form [name=email]', email);
  await page.fill('#sign-in-form [name=password]', PASSWORD);
  await page.click('#sign-in-form button[type=submit]');
}
const cardError = (page, card) => page.$eval(`${card} .error`, (e) => (e.hidden ? '' : e.textContent));

let exitCode = 1;
try {
  // 1. A fresh browser: signed out, the sign-in card shown.
  const tab1 = await openTab();
  check('page loads signed out', await waitStatus(tab1, 'Signed out'), await status(tab1));
  check('sign-in card visible, sessions hidden',
    await tab1.isVisible('#sign-in-form') && !(await tab1.isVisible('#sessions')));
  let c = await counters();
  check('load: one environment and one client request',
    c['PATCH /v1/environment'] === 1 && c['GET /v1/client'] === 1, fapi(c));
  // The page is served at the Frontend API's own origin: the __client cookie is first-party.
  check('load: no dev browser at the page\'s own origin', !c['POST /v1/dev_browser'], fapi(c));
  await shot(tab1, '01-signed-out');

  // 2. Sign in bob with his password.
  await resetCounters();
  await signIn(tab1, 'bob@example.com');
  check('bob signs in', await waitStatus(tab1, 'Signed in as bob@example.com'), [await status(tab1), await cardError(tab1, '#auth')]);
  let rows = await sessionRows(tab1);
  const bobSid = rows[0]?.id;
  check('session list: bob, current', rows.length === 1 && rows[0].who === 'bob@example.com' && rows[0].current, rows);
  let claims = await claimsWhere(tab1, (cl) => cl.sid === bobSid);
  check('token panel shows bob\'s token (sid, sub)', claims?.sid === bobSid && claims?.sub?.startsWith('user_'), claims);
  check('countdown to expiry shown', /^Expires in \d+ s/.test(await tab1.textContent('#token-countdown')));
  const steps = await tab1.$$eval('#event-log li.step', (lis) => lis.map((li) => li.textContent));
  check('event log shows setActive\'s undefined step', steps.some((t) => /session: undefined/.test(t) && /sessions: 1/.test(t)), steps);
  c = await counters();
  check('server saw one sign-in create + one password attempt + one touch',
    c['POST /v1/client/sign_ins'] === 1 && c['POST /v1/client/sign_ins/{id}/attempt_first_factor'] === 1
    && c['POST /v1/client/sessions/{id}/touch'] === 1, fapi(c));
  await shot(tab1, '02-bob-signed-in');

  // 3. Add alice as a second session: password, then TOTP (computed here, RFC 6238).
  await tab1.click('#add-account');
  check('"Add another account" shows the sign-in card', await tab1.isVisible('#sign-in-form') && (await tab1.textContent('#auth-title')) === 'Add another account');
  await resetCounters();
  await signIn(tab1, 'alice@example.com');
  await tab1.waitForSelector('#code-form:not([hidden])', { timeout: 10000 }).catch(() => {});
  check('alice is asked for a TOTP code', /TOTP/.test(await tab1.textContent('#code-label')), await cardError(tab1, '#auth'));
  await shot(tab1, '03-alice-totp');
  await tab1.setViewportSize({ width: 360, height: 740 });
  await shot(tab1, '03-alice-totp-360');
  await tab1.setViewportSize({ width: 1280, height: 900 });
  await tab1.fill('#code-form [name=code]', totp(TOTP_SECRET));
  await tab1.click('#code-form button[type=submit]');
  check('alice signs in with TOTP', await waitStatus(tab1, 'Signed in as alice@example.com'), [await status(tab1), await cardError(tab1, '#auth')]);
  rows = await sessionRows(tab1);
  const aliceSid = rows.find((r) => r.who === 'alice@example.com')?.id;
  check('two sessions: alice current, bob switchable',
    rows.length === 2 && rows.find((r) => r.id === aliceSid)?.current && rows.find((r) => r.id === bobSid)?.canSwitch, rows);
  claims = await claimsWhere(tab1, (cl) => cl.sid === aliceSid);
  check('token panel switched to alice\'s sid', claims?.sid === aliceSid, claims);
  c = await counters();
  check('server saw one TOTP attempt', c['POST /v1/client/sign_ins/{id}/attempt_second_factor'] === 1, fapi(c));

  // 4. Switch between the two sessions.
  await resetCounters();
  await tab1.click(`#session-list li[data-session-id="${bobSid}"] [data-action=switch-session]`);
  check('switch to bob', await waitStatus(tab1, 'Signed in as bob@example.com'), await status(tab1));
  claims = await claimsWhere(tab1, (cl) => cl.sid === bobSid);
  check('token sid follows the switch (bob)', claims?.sid === bobSid, claims);
  await tab1.click(`#session-list li[data-session-id="${aliceSid}"] [data-action=switch-session]`);
  check('switch back to alice', await waitStatus(tab1, 'Signed in as alice@example.com'), await status(tab1));
  claims = await claimsWhere(tab1, (cl) => cl.sid === aliceSid);
  check('token sid follows the switch (alice)', claims?.sid === aliceSid, claims);
  c = await counters();
  check('server saw exactly two session touches, no sign-ins',
    c['POST /v1/client/sessions/{id}/touch'] === 2 && !c['POST /v1/client/sign_ins'], fapi(c));

  // 5. Organization switch: alice is org:admin of Acme.
  await resetCounters();
  await tab1.click(`#org-list [data-org-id="${orgId}"]`);
  claims = await claimsWhere(tab1, (cl) => cl.o?.id === orgId);
  check('org switch: token claims show o.id and the admin role', claims?.o?.id === orgId && claims?.o?.rol === 'admin', claims);
  check('org switcher marks Acme active', await tab1.getAttribute(`#org-list [data-org-id="${orgId}"]`, 'aria-pressed') === 'true');
  c = await counters();
  check('org switch: one touch', c['POST /v1/client/sessions/{id}/touch'] === 1, fapi(c));
  await shot(tab1, '04-alice-acme');
  await tab1.setViewportSize({ width: 360, height: 740 });
  await shot(tab1, '04-alice-acme-360');
  // Firefox and MiniBrowser windows cannot be as narrow as 360 px (webdriver.mjs): the width says.
  const [overflow, narrow] = await tab1.evaluate(() => [document.documentElement.scrollWidth - innerWidth, innerWidth]);
  check(`no horizontal overflow at ${narrow} px`, overflow <= 0, `${overflow}px too wide`);
  await tab1.setViewportSize({ width: 1280, height: 900 });
  await tab1.click('#org-list [data-org-id=""]');
  claims = await claimsWhere(tab1, (cl) => cl.sid === aliceSid && !cl.o);
  check('personal account: no org claims', claims?.sid === aliceSid && !claims?.o, claims);

  // 5b. The token panel: "Refresh now" (skipCache) makes one request; then the library refreshes
  // the token by itself before it expires (the server runs with a short --token-ttl).
  await resetCounters();
  const before = await claimsWhere(tab1, (cl) => cl.sid === aliceSid);
  await tab1.waitForTimeout(1100); // a new second, so that the new token's iat differs
  await tab1.click('[data-action=refresh-token]');
  claims = await claimsWhere(tab1, (cl) => cl.sid === aliceSid && cl.iat > before.iat);
  c = await counters();
  check('"Refresh now" (skipCache): a new token, one token request',
    claims?.iat > before.iat && c['POST /v1/client/sessions/{id}/tokens'] === 1, [claims, fapi(c)]);
  const shown = claims;
  await resetCounters();
  claims = await claimsWhere(tab1, (cl) => cl.sid === aliceSid && cl.iat > shown.iat, (TOKEN_TTL + 5) * 1000);
  check('background refresh: a newer token, minted before the old one expired',
    claims?.iat > shown.iat && claims.iat < shown.exp, { shown, claims });
  c = await counters();
  check('background refresh: token requests made by the library', c['POST /v1/client/sessions/{id}/tokens'] >= 1, fapi(c));
  check('countdown shown with the lifetime', new RegExp(`lifetime ${TOKEN_TTL} s`).test(await tab1.textContent('#token-countdown')));

  // 6. A second tab of the same browser shares the client (cookies).
  const tab2 = await openTab();
  check('tab 2 loads signed in as alice', await waitStatus(tab2, 'Signed in as alice@example.com'), await status(tab2));
  check('tab 2 lists both sessions', (await sessionRows(tab2)).length === 2);
  await tab2.waitForTimeout(1500); // let tab 2 settle (its first token) before counting
  await resetCounters();
  await tab1.click(`#session-list li[data-session-id="${bobSid}"] [data-action=switch-session]`);
  check('tab 1 switches to bob', await waitStatus(tab1, 'Signed in as bob@example.com'), await status(tab1));
  crossTab('tab 2 follows the switch to bob', await waitStatus(tab2, 'Signed in as bob@example.com', 5000), await status(tab2));
  claims = await claimsWhere(tab2, (cl) => cl.sid === bobSid, 5000);
  crossTab('tab 2 shows bob\'s token', claims?.sid === bobSid, claims);
  c = fapi(await counters());
  crossTab('the switch cost one request in all (tab 2 asked nothing)',
    c['POST /v1/client/sessions/{id}/touch'] === 1 && Object.values(c).reduce((a, b) => a + b, 0) === 1, c);
  await tab1.click(`#session-list li[data-session-id="${aliceSid}"] [data-action=switch-session]`);
  check('tab 1 switches back to alice', await waitStatus(tab1, 'Signed in as alice@example.com'), await status(tab1));
  crossTab('tab 2 follows the switch back', await waitStatus(tab2, 'Signed in as alice@example.com', 5000), await status(tab2));

  // 7. Sign out one session (bob's) from tab 1.
  await resetCounters();
  await tab1.click(`#session-list li[data-session-id="${bobSid}"] [data-action=sign-out-session]`);
  const bobGone = await tab1.waitForFunction((sid) => {
    const li = document.querySelector(`#session-list li[data-session-id="${sid}"]`);
    return !li || !li.querySelector('[data-action=sign-out-session]');
  }, bobSid, { timeout: 10000 }).then(() => true, () => false);
  rows = await sessionRows(tab1);
  check('bob\'s session signed out, alice still current', bobGone && rows.find((r) => r.id === aliceSid)?.current, rows);
  check('still signed in as alice', (await status(tab1)) === 'Signed in as alice@example.com', await status(tab1));
  const tab2Bob = await tab2.waitForFunction((sid) => {
    const li = document.querySelector(`#session-list li[data-session-id="${sid}"]`);
    return !li || !li.querySelector('[data-action=sign-out-session]');
  }, bobSid, { timeout: 5000 }).then(() => true, () => false);
  crossTab('tab 2 shows bob\'s session signed out', tab2Bob, await sessionRows(tab2));
  c = await counters();
  const ends = (c['POST /v1/client/sessions/{id}/end'] ?? 0) + (c['POST /v1/client/sessions/{id}/remove'] ?? 0);
  check('server saw one session end', ends === 1, fapi(c));
  await shot(tab1, '05-bob-signed-out');

  // 8. Sign out of all sessions; tab 2 must follow.
  await resetCounters();
  await tab1.click('#sign-out-all');
  check('sign out of all: tab 1 signed out', await waitStatus(tab1, 'Signed out'), await status(tab1));
  check('sign-in card back, sessions and token hidden',
    await tab1.isVisible('#sign-in-form') && !(await tab1.isVisible('#sessions')) && !(await tab1.isVisible('#token')));
  c = await counters();
  check('server saw the sign-out', Object.keys(c).some((k) => /sessions|client/.test(k) && /DELETE|end|remove/.test(k)), fapi(c));
  crossTab('tab 2 shows signed out', await waitStatus(tab2, 'Signed out', 5000), await status(tab2));
  await shot(tab1, '06-signed-out-all');
  await shot(tab2, '06-tab2-after-sign-out');
  await tab2.close();

  // 9. Email code as the first factor (bob), using the demo's "dev: fill code" button.
  await resetCounters();
  await tab1.fill('#sign-in-form [name=email]', 'bob@example.com');
  await tab1.click('[data-action=sign-in-email-code]');
  await tab1.waitForSelector('#code-form:not([hidden])', { timeout: 10000 }).catch(() => {});
  check('email code requested', /Email code/.test(await tab1.textContent('#code-label')), await cardError(tab1, '#auth'));
  const outbox = await (await fetch(`${base}/__dev/emails?to=bob@example.com`)).json();
  await tab1.click('[data-action=dev-fill-code]');
  await tab1.waitForFunction(() => document.querySelector('#code-form [name=code]').value.length === 6, null, { timeout: 5000 }).catch(() => {});
  check('"dev: fill code" fills the outbox code', await tab1.inputValue('#code-form [name=code]') === outbox.latest_code, outbox.latest_code);
  await tab1.click('#code-form button[type=submit]');
  check('bob signs in with an email code', await waitStatus(tab1, 'Signed in as bob@example.com'), [await status(tab1), await cardError(tab1, '#auth')]);
  c = await counters();
  check('server saw prepare + attempt first factor',
    c['POST /v1/client/sign_ins/{id}/prepare_first_factor'] === 1 && c['POST /v1/client/sign_ins/{id}/attempt_first_factor'] === 1, fapi(c));

  // 10. Sign out this session with session.end(); then a wrong password shows a typed error.
  await tab1.click('[data-action=sign-out-current]');
  check('"Sign out of this session" ends it', await waitStatus(tab1, 'Signed out'), await status(tab1));
  await tab1.fill('#sign-in-form [name=email]', 'bob@example.com');
  await tab1.fill('#sign-in-form [name=password]', 'wrong-password');
  await tab1.click('#sign-in-form button[type=submit]');
  await tab1.waitForSelector('#auth .error:not([hidden])', { timeout: 10000 }).catch(() => {});
  const err = await cardError(tab1, '#auth');
  check('wrong password: error with its code', /\(form_password_incorrect\)$/.test(err), err);
  await shot(tab1, '07-error');

  // 11. Sign up with email verification.
  const email = `carol+${Date.now()}@example.com`;
  await tab1.click('[role=tab][data-tab=sign-up]');
  await tab1.fill('#sign-up-form [name=email]', email);
  await tab1.fill('#sign-up-form [name=password]', 'carol-password-1');
  await tab1.click('#sign-up-form button[type=submit]');
  await tab1.waitForSelector('#code-form:not([hidden])', { timeout: 10000 }).catch(() => {});
  check('sign-up asks for the email code', /Verify/.test(await tab1.textContent('#code-prompt')), await cardError(tab1, '#auth'));
  await tab1.click('[data-action=dev-fill-code]');
  await tab1.waitForFunction(() => document.querySelector('#code-form [name=code]').value.length === 6, null, { timeout: 5000 }).catch(() => {});
  await tab1.click('#code-form button[type=submit]');
  check('sign-up completes and signs in', await waitStatus(tab1, `Signed in as ${email}`), [await status(tab1), await cardError(tab1, '#auth')]);
  await tab1.setViewportSize({ width: 360, height: 740 });
  await shot(tab1, '08-signed-up-360');

  await tab1.flushErrors?.(); // WebDriver pages collect uncaught errors when asked (webdriver.mjs)
  check('no uncaught errors in the pages', pageErrors.length === 0, pageErrors);
  exitCode = failed ? 1 : 0;
} catch (e) {
  check('test ran to the end', false, String(e?.stack ?? e));
} finally {
  await browser.close();
  server.kill();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${NAME}: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(exitCode);
