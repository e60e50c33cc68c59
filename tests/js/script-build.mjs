// The script build (pkg/clerk.browser.js) in plain HTML pages, as Clerk's framework SDKs load it,
// in headless Chromium against clerk-server (which serves it at /npm/@clerk/clerk-js@6/dist/):
//   - only data attributes: a cross-origin `<script async crossorigin="anonymous"
//     data-clerk-publishable-key data-clerk-proxy-url data-clerk-domain nonce>` sets window.Clerk
//     to an unloaded instance with those options; the page then loads it and signs in;
//   - only globals (window.__clerk_publishable_key, a relative __clerk_proxy_url on the page's
//     own origin, proxied to clerk-server);
//   - the wasm served with a wrong Content-Type still compiles (the non-streaming fallback);
//   - the script injected a second time keeps the first instance.
import http from 'node:http';
import fs from 'node:fs';
import { join } from 'node:path';
import { launch } from './browser.mjs';
import { prepareSite, startClerkServer } from './server.mjs';
import { forward } from '../../www/vue/run.mjs';

const NAME = 'script-build';
const root = new URL('../../', import.meta.url).pathname;
let passed = 0, failed = 0;
function check(name, ok, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${NAME}: ${name}${ok || detail === undefined ? '' : ` — ${JSON.stringify(detail)}`}`);
  ok ? passed++ : failed++;
}

const { dir } = prepareSite(NAME);
// @clerk/ui's browser build, when .ci/setup installed it (optional): served beside ours.
const uiDist = join(root, 'server/ui/node_modules/@clerk/ui/dist');
const withUi = fs.existsSync(join(uiDist, 'ui.browser.js'));
const server = await startClerkServer({ db: join(dir, 'clerk.db'), library: join(root, 'pkg'), extraArgs: withUi ? ['--ui', uiDist] : [] });
const version = JSON.parse(fs.readFileSync(join(root, 'pkg/package.json'), 'utf8')).version;
let pages;
const { browser, context } = await launch();
try {
  if (!server.started) throw new Error(`clerk-server did not start: ${server.log()}`);
  const pk = server.log().match(/publishable key:\s+(\S+)/)[1];
  const sk = server.log().match(/secret key:\s+(\S+)/)[1];
  const scriptUrl = `${server.base}/npm/@clerk/clerk-js@6/dist/clerk.browser.js`;
  // The app's pages on another origin (localhost vs 127.0.0.1), with clerk-server also behind
  // its /__clerk, and a copy of the package served with the wrong wasm Content-Type.
  const html = {
    '/data.html': `<script async crossorigin="anonymous" nonce="n0nce" src="${scriptUrl}"
      data-clerk-publishable-key="${pk}" data-clerk-proxy-url="${server.base}" data-clerk-domain="https://example.com"></script>`,
    '/globals.html': `<script>window.__clerk_publishable_key = ${JSON.stringify(pk)}; window.__clerk_proxy_url = '/__clerk';</script>
      <script async crossorigin="anonymous" src="/__clerk/npm/@clerk/clerk-js@6/dist/clerk.browser.js"></script>`,
    '/ui.html': `<script async crossorigin="anonymous" src="${server.base}/npm/@clerk/ui@1/dist/ui.browser.js"></script>`,
    '/octet.html': `<script async src="/octet/clerk.browser.js" data-clerk-publishable-key="${pk}" data-clerk-proxy-url="${server.base}"></script>`,
  };
  pages = http.createServer((req, res) => {
    const path = new URL(req.url, 'http://localhost').pathname;
    if (path.startsWith('/__clerk/')) return forward(req, res, server.base);
    if (path.startsWith('/octet/')) {
      const file = join(root, 'pkg', path.slice('/octet/'.length));
      const type = file.endsWith('.js') ? 'text/javascript' : 'application/octet-stream';
      return res.writeHead(200, { 'content-type': type }).end(fs.readFileSync(file));
    }
    if (!html[path]) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><html><head>${html[path]}</head><body></body></html>`);
  });
  await new Promise((r) => pages.listen(0, 'localhost', r));
  const origin = `http://localhost:${pages.address().port}`;

  const open = async (path) => {
    const page = await context.newPage();
    const errors = [], warnings = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
    await page.goto(`${origin}${path}`);
    const appeared = await page.waitForFunction(() => window.Clerk !== undefined, null, { timeout: 15_000 }).then(() => true, () => false);
    return { page, errors, warnings, appeared };
  };
  const describe = (page) => page.evaluate(() => ({
    isClerk: typeof window.Clerk?.load === 'function', loaded: window.Clerk.loaded, version: window.Clerk.version,
    publishableKey: window.Clerk.publishableKey, proxyUrl: window.Clerk.proxyUrl, domain: window.Clerk.domain,
    nonce: window.Clerk.__internal_getOption('nonce') ?? null,
  }));

  // 1. Data attributes only.
  const a = await open('/data.html');
  check('data attributes: window.Clerk appears (well within the SDKs\' 15 s)', a.appeared);
  const seen = await describe(a.page);
  check('data attributes: an unloaded instance with the attributes\' options', seen.isClerk && seen.loaded === false
    && seen.version === `6.40.0+clerk-rs.${version}` && seen.publishableKey === pk && seen.proxyUrl === server.base
    && seen.domain === 'example.com' && seen.nonce === 'n0nce', seen);
  const signedIn = await a.page.evaluate(async () => {
    await window.Clerk.load();
    const si = await window.Clerk.client.signIn.create({ identifier: 'bob@example.com', password: 'demo-password-1' });
    await window.Clerk.setActive({ session: si.createdSessionId });
    return { status: si.status, sessionId: window.Clerk.session?.id ?? null, email: window.Clerk.user?.primaryEmailAddress?.emailAddress ?? null };
  });
  const bapi = await (await fetch(`${server.base}/v1/sessions/${signedIn.sessionId}`, { headers: { authorization: `Bearer ${sk}` } })).json();
  check('data attributes: load() and a sign-in work, and the server has the session', signedIn.status === 'complete'
    && signedIn.email === 'bob@example.com' && bapi.status === 'active' && bapi.id === signedIn.sessionId, { signedIn, bapi: bapi.status });
  // Injected a second time (an SDK that did not see the first): the first instance stays.
  const kept = await a.page.evaluate(async (src) => {
    const first = window.Clerk;
    const again = document.createElement('script');
    again.src = src;
    again.crossOrigin = 'anonymous';
    await new Promise((r) => { again.onload = r; document.head.append(again); });
    await new Promise((r) => setTimeout(r, 500));
    return window.Clerk === first && window.Clerk.loaded === true;
  }, scriptUrl);
  check('a second copy of the script keeps the first instance', kept);
  check('data attributes: no uncaught error', a.errors.length === 0, a.errors);
  await a.page.close();

  // 2. Globals only, with a relative proxy URL on the page's origin.
  const b = await open('/globals.html');
  check('globals: window.Clerk appears', b.appeared);
  const fromGlobals = await describe(b.page);
  check('globals: the key, and the relative proxy resolved on the page\'s origin', fromGlobals.publishableKey === pk
    && fromGlobals.proxyUrl === `${origin}/__clerk` && fromGlobals.loaded === false && fromGlobals.domain === '', fromGlobals);
  const env = await b.page.evaluate(async () => {
    await window.Clerk.load();
    return { loaded: window.Clerk.loaded, signedIn: window.Clerk.isSignedIn };
  });
  check('globals: load() reaches clerk-server through the relative proxy', env.loaded === true && env.signedIn === false, env);
  check('globals: no uncaught error', b.errors.length === 0, b.errors);
  await b.page.close();

  // 3. A server that sends the wasm as application/octet-stream: compiled without streaming.
  const c = await open('/octet.html');
  check('wrong wasm Content-Type: window.Clerk still appears', c.appeared && (await describe(c.page)).isClerk);
  check('… after the glue\'s fallback warning', c.warnings.some((w) => w.includes('application/wasm')), c.warnings);
  check('wrong wasm Content-Type: no uncaught error', c.errors.length === 0, c.errors);
  await c.page.close();

  // 4. The pinned @clerk/ui browser build, served unchanged: it sets its constructor global.
  if (withUi) {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${origin}/ui.html`);
    const ctor = await page.waitForFunction(() => typeof window.__internal_ClerkUICtor === 'function', null, { timeout: 15_000 }).then(() => true, () => false);
    check('@clerk/ui: ui.browser.js from clerk-server sets window.__internal_ClerkUICtor', ctor && errors.length === 0, errors);
    await page.close();
  } else {
    console.log(`note ${NAME}: @clerk/ui is not installed (server/ui, .ci/setup): its check skipped`);
  }
} catch (e) {
  check('the script ran to the end', false, String(e?.stack ?? e));
} finally {
  await browser.close();
  pages?.close();
  server.stop();
}
console.log(`${NAME}: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
