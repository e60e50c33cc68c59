// Clerk's Next.js quickstart (www/next: @clerk/nextjs 7.9, Next 16, App Router, proxy.js with
// clerkMiddleware()) end to end in headless Chromium against clerk-server, configured by
// environment variables only. The same steps run twice on one `next build`: first with clerk-js's
// real `clerk.browser.js` (the control, served by clerk-server from @clerk/clerk-js's dist/),
// then with clerk-rs's script build (pkg/clerk.browser.js); only clerk-server's `--library`
// differs between the runs (same port, same database, so the same keys the build has).
// At each step the server component (auth(), currentUser()) and the route handler must see
// what the browser's Clerk shows:
//   signed out → sign-in through the custom form → a protected page → the session token
//   expires with no page open (a short --token-ttl) and the middleware's handshake brings a
//   fresh one → sign-out → signed out, the protected page refused.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from './browser.mjs';
import { freePort, prepareSite, startClerkServer } from './server.mjs';
import { buildNext, clerkEnv, startNext } from '../../www/next/run.mjs';

const NAME = 'next-example';
const root = new URL('../../', import.meta.url).pathname;
// Short-lived tokens, so that one expires while no page is open to refresh it. @clerk/backend
// accepts a token up to 5 s past its expiry (clockSkewInMs), hence the wait below.
const TTL_S = 5;
const EXPIRED_AFTER_MS = (TTL_S + 5 + 2) * 1000;

let passed = 0, failed = 0;
function check(name, ok, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${NAME}: ${name}${ok || detail === undefined ? '' : ` — ${JSON.stringify(detail)}`}`);
  ok ? passed++ : failed++;
}

const libraries = [
  { name: 'clerk-js', dir: join(root, 'server/tests/js/node_modules/@clerk/clerk-js/dist') },
  { name: 'clerk-rs', dir: join(root, 'pkg') },
];
const versionOf = (file) => JSON.parse(readFileSync(file, 'utf8')).version;
const timings = {};
const { dir } = prepareSite(NAME);
const db = join(dir, 'clerk.db');
const fapiPort = await freePort();
let server, app;
try {
  for (const l of libraries) {
    if (!existsSync(join(l.dir, 'clerk.browser.js'))) throw new Error(`${l.dir}/clerk.browser.js is missing (.ci/setup, .ci/build-package)`);
    l.version = versionOf(existsSync(join(l.dir, 'package.json')) ? join(l.dir, 'package.json') : join(l.dir, '../package.json'));
  }
  for (const library of libraries) {
    const started = Date.now();
    server = await startClerkServer({ db, ttl: TTL_S, port: fapiPort, library: library.dir });
    if (!server.started) throw new Error(`clerk-server did not start: ${server.log()}`);
    const log = server.log();
    const env = clerkEnv({
      fapiUrl: `http://localhost:${fapiPort}`,
      apiUrl: server.base,
      pk: log.match(/publishable key:\s+(\S+)/)[1],
      sk: log.match(/secret key:\s+(\S+)/)[1],
    });
    if (!app) {
      timings.build = await buildNext(env);
      app = await startNext(env, await freePort());
    }
    await steps(library, server);
    server.stop();
    await new Promise((r) => server.process.once('exit', r));
    timings[library.name] = Date.now() - started;
  }
} catch (e) {
  check('the example ran to the end', false, String(e?.stack ?? e));
} finally {
  app?.close();
  server?.stop();
}
console.log(`${NAME}: next build ${timings.build} ms; clerk-js run ${timings['clerk-js']} ms; clerk-rs run ${timings['clerk-rs']} ms`);
console.log(`${NAME}: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

async function steps(library, server) {
  const on = library.name;
  const { browser, context } = await launch();
  const errors = [];
  const handshakes = [];
  const watch = (page) => {
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => { if (r.url().includes('/v1/client/handshake')) handshakes.push(r.url()); });
  };
  try {
    let page = await context.newPage();
    watch(page);
    const read = async (testId) => JSON.parse(await page.getByTestId(testId).textContent());
    const apiMe = () => page.evaluate(async () => (await fetch('/api/me')).json());
    const sessionCookie = async () => (await context.cookies(app.url)).find((c) => c.name === '__session')?.value ?? null;
    const browserSide = () => page.evaluate(() => ({
      version: window.Clerk?.version, loaded: window.Clerk?.loaded === true,
      userId: window.Clerk?.user?.id ?? null, sessionId: window.Clerk?.session?.id ?? null,
    }));
    /** Waits for the server component to show a user (`signedIn`) or none. */
    const serverShows = (signedIn) => page.waitForFunction((want) => {
      const s = JSON.parse(document.querySelector('[data-testid=server]')?.textContent ?? 'null');
      return s !== null && (s.userId !== null) === want;
    }, signedIn, { timeout: 20_000 }).then(() => true, () => false);

    // 1. Signed out. The first document request gets the dev-browser handshake.
    await page.goto(`${app.url}/`);
    await page.waitForFunction(() => document.querySelector('[data-testid=sign-in]')?.dataset.ready === 'true', null, { timeout: 20_000 });
    const loaded = await browserSide();
    check(`${on}: the SDK loaded window.Clerk from clerk-server`, loaded.loaded
      && (loaded.version === library.version || loaded.version === `6.40.0+clerk-rs.${library.version}`), { loaded, expected: library.version });
    check(`${on}: loaded from the served script build`, await page.evaluate(
      (port) => document.querySelector('script[data-clerk-js-script]')?.src === `http://localhost:${port}/npm/@clerk/clerk-js@6/dist/clerk.browser.js`, server.port));
    check(`${on}: the server component sees no user`, (await read('server')).userId === null, await read('server'));
    const outMe = await apiMe();
    check(`${on}: the route handler sees no user`, outMe.userId === null && outMe.sessionId === null, outMe);

    // 2. Sign in through the custom form (useSignIn, setActive, router.refresh()).
    await page.locator('input[name=email]').fill('bob@example.com');
    await page.locator('input[name=password]').fill('demo-password-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const bobShown = await serverShows(true);
    const seen = await read('server');
    const inBrowser = await browserSide();
    check(`${on}: after sign-in the server component sees the user (auth(), currentUser())`, bobShown
      && seen.userId === inBrowser.userId && seen.sessionId === inBrowser.sessionId && seen.email === 'bob@example.com', { seen, inBrowser });
    const me = await apiMe();
    check(`${on}: the route handler sees the same user and session`,
      me.userId === inBrowser.userId && me.sessionId === inBrowser.sessionId && me.email === 'bob@example.com', { me, inBrowser });
    const protectedPage = await page.goto(`${app.url}/protected`);
    check(`${on}: the protected page (auth.protect()) lets the user in`, protectedPage.status() === 200
      && (await read('protected')).userId === inBrowser.userId, { status: protectedPage.status() });

    // 3. The token expires with no page open; the next request's handshake brings a fresh one.
    const before = await sessionCookie();
    await page.close();
    await new Promise((r) => setTimeout(r, EXPIRED_AFTER_MS));
    handshakes.length = 0;
    page = await context.newPage();
    watch(page);
    await page.goto(`${app.url}/`);
    const after = await sessionCookie();
    const refreshed = await read('server');
    check(`${on}: after the token expired the middleware's handshake ran`, handshakes.length >= 1, handshakes);
    check(`${on}: … and brought a fresh __session`, typeof before === 'string' && typeof after === 'string' && after !== before
      && payload(after).sid === inBrowser.sessionId && payload(after).exp > Date.now() / 1000 - 5, { before: payload(before), after: payload(after) });
    check(`${on}: … so the server component still sees the user`, refreshed.userId === inBrowser.userId && refreshed.sessionId === inBrowser.sessionId, refreshed);

    // 4. Sign out (<SignOutButton>): the server sees no user, the protected page refuses.
    await page.waitForFunction(() => window.Clerk?.loaded === true && !!window.Clerk.session, null, { timeout: 20_000 });
    await page.getByTestId('sign-out').click();
    const gone = await serverShows(false);
    check(`${on}: after sign-out the server component sees no user`, gone, await read('server').catch((e) => String(e)));
    const outAgain = await apiMe();
    check(`${on}: … nor the route handler`, outAgain.userId === null && outAgain.sessionId === null, outAgain);
    const refused = await page.goto(`${app.url}/protected`);
    const landed = new URL(page.url());
    check(`${on}: … and the protected page sends the visitor to the sign-in URL`, refused.status() === 200
      && landed.pathname === '/sign-in' && (await page.getByTestId('sign-in-page').count()) === 1, { status: refused.status(), url: page.url() });
    check(`${on}: no uncaught error in the pages`, errors.length === 0, errors);
  } finally {
    await browser.close();
  }
}

function payload(jwt) {
  try {
    return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
  } catch {
    return null;
  }
}
