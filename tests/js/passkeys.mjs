// Passkeys through the release package (pkg/) in Chromium with a virtual authenticator (the
// DevTools protocol's WebAuthn domain), against clerk-server, which verifies with webauthn-rs:
// user.createPasskey(), signIn.authenticateWithPasskey(), a replayed assertion refused, and a
// device without the credential. The page is on http://localhost:PORT: browsers refuse IP
// addresses as WebAuthn RP IDs. Chromium only (the other engines' drivers have no virtual
// authenticator here). Run after .ci/build-package; server/tests/clerk_js_passkeys.rs is the
// same flow with clerk-js.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from './browser.mjs';
import { prepareSite, startClerkServer } from './server.mjs';

const NAME = 'passkeys';
const page = `<!doctype html><script type="module">
  const { Clerk } = await import('/pkg/index.js');
  const info = await (await fetch('/__dev/instance')).json();
  window.clerk = new Clerk(info.publishable_key, { proxyUrl: location.origin });
  await window.clerk.load();
  window.ready = true;
</script>`;

const { dir, site } = prepareSite(NAME);
writeFileSync(join(site, 'page.html'), page);
const server = await startClerkServer({ db: join(dir, 'clerk.db'), www: site });
let failed = 0, count = 0;
const check = (name, ok, detail) => {
  count++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${NAME}: ${name}${ok || detail === undefined ? '' : ` — ${JSON.stringify(detail)}`}`);
  if (!ok) failed++;
};
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b); // arrays of scalars only
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
try {
  const tab = await browser.newPage();
  const cdp = await tab.context().newCDPSession(tab);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true },
  });
  await tab.goto(server.base.replace('127.0.0.1', 'localhost') + '/page.html');
  await tab.waitForFunction(() => window.ready === true, null, { timeout: 15000 });
  const out = await tab.evaluate(async () => {
    const clerk = window.clerk;
    const out = {};
    const refusal = async (p) => { try { await p; return 'no error'; } catch (e) { return [e.status ?? null, e.code]; } };
    const assertions = [];
    const get = navigator.credentials.get.bind(navigator.credentials);
    navigator.credentials.get = async (o) => { const c = await get(o); assertions.push(c); return c; };
    let si = await clerk.client.signIn.create({ identifier: 'bob@example.com', password: 'demo-password-1' });
    await clerk.setActive({ session: si.createdSessionId });
    out.enumerable = Object.keys(clerk.user).includes('createPasskey');
    const passkey = await clerk.user.createPasskey();
    out.created = [passkey.verification?.status, typeof passkey.id, passkey.createdAt instanceof Date];
    out.listed = clerk.user.passkeys.map((p) => p.verification.status);
    await clerk.session.end();
    si = await clerk.client.signIn.create({ identifier: 'bob@example.com' });
    si = await si.authenticateWithPasskey();
    out.signedIn = [si.status, typeof si.createdSessionId, si.firstFactorVerification.strategy];
    await clerk.setActive({ session: si.createdSessionId });
    out.user = clerk.user.primaryEmailAddress?.emailAddress ?? null;
    await clerk.session.end();
    // Replay: the assertion that signed in, against a new challenge.
    const b64 = (b) => b && btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    const c = assertions[0], r = c.response;
    const replay = JSON.stringify({ type: c.type, id: c.id, rawId: b64(c.rawId), response: { clientDataJSON: b64(r.clientDataJSON),
      authenticatorData: b64(r.authenticatorData), signature: b64(r.signature), userHandle: b64(r.userHandle) } });
    si = await clerk.client.signIn.create({ identifier: 'bob@example.com' });
    si = await si.prepareFirstFactor({ strategy: 'passkey' });
    out.replayed = await refusal(si.attemptFirstFactor({ strategy: 'passkey', publicKeyCredential: replay }));
    out.spent = await refusal(si.attemptFirstFactor({ strategy: 'passkey', publicKeyCredential: replay }));
    return out;
  });
  check('createPasskey is not an enumerable field of the user view', out.enumerable === false, out);
  check('user.createPasskey() registers a verified passkey', same(out.created, ['verified', 'string', true]), out.created);
  check('the user lists it', same(out.listed, ['verified']), out.listed);
  check('signIn.authenticateWithPasskey() completes the sign-in', same(out.signedIn, ['complete', 'string', 'passkey']), out.signedIn);
  check('signed in as the passkey\'s user', out.user === 'bob@example.com', out.user);
  check('a replayed assertion is refused', same(out.replayed, [422, 'passkey_invalid']), out.replayed);
  check('the refused attempt spent the challenge', same(out.spent, [422, 'verification_missing']), out.spent);
  await cdp.send('WebAuthn.clearCredentials', { authenticatorId });
  const gone = await tab.evaluate(async () => {
    const si = await window.clerk.client.signIn.create({ identifier: 'bob@example.com' });
    try { await si.authenticateWithPasskey(); return 'no error'; } catch (e) { return [e.code, e.clerkError, e instanceof Error]; }
  });
  check('no credential on the device: a typed passkey_retrieval_cancelled', same(gone, ['passkey_retrieval_cancelled', true, true]), gone);
} catch (e) {
  check('the scenario ran', false, String(e?.stack ?? e));
} finally {
  await browser.close();
  server.stop();
}
console.log(`${NAME}: ${count - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
