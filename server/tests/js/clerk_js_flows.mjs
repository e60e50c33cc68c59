#!/usr/bin/env node
// The real @clerk/clerk-js 6.40 (browser build) in headless Chromium through issue 13's flows
// against clerk-server: OAuth through the development identity provider (sign-in, transfer to
// sign-up, cancel) and email links (the waiting tab, the link's tab, replay, expiry).
// Usage: node clerk_js_flows.mjs BASE_URL full|restricted
// Prints one JSON object with what clerk-js saw; exits 1 on a failed step.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../../tests/js/package.json'));
const { chromium } = require('playwright-core');

const [base, mode] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-blink-features=AutomationControlled'],
});

/** A page at `url` with clerk-js loaded; navigations clerk-js makes itself are recorded in
 * `window.__nav` instead of followed, so that the test reads where it would go. */
async function open(context, url) {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('pageerror', e.message));
  await page.goto(url);
  await loaded(page);
  return page;
}

async function loaded(page) {
  await page.waitForFunction(() => window.Clerk, null, { timeout: 15000 });
  await page.evaluate(async () => {
    const record = (to) => { window.__nav = String(to); };
    await window.Clerk.load({ telemetry: false, routerPush: record, routerReplace: record });
  });
}

/** Starts an OAuth redirect from `page` (`resource`: signIn or signUp) and waits for the
 * provider's consent page. */
async function startOAuth(page, resource, strategy) {
  await Promise.all([
    page.waitForURL(/\/oauth\/dev\/authorize/, { timeout: 15000 }),
    page.evaluate(({ base, resource, strategy }) => {
      void window.Clerk.client[resource].authenticateWithRedirect({
        strategy, redirectUrl: `${base}/page.html?cb=1`, redirectUrlComplete: `${base}/page.html?done=1`,
      });
    }, { base, resource, strategy }),
  ]);
}

/** Back on the app's callback page: clerk-js's handleRedirectCallback, and what it did. */
async function callback(page) {
  await page.waitForURL(/cb=1/, { timeout: 15000 });
  await loaded(page);
  return page.evaluate(async () => {
    const C = window.Clerk;
    await C.handleRedirectCallback({ signInUrl: '/page.html?signin=1', signInForceRedirectUrl: '/page.html?done=1', signUpForceRedirectUrl: '/page.html?done=1' });
    const si = C.client.signIn;
    return {
      nav: window.__nav ?? null,
      session: C.session?.id ?? null,
      user: C.user?.primaryEmailAddress?.emailAddress ?? null,
      firstName: C.user?.firstName ?? null,
      providers: C.user?.externalAccounts?.map((a) => a.provider) ?? null,
      signInStatus: si.firstFactorVerification.status,
      signInError: si.firstFactorVerification.error?.code ?? null,
      url: location.search,
    };
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

/** Starts createEmailLinkFlow for bob in `page`; the promise waits in `window.__flow`. */
async function startEmailLink(page) {
  return page.evaluate(async (base) => {
    const si = await window.Clerk.client.signIn.create({ identifier: 'bob@example.com' });
    const factor = si.supportedFirstFactors.find((f) => f.strategy === 'email_link');
    const { startEmailLinkFlow } = si.createEmailLinkFlow();
    window.__flow = startEmailLinkFlow({ emailAddressId: factor.emailAddressId, redirectUrl: `${base}/page.html?verified=1` })
      .then((r) => ({ status: r.status, verification: r.firstFactorVerification.status, created: r.createdSessionId }));
    return si.id;
  }, base);
}

/** The link's page: clerk-js's handleEmailLinkVerification, or the EmailLinkError's code. */
async function linkPage(context, link) {
  const page = await open(context, link);
  return page.evaluate(async () => {
    try {
      await window.Clerk.handleEmailLinkVerification({ redirectUrlComplete: '/page.html?done=1' });
      return { session: window.Clerk.session?.id ?? null, nav: window.__nav ?? null };
    } catch (e) {
      return { error: e.code ?? String(e) };
    }
  });
}

const out = {};
let exitCode = 0;
// Every wait below is bounded; this bounds the whole run too, and says how far it got.
setTimeout(() => {
  console.log(JSON.stringify({ error: 'timed out', partial: out }));
  process.exit(1);
}, 150_000).unref();
/** `promise`, or a rejection naming `what` after `ms`. */
const within = (what, promise, ms = 20_000) =>
  Promise.race([promise, new Promise((_, fail) => setTimeout(() => fail(new Error(`${what}: no answer in ${ms} ms`)), ms))]);
try {
  if (mode === 'restricted') {
    const page = await open(await browser.newContext(), `${base}/page.html`);
    out.restricted = await page.evaluate(async (base) => {
      const us = window.Clerk.__internal_environment.userSettings;
      const refused = await window.Clerk.client.signIn.create({ strategy: 'oauth_google', redirectUrl: `${base}/page.html` }).then(
        () => null, (e) => ({ status: e.status, code: e.errors?.[0]?.code ?? null, param: e.errors?.[0]?.meta?.paramName ?? null }));
      return { social: us.socialProviderStrategies, emailFactors: us.attributes.email_address.first_factors, refused };
    }, base);
  } else {
    // OAuth sign-in of an existing user (bob, linked by his email address).
    const a = await open(await browser.newContext(), `${base}/page.html`);
    out.environment = await a.evaluate(() => {
      const us = window.Clerk.__internal_environment.userSettings;
      return { social: us.socialProviderStrategies, authenticatable: us.authenticatableSocialStrategies, emailFactors: us.attributes.email_address.first_factors };
    });
    await startOAuth(a, 'signIn', 'oauth_google');
    await a.click('button[data-email="bob@example.com"]');
    out.oauthSignIn = await callback(a);

    // A new account: the sign-in is transferable and clerk-js transfers it to a sign-up.
    const b = await open(await browser.newContext(), `${base}/page.html`);
    await startOAuth(b, 'signIn', 'oauth_github');
    await b.fill('#typed input[name=email]', 'newbie@example.com');
    await b.fill('#typed input[name=first_name]', 'Newbie');
    await b.click('#allow');
    out.oauthTransfer = await callback(b);

    // signUp.authenticateWithRedirect for an account that exists: transferred to a sign-in.
    const c = await open(await browser.newContext(), `${base}/page.html`);
    await startOAuth(c, 'signUp', 'oauth_github');
    await c.click('button[data-email="newbie@example.com"]');
    out.oauthSignUpExisting = await callback(c);

    // The user cancels at the provider: back with a failed verification, nobody signed in.
    const d = await open(await browser.newContext(), `${base}/page.html`);
    await startOAuth(d, 'signIn', 'oauth_google');
    await d.click('#cancel');
    out.oauthCancel = await callback(d);

    // Email link: the waiting tab learns of the verification made in the link's tab.
    const ctx = await browser.newContext();
    const waiting = await open(ctx, `${base}/page.html`);
    const sentlink = (await outbox('bob@example.com')).emails.length;
    await startEmailLink(waiting);
    const link = await latestLink('bob@example.com', sentlink);
    out.linkPage = await within('the link page', linkPage(ctx, link));
    out.waiting = await within('the waiting tab', waiting.evaluate(async () => {
      const r = await window.__flow;
      await window.Clerk.setActive({ session: r.created });
      return { ...r, user: window.Clerk.user?.primaryEmailAddress?.emailAddress ?? null };
    }));
    out.replayed = await linkPage(ctx, link);

    // Expired: the server's clock moves past the link's ten minutes before it is opened.
    const ctx2 = await browser.newContext();
    const waiting2 = await open(ctx2, `${base}/page.html`);
    const sentlink2 = (await outbox('bob@example.com')).emails.length;
    await startEmailLink(waiting2);
    const link2 = await latestLink('bob@example.com', sentlink2);
    await fetch(`${base}/__dev/clock?advance_ms=600001`, { method: 'POST' });
    out.expiredPage = await within('the expired link page', linkPage(ctx2, link2));
    out.expiredWaiting = await within('the expired wait', waiting2.evaluate(() => window.__flow));
    // Cancelling the wait stops the polling (no reload after cancel).
    out.cancelled = await waiting2.evaluate(async (base) => {
      const si = await window.Clerk.client.signIn.create({ identifier: 'bob@example.com' });
      const factor = si.supportedFirstFactors.find((f) => f.strategy === 'email_link');
      const { startEmailLinkFlow, cancelEmailLinkFlow } = si.createEmailLinkFlow();
      let settled = false;
      startEmailLinkFlow({ emailAddressId: factor.emailAddressId, redirectUrl: `${base}/page.html` }).finally(() => { settled = true; });
      await new Promise((ok) => setTimeout(ok, 300));
      cancelEmailLinkFlow();
      await new Promise((ok) => setTimeout(ok, 1500));
      return { settled };
    }, base);
  }
  console.log(JSON.stringify(out));
} catch (e) {
  console.log(JSON.stringify({ error: String(e?.stack ?? e), partial: out }));
  exitCode = 1;
} finally {
  await browser.close();
}
process.exit(exitCode);
