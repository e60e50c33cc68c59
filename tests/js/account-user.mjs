// Issue 20's user-account flows in headless Chromium against clerk-server, on a library chosen
// with `--lib=clerk-js|clerk-rs` (default: both, one after the other, each on a fresh server and
// in a fresh browser context, and then their results compared strictly). The in-page steps are
// one module, `account/user-steps.js`, that uses only clerk-js's documented API, so the very
// same code runs on both libraries: clerk-js 6.40 from server/tests/js/node_modules, clerk-rs
// from the built package `pkg/`. The server's view is checked through @clerk/backend
// (`createClerkClient({secretKey, apiUrl})`): the name change in `users.getUser`, a revoked
// device session's `sessions.getToken` refused, the deleted user gone.
//
// The page is on http://localhost:PORT (browsers refuse IP addresses as WebAuthn RP IDs, and
// clerk-js refuses a publishable key for a host without a dot, so the server's frontend host
// stays 127.0.0.1: the steps open the URLs it hands out on the page's origin, as the same
// server). Passkeys use Chromium's virtual authenticator (DevTools' WebAuthn domain). Results keep undefined apart from null (a tagging
// replacer in the page), and are compared with isDeepStrictEqual, never as JSON text.
//
// The last line is `account-user: N passed, M failed`; the exit code is non-zero on a failure.
// `ACCOUNT_DUMP=1` prints each library's whole result (to update `account/user-expected.mjs`).
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual, inspect } from 'node:util';
import { chromium } from 'playwright-core';
import { createClerkClient } from '@clerk/backend';
import { CHROMIUM_ARGS } from './browser.mjs';
import { freePort } from './server.mjs';
import { expected } from './account/user-expected.mjs';

const NAME = 'account-user';
const root = new URL('../../', import.meta.url).pathname;
const here = new URL('.', import.meta.url).pathname;
const LIBS = ['clerk-js', 'clerk-rs'];
const arg = process.argv.find((a) => a.startsWith('--lib='))?.slice('--lib='.length) ?? 'both';
if (arg !== 'both' && !LIBS.includes(arg)) {
  console.log(`unknown --lib=${arg}: clerk-js, clerk-rs or both`);
  process.exit(2);
}
const libs = arg === 'both' ? LIBS : [arg];

let passed = 0, failed = 0;
function check(name, ok, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${NAME}: ${name}${ok || detail === undefined ? '' : ` — ${inspect(detail, { depth: 8, breakLength: 160 })}`}`);
  ok ? passed++ : failed++;
}
function finish() {
  console.log(`${NAME}: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

const clerkJsDist = join(root, 'server/tests/js/node_modules/@clerk/clerk-js/dist');
const missing = { 'clerk-js': join(clerkJsDist, 'clerk.browser.js'), 'clerk-rs': join(root, 'pkg/index.js') };
for (const lib of libs) {
  if (!existsSync(missing[lib])) {
    check(`${lib} is built`, false, `${missing[lib]} is missing`);
    finish();
  }
}
execFileSync('cargo', ['build', '-q', '-p', 'clerk-server'], { cwd: root, stdio: 'inherit' });

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
  // undefined is kept apart from null: JSON has no undefined, so it travels tagged.
  const tag = (k, v) => (v === undefined ? { $undefined: true } : v);
  const q = new URLSearchParams(location.search);
  if (q.get('lib')) {
    try {
      const info = await (await fetch('/__dev/instance')).json();
      let clerk;
      if (q.get('lib') === 'clerk-js') {
        window.__clerk_publishable_key = info.publishable_key;
        window.__clerk_proxy_url = location.origin;
        await new Promise((ok, ko) => { const s = document.createElement('script'); s.src = '/clerk/clerk.browser.js'; s.onload = ok; s.onerror = ko; document.head.append(s); });
        // The bundle makes window.Clerk once its chunks have loaded, after the script's onload.
        for (let i = 0; i < 300 && !window.Clerk; i++) await new Promise((r) => setTimeout(r, 50));
        clerk = window.Clerk;
      } else {
        const { Clerk } = await import('/pkg/index.js');
        clerk = new Clerk(info.publishable_key, { proxyUrl: location.origin });
      }
      await clerk.load();
      const { run } = await import('/account/user-steps.js');
      const hooks = { bapiUser: () => window.bapiUser(), bapiMint: (id) => window.bapiMint(id), signInStatus: (i, p) => window.signInStatus(i, p) };
      const result = await run(clerk, { email: q.get('email'), password: q.get('password'), otherSessionId: q.get('other'), hooks });
      window.accountResult = JSON.stringify({ ok: true, result }, tag);
    } catch (e) {
      window.accountResult = JSON.stringify({ ok: false, error: String(e && e.stack || e) });
    }
  }
</script>`;

/** A site folder with the page, the steps, clerk-js's dist and (when built) the package. */
function prepareSite() {
  const dir = mkdtempSync(join(tmpdir(), 'clerk-rs-account-'));
  const site = join(dir, 'site');
  mkdirSync(site);
  if (existsSync(clerkJsDist)) symlinkSync(clerkJsDist, join(site, 'clerk'));
  if (existsSync(join(root, 'pkg/index.js'))) cpSync(join(root, 'pkg'), join(site, 'pkg'), { recursive: true });
  cpSync(join(here, 'account'), join(site, 'account'), { recursive: true });
  writeFileSync(join(site, 'account.html'), PAGE);
  return { dir, site };
}

/** clerk-server on a free port; the page is opened at `http://localhost:PORT` (see the top). */
async function startServer(dir, site) {
  const port = await freePort();
  const args = ['--db', join(dir, 'clerk.db'), '--addr', `127.0.0.1:${port}`, '--www', site, '--dev', '--seed'];
  const proc = spawn(join(root, 'target/debug/clerk-server'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  for (let waited = 0; waited < 60_000 && proc.exitCode === null && !log.includes('listening'); waited += 50) {
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    base: `http://127.0.0.1:${port}`,
    page: `http://localhost:${port}`,
    started: log.includes('listening'),
    secretKey: log.match(/secret key:\s+(\S+)/)?.[1],
    log: () => log,
    stop: () => { if (proc.exitCode === null) proc.kill('SIGTERM'); },
  };
}

const EMAIL = 'ada@example.com';
const PASSWORD = 'first-password-1';

/** One library's run on a fresh server and browser context: the page's result (tagged JSON
 * parsed, `$undefined` markers kept) and what the Backend API saw after it. */
async function runLibrary(browser, lib) {
  const { dir, site } = prepareSite();
  const srv = await startServer(dir, site);
  try {
    if (!srv.started || !srv.secretKey) throw new Error(`clerk-server did not start: ${srv.log()}`);
    const bapi = createClerkClient({ secretKey: srv.secretKey, apiUrl: srv.base });
    const user = await bapi.users.createUser({ emailAddress: [EMAIL], password: PASSWORD });
    await bapi.users.createUser({ emailAddress: ['holder@example.com'], username: 'taken_name', password: PASSWORD });
    // The user's other device: a session the Backend API made, on a client of its own.
    const other = await bapi.sessions.createSession({ userId: user.id });
    const context = await browser.newContext();
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await page.exposeFunction('bapiUser', async () => {
      const u = await bapi.users.getUser(user.id);
      return { firstName: u.firstName, lastName: u.lastName, username: u.username };
    });
    await page.exposeFunction('bapiMint', async (sid) => {
      try {
        return { minted: typeof (await bapi.sessions.getToken(sid)).jwt };
      } catch (e) {
        return { status: e.status, code: e.errors?.[0]?.code };
      }
    });
    await page.exposeFunction('signInStatus', async (identifier, password) => {
      const r = await fetch(`${srv.base}/v1/client/sign_ins`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: srv.base },
        body: new URLSearchParams({ identifier, password }),
      });
      const body = await r.json();
      return body.response?.status ?? body.errors?.[0]?.code;
    });
    const q = new URLSearchParams({ lib, email: EMAIL, password: PASSWORD, other: other.id });
    await page.goto(`${srv.page}/account.html?${q}`);
    const raw = await page.waitForFunction(() => window.accountResult, null, { timeout: 240_000 }).then((h) => h.jsonValue());
    const out = JSON.parse(raw);
    let afterDelete;
    try {
      await bapi.users.getUser(user.id);
      afterDelete = 'still there';
    } catch (e) {
      afterDelete = { status: e.status, code: e.errors?.[0]?.code };
    }
    await context.close();
    return { ...out, afterDelete, pageErrors };
  } finally {
    srv.stop();
  }
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
const results = {};
try {
  for (const lib of libs) {
    let r;
    try {
      r = await runLibrary(browser, lib);
    } catch (e) {
      check(`${lib}: the run finished`, false, String(e?.stack ?? e));
      continue;
    }
    check(`${lib}: the page ran to the end`, r.ok === true, { error: r.error, pageErrors: r.pageErrors });
    if (r.ok !== true) continue;
    results[lib] = r.result;
    if (process.env.ACCOUNT_DUMP) console.log(JSON.stringify(r.result, null, 1));
    for (const [step, want] of Object.entries(expected)) {
      check(`${lib}: ${step}`, isDeepStrictEqual(r.result[step], want), { got: r.result[step], want });
    }
    const unexpected = Object.keys(r.result).filter((k) => !(k in expected));
    check(`${lib}: every step is checked`, unexpected.length === 0, unexpected);
    check(`${lib}: @clerk/backend finds the deleted user no more`, isDeepStrictEqual(r.afterDelete, { status: 404, code: 'resource_not_found' }), r.afterDelete);
  }
  if (libs.length === 2 && results['clerk-js'] && results['clerk-rs']) {
    for (const step of Object.keys(expected)) {
      check(`clerk-rs matches clerk-js: ${step}`, isDeepStrictEqual(results['clerk-rs'][step], results['clerk-js'][step]),
        { 'clerk-js': results['clerk-js'][step], 'clerk-rs': results['clerk-rs'][step] });
    }
  }
} finally {
  await browser.close();
}
finish();
