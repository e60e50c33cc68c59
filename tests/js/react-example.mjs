// The React example (www/react: @clerk/react over clerk-rs, built with Vite) end to end in
// headless Chromium against clerk-server, as a user clicks through it: signed out, sign in,
// organization switch, a second account (password + TOTP), session switch and sign-out. After
// each step the app's own API route (@clerk/backend, reading the cookies clerk-rs writes) must
// see exactly the user, session and organization the page's useAuth() shows.
import { join } from 'node:path';
import { launch } from './browser.mjs';
import { prepareSite, startClerkServer } from './server.mjs';
import { unusedTotp } from './totp.mjs';
import { startExample } from '../../www/react/run.mjs';

let passed = 0, failed = 0;
function check(name, ok, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} react-example: ${name}${ok || detail === undefined ? '' : ` — ${JSON.stringify(detail)}`}`);
  ok ? passed++ : failed++;
}

const { dir, site } = prepareSite('react-example');
const server = await startClerkServer({ db: join(dir, 'clerk.db'), www: site });
let example;
const { browser, context } = await launch();
try {
  if (!server.started) throw new Error(`clerk-server did not start: ${server.log()}`);
  const instance = await (await fetch(`${server.base}/__dev/instance`)).json();
  const pk = instance.publishable_key;
  const sk = server.log().match(/secret key:\s+(\S+)/)[1];
  example = await startExample({ fapiUrl: server.base, pk, sk });
  const page = await context.newPage();
  // Errors reported to the page (the UI-component one is expected, as a typed ClerkError).
  await page.addInitScript(() => {
    window.__reported = [];
    window.addEventListener('error', (e) => window.__reported.push({
      name: e.error?.name, code: e.error?.code, component: e.error?.meta?.component, long: typeof e.error?.longMessage,
    }));
  });
  page.on('pageerror', (e) => {
    if (!e.message.includes('prebuilt Clerk UI component')) check('no uncaught page error', false, e.message);
  });

  const auth = async () => JSON.parse(await page.getByTestId('auth').textContent());
  /** Waits until useAuth() shows `want` (a subset), then returns what the app's API sees. */
  const settle = async (name, want) => {
    await page.waitForFunction((w) => {
      const a = JSON.parse(document.querySelector('[data-testid=auth]')?.textContent ?? 'null');
      return a && Object.entries(w).every(([k, v]) => a[k] === v);
    }, want, { timeout: 20000 }).catch(() => {});
    const shown = await auth();
    check(`${name}: useAuth() shows it`, Object.entries(want).every(([k, v]) => shown[k] === v), shown);
    // Each answer is numbered: wait for this call's, not the last step's.
    const before = await page.evaluate(() => Number(document.querySelector('[data-testid=api]')?.dataset.call ?? 0));
    await page.getByTestId('call-api').click();
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid=api]')?.dataset.call ?? 0) > n, before);
    const api = JSON.parse(await page.getByTestId('api').textContent());
    const expected = shown.isSignedIn
      ? { status: 'signed-in', userId: shown.userId, sessionId: shown.sessionId, orgId: shown.orgId }
      : { status: 'signed-out', userId: null, sessionId: null, orgId: null };
    check(`${name}: the app's API sees the same from the cookies`,
      Object.entries(expected).every(([k, v]) => api[k] === v), { api, expected });
    return shown;
  };

  await page.goto(`${example.url}/`);
  await settle('loaded signed out', { isLoaded: true, isSignedIn: false, userId: null });

  await page.getByTestId('sign-in').getByRole('button').click();
  const bob = await settle('bob signs in', { isSignedIn: true, email: 'bob@example.com', orgId: null });

  await page.getByTestId('org-acme').click();
  await settle('Acme becomes active', { isSignedIn: true, email: 'bob@example.com', orgId: server.orgId, orgRole: 'org:member' });

  const form = page.getByTestId('sign-in');
  await form.locator('input[name=email]').fill('alice@example.com');
  await form.getByRole('button').click();
  await form.locator('input[name=code]').fill(await unusedTotp('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'));
  await form.getByRole('button').click();
  const alice = await settle('alice signs in too (password + TOTP)', { isSignedIn: true, email: 'alice@example.com' });
  check('two different sessions', typeof bob.sessionId === 'string' && bob.sessionId !== alice.sessionId, { bob, alice });

  await page.getByTestId('session-bob@example.com').click();
  await settle('switched back to bob', { isSignedIn: true, sessionId: bob.sessionId, orgId: server.orgId });

  // <SignIn /> fails with the typed error; the tree keeps rendering and working.
  await page.getByTestId('show-prebuilt').click();
  await page.waitForFunction(() => window.__reported.length > 0, null, { timeout: 10000 }).catch(() => {});
  const reported = await page.evaluate(() => window.__reported);
  check('<SignIn /> reports ui_components_unavailable',
    reported.length === 1 && reported[0].code === 'ui_components_unavailable' && reported[0].component === 'SignIn'
      && reported[0].name === 'ClerkError' && reported[0].long === 'string', reported);
  check('the tree survives it', (await page.getByTestId('prebuilt').count()) === 1 && (await page.getByTestId('auth').count()) === 1);
  await settle('still signed in as bob after it', { isSignedIn: true, sessionId: bob.sessionId });

  // Sign-out goes to / (a page load): wait for the new page before reading it, or the wait
  // below would end with the old page's context.
  await Promise.all([page.waitForNavigation({ timeout: 20000 }), page.getByTestId('sign-out').click()]);
  await settle('signed out (and back at /)', { isLoaded: true, isSignedIn: false, userId: null });
} catch (e) {
  check('the example ran to the end', false, String(e?.stack ?? e));
} finally {
  example?.close();
  await browser.close();
  server.stop();
}
console.log(`react-example: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
