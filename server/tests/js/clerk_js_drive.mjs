#!/usr/bin/env node
// Drives the real @clerk/clerk-js 6.40 (browser build) in headless Chromium against clerk-server.
// Usage: node clerk_js_drive.mjs PAGE_URL PROXY_URL ORG_ID ALICE_TOTP_CODE SECRET_KEY
// Prints one JSON object with what clerk-js saw; exits 1 on a failed step.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
// playwright-core comes from the project's tests/js tooling.
const require = createRequire(path.join(here, '../../../tests/js/package.json'));
const { chromium } = require('playwright-core');

const [pageUrl, proxyUrl, orgId, totpCode, secretKey] = process.argv.slice(2);
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
  await page.goto(pageUrl);
  await page.waitForFunction(() => window.Clerk, null, { timeout: 15000 });
  const result = await page.evaluate(async ({ orgId, totpCode }) => {
    const decode = (jwt) => JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    const out = {};
    await window.Clerk.load({ telemetry: false });
    const C = window.Clerk;
    out.loadedSignedOut = C.loaded && !C.session;

    // Password sign-in as bob, then setActive + getToken.
    const bob = await C.client.signIn.create({ identifier: 'bob@example.com', password: 'demo-password-1' });
    out.bobStatus = bob.status;
    await C.setActive({ session: bob.createdSessionId });
    out.bobUser = C.user?.primaryEmailAddress?.emailAddress;
    out.bobToken = decode(await C.session.getToken({ skipCache: true }));

    // Organization switch: the token's o claim and checkAuthorization follow.
    await C.setActive({ organization: orgId });
    out.orgToken = decode(await C.session.getToken({ skipCache: true }));
    out.isMember = C.session.checkAuthorization({ role: 'org:member' });
    out.isAdmin = C.session.checkAuthorization({ role: 'org:admin' });
    out.orgName = C.organization?.name;

    // What useOrganizationList / useOrganization read: the user's and the organization's lists.
    const mine = await C.user.getOrganizationMemberships();
    out.myMemberships = { total: mine.total_count, orgIds: mine.data.map((m) => m.organization.id),
      roles: mine.data.map((m) => m.role), userIds: mine.data.map((m) => m.publicUserData?.userId ?? null) };
    const invitations = await C.user.getOrganizationInvitations();
    const suggestions = await C.user.getOrganizationSuggestions();
    out.myInvitations = { total: invitations.total_count, length: invitations.data.length };
    out.mySuggestions = { total: suggestions.total_count, length: suggestions.data.length };
    const members = await C.organization.getMemberships({ pageSize: 1, initialPage: 2 });
    out.orgMembers = { total: members.total_count, userIds: members.data.map((m) => m.publicUserData.userId) };
    out.orgInvitationsAsMember = await C.organization.getInvitations().then(
      () => 'allowed', (e) => ({ status: e.status, code: e.errors?.[0]?.code ?? null }));

    // Second session on the same client: alice with password + TOTP.
    const si = await C.client.signIn.create({ identifier: 'alice@example.com', password: 'demo-password-1' });
    out.aliceFirst = si.status;
    const done = await si.attemptSecondFactor({ strategy: 'totp', code: totpCode });
    out.aliceStatus = done.status;
    await C.setActive({ session: done.createdSessionId });
    out.signedInSessions = C.client.signedInSessions.length;
    out.activeUser = C.user?.firstName;
    out.templateToken = decode(await C.session.getToken({ template: 'demo' }));

    // End alice's session: clerk-js drops it, bob's remains.
    const aliceId = C.session.id;
    await C.session.end();
    out.afterEnd = {
      session: C.session?.id ?? null,
      signedIn: C.client.signedInSessions.length,
      aliceListedAs: C.client.sessions.find((s) => s.id === aliceId)?.status ?? null,
    };
    return out;
  }, { orgId, totpCode });

  // A reload restores the client from the HttpOnly __client cookie.
  await page.reload();
  await page.waitForFunction(() => window.Clerk, null, { timeout: 15000 });
  result.afterReload = await page.evaluate(async () => {
    await window.Clerk.load({ telemetry: false });
    return { sessions: window.Clerk.client.signedInSessions.length, user: window.Clerk.client.signedInSessions[0]?.user?.firstName };
  });

  // The application revokes bob's session (Backend API): after a reload clerk-js still lists it,
  // as `revoked`, but nobody is signed in.
  const bobId = await page.evaluate(() => window.Clerk.session?.id ?? null);
  const revoked = await fetch(`${proxyUrl}/v1/sessions/${bobId}/revoke`, { method: 'POST', headers: { Authorization: `Bearer ${secretKey}` } });
  await page.reload();
  await page.waitForFunction(() => window.Clerk, null, { timeout: 15000 });
  result.afterRevoke = await page.evaluate(async (bobId) => {
    await window.Clerk.load({ telemetry: false });
    const C = window.Clerk;
    return {
      session: C.session?.id ?? null,
      isSignedIn: C.isSignedIn,
      signedIn: C.client.signedInSessions.length,
      bobListedAs: C.client.sessions.find((s) => s.id === bobId)?.status ?? null,
    };
  }, bobId);
  result.afterRevoke.revokeStatus = revoked.status;
  console.log(JSON.stringify(result));
} catch (e) {
  console.log(JSON.stringify({ error: String(e?.stack ?? e) }));
  exitCode = 1;
} finally {
  await browser.close();
}
process.exit(exitCode);
