// Smoke test of the optimised release package (pkg/) in one browser engine: Chromium by default,
// `--browser=firefox|webkit` for the others (browser.mjs). Run after .ci/build-package.
// 1. Without a network: the module instantiates (a broken wasm-opt makes it throw here, while
//    debug-build tests still pass), `new Clerk` works, a malformed key gives a typed error.
// 2. Against clerk-server (the page on the server's own origin): password sign-in, setActive with
//    an async beforeEmit, getToken caching (counted by the server), an organization switch.
// 3. The page on another site than the Frontend API (localhost and 127.0.0.1), where Safari and
//    Firefox keep third-party cookies from the API: the dev browser token in localStorage keeps
//    the client across a reload; and with a localStorage that throws on access (WebKit and
//    Firefox throw SecurityError when storage is denied) the library still signs in, keeping
//    nothing.
// 4. The cookies an app's server reads (`__session`, `__client_uat`, as clerk-js and the
//    handshake write them) at http://127.0.0.1 and http://localhost: which attributes each
//    engine refuses there (WebKit: `Secure` over plain http, and `Domain=localhost`).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { engine, launch, scriptName } from './browser.mjs';
import { prepareSite, startClerkServer } from './server.mjs';

const NAME = scriptName('release-smoke');
const TOKENS = 'POST /v1/client/sessions/{id}/tokens';
const page = `<!doctype html><script type="module">
  const label = (r) => r.session === undefined ? 'undefined' : r.session === null ? 'null' : r.session.id;
  const counters = async () => (await fetch('/__dev/requests')).json();
  const reset = () => fetch('/__dev/requests/reset', { method: 'POST' });
  const claims = (jwt) => JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
  try {
    const { Clerk } = await import('/pkg/index.js');
    const offline = new Clerk('pk_test_Y2xlcmsuZXhhbXBsZS5hY2NvdW50cy5kZXYk', { proxyUrl: 'http://127.0.0.1:9/' });
    let bad;
    try { new Clerk('pk_nope'); } catch (e) { bad = { code: e.code, clerkError: e.clerkError, isError: e instanceof Error }; }
    window.offline = { ok: true, loaded: offline.loaded, frontendApi: offline.frontendApi, session: String(offline.session), bad };
  } catch (e) { window.offline = { ok: false, error: String(e && e.stack || e) }; }
  try {
    const { Clerk } = await import('/pkg/index.js');
    const info = await (await fetch('/__dev/instance')).json();
    const clerk = new Clerk(info.publishable_key, { proxyUrl: location.origin });
    await clerk.load();
    const out = { loadedSignedOut: clerk.loaded === true && clerk.session === null };
    await clerk.client.signIn.create({ identifier: 'bob@example.com' });
    const done = await clerk.client.signIn.attemptFirstFactor({ strategy: 'password', password: 'demo-password-1' });
    out.signInStatus = done.status;
    const seen = [];
    clerk.addListener((r) => seen.push(label(r)));
    await clerk.setActive({
      session: done.createdSessionId,
      beforeEmit: (session) => {
        seen.push('beforeEmit(' + session.id + ') while ' + label(clerk));
        return new Promise((resolve) => setTimeout(() => { seen.push('beforeEmit resolved'); resolve(); }, 50));
      },
    });
    out.seen = seen.slice(); // the organization switch below emits too
    out.sid = done.createdSessionId;
    out.sessionAfter = clerk.session?.id;
    await reset();
    const first = await clerk.session.getToken();
    const again = await Promise.all([clerk.session.getToken(), clerk.session.getToken(), clerk.session.getToken()]);
    out.cache = { same: again.every((t) => t === first), requests: (await counters())['${TOKENS}'] ?? 0, sid: claims(first).sid };
    const orgId = clerk.user.organizationMemberships[0]?.organization.id;
    await clerk.setActive({ organization: orgId });
    const orgClaims = claims(await clerk.session.getToken());
    out.org = { orgId, active: clerk.organization?.id, claimId: orgClaims.o?.id, role: orgClaims.o?.rol };
    window.online = { ok: true, ...out };
  } catch (e) { window.online = { ok: false, error: String(e && e.stack || e), code: e && e.code }; }
</script>`;

// Part 3's page. ?fapi= the Frontend API, ?pk= the key, ?signIn=1 signs bob in, ?storage=throws
// makes window.localStorage throw as an engine that denies storage does.
const crossSite = `<!doctype html><script type="module">
  const params = new URLSearchParams(location.search);
  if (params.get('storage') === 'throws') {
    Object.defineProperty(window, 'localStorage', { configurable: true, get() { throw new DOMException('The operation is insecure.', 'SecurityError'); } });
  }
  try {
    const { Clerk } = await import('/pkg/index.js');
    const clerk = new Clerk(params.get('pk'), { proxyUrl: params.get('fapi') });
    await clerk.load();
    const out = { ok: true, atLoad: clerk.session === null ? null : clerk.session?.id };
    if (params.get('signIn')) {
      await clerk.client.signIn.create({ identifier: 'bob@example.com' });
      const done = await clerk.client.signIn.attemptFirstFactor({ strategy: 'password', password: 'demo-password-1' });
      await clerk.setActive({ session: done.createdSessionId });
      out.sid = clerk.session?.id;
      out.tokenSid = JSON.parse(atob((await clerk.session.getToken()).split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))).sid;
    }
    window.crossSite = out;
  } catch (e) { window.crossSite = { ok: false, error: String(e && e.stack || e), code: e && e.code }; }
</script>`;

// Part 4's page: writes each cookie as a script (clerk-js writes them so; WebKit answers an HTTP
// Set-Cookie with these attributes the same way) and lists the names the page then has.
const cookies = `<!doctype html><script>
  const host = location.hostname;
  const written = {
    session: '__session=a.b.c; Path=/; Max-Age=60; SameSite=Lax',
    uatOnHost: '__client_uat=1; Path=/; Max-Age=60; Domain=' + host + '; SameSite=Strict',
    secure: 'secure_cookie=1; Path=/; Max-Age=60; SameSite=Lax; Secure',
  };
  for (const c of Object.values(written)) document.cookie = c;
  const kept = document.cookie.split('; ').map((c) => c.split('=')[0]);
  window.cookies = { session: kept.includes('__session'), uatOnHost: kept.includes('__client_uat'), secure: kept.includes('secure_cookie') };
  for (const name of ['__session', '__client_uat', 'secure_cookie']) {
    document.cookie = name + '=; Path=/; Max-Age=0';
    document.cookie = name + '=; Path=/; Max-Age=0; Domain=' + host;
  }
</script>`;

const { dir, site } = prepareSite(NAME);
writeFileSync(join(site, 'cookies.html'), cookies);
writeFileSync(join(site, 'smoke.html'), page);
writeFileSync(join(site, 'cross-site.html'), crossSite);
const server = await startClerkServer({ db: join(dir, 'clerk.db'), www: site });
let failed = 0, count = 0;
function check(name, ok, detail) {
  count++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${NAME}: ${name}${ok || detail === undefined ? '' : ` — ${JSON.stringify(detail)}`}`);
  if (!ok) failed++;
}
const { browser, context, version } = await launch().catch((e) => {
  server.stop();
  console.log(`FAIL ${NAME}: the browser did not start — ${e.message}`);
  console.log(`${NAME}: 0 passed, 1 failed`);
  process.exit(1);
});
if (version) console.log(`${NAME}: in ${version}`);
try {
  if (!server.started) throw new Error(`clerk-server did not start: ${server.log()}`);
  const tab = await context.newPage();
  await tab.goto(`${server.base}/smoke.html`);
  const offline = await tab.waitForFunction(() => window.offline, null, { timeout: 15000 }).then((h) => h.jsonValue());
  check('module instantiates', offline.ok, offline.error);
  check('new Clerk(key) works', offline.frontendApi === 'clerk.example.accounts.dev' && offline.loaded === false, offline);
  check('session is undefined before load', offline.session === 'undefined', offline.session);
  check('malformed key → typed error', offline.bad?.code === 'invalid_publishable_key' && offline.bad.clerkError === true && offline.bad.isError === true, offline.bad);

  const r = await tab.waitForFunction(() => window.online, null, { timeout: 30000 }).then((h) => h.jsonValue());
  check('signed-in flow ran', r.ok === true, r);
  check('load against clerk-server: signed out', r.loadedSignedOut === true, r);
  check('password sign-in completes', r.signInStatus === 'complete', r.signInStatus);
  // addListener calls at once (signed out: null); then clerk-js's order: listeners see
  // `undefined`, beforeEmit is awaited, then the new session.
  const expected = ['null', 'undefined', `beforeEmit(${r.sid}) while undefined`, 'beforeEmit resolved', r.sid];
  check('setActive awaits beforeEmit between undefined and the session',
    r.seen?.length === expected.length && r.seen.every((v, i) => v === expected[i]) && r.sessionAfter === r.sid, { seen: r.seen, expected });
  // setActive's touch answer carries the session's token (last_active_token): all four calls
  // are cache hits.
  check('getToken: four calls, the same string, no request', r.cache?.same === true && r.cache.requests === 0 && r.cache.sid === r.sid, r.cache);
  check('organization switch: token claims o.id and role member',
    typeof r.org?.orgId === 'string' && r.org.active === r.org.orgId && r.org.claimId === r.org.orgId && r.org.role === 'member', r.org);

  // 3. The page at localhost, the Frontend API at 127.0.0.1: two sites.
  const { publishable_key: pk } = await (await fetch(`${server.base}/__dev/instance`)).json();
  const port = new URL(server.base).port;
  const open = async (query) => {
    await tab.goto(`http://localhost:${port}/cross-site.html?fapi=${encodeURIComponent(server.base)}&pk=${pk}${query}`);
    return tab.waitForFunction(() => window.crossSite, null, { timeout: 30000 }).then((h) => h.jsonValue());
  };
  let x = await open('&signIn=1');
  check('cross-site: signs in, the token is the session\'s', x.ok === true && x.atLoad === null && typeof x.sid === 'string' && x.tokenSid === x.sid, x);
  const sid = x.sid;
  x = await open('');
  check('cross-site: still signed in after a reload (dev browser in localStorage)', x.ok === true && x.atLoad === sid, { x, sid });
  x = await open('&storage=throws&signIn=1');
  check('storage that throws: load and sign-in still work', x.ok === true && x.atLoad === null && typeof x.sid === 'string' && x.tokenSid === x.sid, x);
  x = await open('&storage=throws');
  check('storage that throws: nothing kept, a reload starts signed out', x.ok === true && x.atLoad === null, x);

  // 4. Measured: WebKitGTK 2.50 refuses a `Secure` cookie on plain http even at a loopback
  // address (Chromium and Firefox count loopback as secure), and a cookie with
  // `Domain=localhost`; `Domain=127.0.0.1` at 127.0.0.1 is kept by all three.
  const webkit = engine === 'webkit';
  for (const host of ['127.0.0.1', 'localhost']) {
    await tab.goto(`http://${host}:${port}/cookies.html`);
    const c = await tab.waitForFunction(() => window.cookies, null, { timeout: 15000 }).then((h) => h.jsonValue());
    const uatKept = !(webkit && host === 'localhost');
    check(`cookies at ${host}: __session (SameSite=Lax) kept`, c.session === true, c);
    check(`cookies at ${host}: __client_uat with Domain=${host} ${uatKept ? 'kept' : 'refused (WebKit)'}`, c.uatOnHost === uatKept, c);
    check(`cookies at ${host}: Secure over http ${webkit ? 'refused (WebKit)' : 'kept (loopback counts as secure)'}`, c.secure === !webkit, c);
  }
} catch (e) {
  check('test ran to the end', false, String(e?.stack ?? e));
} finally {
  await browser.close();
  server.stop();
}
console.log(`${NAME}: ${count - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
