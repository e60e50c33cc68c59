// The parts of clerk-js's API that apps and Clerk's React SDKs rely on beyond the resources, in
// one browser engine (`--browser=chromium|firefox|webkit`, browser.mjs), on the release package
// against clerk-server (the page on the server's own origin): `status` and its events,
// `__internal_lastEmittedResources`, `addListener({skipInitialEmit})`, the navigation options
// (`routerPush` from `load()`, `setActive({redirectUrl | navigate})`, `signOut(callback |
// {redirectUrl})`), the page cookies the app's server reads at each step (`__session`,
// `clerk_active_context`), `client.destroy()`, and the UI-component errors.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, scriptName } from './browser.mjs';
import { prepareSite, startClerkServer } from './server.mjs';

const NAME = scriptName('dropin');
let passed = 0, failed = 0;
function check(name, ok, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${NAME}: ${name}${ok || detail === undefined ? '' : ` — ${JSON.stringify(detail)}`}`);
  ok ? passed++ : failed++;
}

const page = `<!doctype html><script type="module">
  const out = {};
  const cookie = (name) => document.cookie.split('; ').find((c) => c.startsWith(name + '='))?.slice(name.length + 1) ?? null;
  const claims = (jwt) => JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
  const cookies = () => {
    const s = cookie('__session');
    return { session: s && { sid: claims(s).sid, org: claims(s).o?.id ?? null }, context: cookie('clerk_active_context') && decodeURIComponent(cookie('clerk_active_context')) };
  };
  const label = (s) => s === undefined ? 'undefined' : s === null ? 'null' : s.id;
  async function signIn(clerk, email) {
    const si = await clerk.client.signIn.create({ identifier: email, password: 'demo-password-1' });
    return si.createdSessionId;
  }
  try {
    const { Clerk } = await import('/pkg/index.js');
    const info = await (await fetch('/__dev/instance')).json();
    const clerk = new Clerk(info.publishable_key, { proxyUrl: location.origin });
    const statuses = [];
    clerk.on('status', (s) => statuses.push(s), { notify: true });
    out.before = { status: clerk.status, lastEmitted: typeof clerk.__internal_lastEmittedResources };
    let skipped = 0;
    clerk.addListener(() => skipped++, { skipInitialEmit: true });
    out.skippedInitial = skipped;
    const pushed = [];
    await clerk.load({ routerPush: (to) => { pushed.push({ to, session: label(clerk.session) }); } });
    const emitted = clerk.__internal_lastEmittedResources;
    out.loaded = { statuses: statuses.slice(), status: clerk.status, stable: emitted === clerk.__internal_lastEmittedResources,
      session: label(emitted?.session), client: emitted?.client === clerk.client };
    out.setting = clerk.__internal_attemptToEnableEnvironmentSetting({ for: 'organizations', caller: 'test' });
    try { clerk.__internal_attemptToEnableEnvironmentSetting({ for: 'billing' }); } catch (e) { out.badSetting = e.code; }

    // setActive({redirectUrl}): through routerPush, before the new session is emitted.
    const bob = await signIn(clerk, 'bob@example.com');
    await clerk.setActive({ session: bob, redirectUrl: '/after-sign-in' });
    out.signedIn = { pushed: pushed.splice(0), session: label(clerk.session), cookies: cookies(), bob,
      lastEmitted: label(clerk.__internal_lastEmittedResources.session), changed: emitted !== clerk.__internal_lastEmittedResources };

    // setActive({organization, navigate}): the callback gets the Session and decorateUrl.
    const orgId = clerk.user.organizationMemberships[0].organization.id;
    let navigated;
    await clerk.setActive({ organization: orgId, navigate: ({ session, decorateUrl }) => {
      navigated = { session: session?.id, isSession: typeof session?.getToken, decorate: typeof decorateUrl, during: label(clerk.session) };
    } });
    out.org = { navigated, pushed: pushed.splice(0), cookies: cookies(), orgId };

    // A new token reaches the listeners (on the session) and the cookie. A second later, so its
    // iat differs: RS256 is deterministic, so a token minted in the same second is the same one.
    await new Promise((r) => setTimeout(r, 1100));
    let seenToken = null;
    const off = clerk.addListener((r) => { seenToken = r.session?.lastActiveToken?.getRawString() ?? null; }, { skipInitialEmit: true });
    const fresh = await clerk.session.getToken({ skipCache: true });
    off();
    out.refresh = { listener: seenToken === fresh, onSession: clerk.session.lastActiveToken.getRawString() === fresh, cookie: cookie('__session') === fresh };

    // signOut({redirectUrl}): the client stays, the cookies go.
    const clientId = clerk.client.id;
    await clerk.signOut({ redirectUrl: '/bye' });
    out.signedOut = { pushed: pushed.splice(0), session: label(clerk.session), sameClient: clerk.client.id === clientId, cookies: cookies() };

    // signOut(callback): the callback instead of navigating.
    await clerk.setActive({ session: await signIn(clerk, 'bob@example.com') });
    let called = 0;
    await clerk.signOut(() => { called++; });
    out.callback = { called, pushed: pushed.splice(0), session: label(clerk.session) };

    // client.destroy(): signed out, cookies gone.
    await clerk.setActive({ session: await signIn(clerk, 'bob@example.com') });
    out.beforeDestroy = cookies();
    await clerk.client.destroy();
    out.destroyed = { session: label(clerk.session), cookies: cookies() };

    // Navigation: other schemes go to /.
    await clerk.navigate('javascript:alert(1)');
    out.scheme = pushed.splice(0);

    // Prebuilt UI: open* throws the typed error, mount* reports it without throwing.
    try { clerk.openSignIn(); } catch (e) { out.open = { code: e.code, component: e.meta?.component, clerkError: e.clerkError }; }
    const reported = [];
    window.addEventListener('error', (e) => { reported.push(e.error?.code); e.preventDefault(); });
    let threw = false;
    try { clerk.mountUserButton(document.body.appendChild(document.createElement('div'))); } catch { threw = true; }
    out.mount = { threw, reported };
    out.ok = true;
  } catch (e) {
    out.ok = false; out.error = String(e && e.stack || e);
  }
  window.dropin = out;
</script>`;

const { dir, site } = prepareSite(NAME);
writeFileSync(join(site, 'dropin.html'), page);
const server = await startClerkServer({ db: join(dir, 'clerk.db'), www: site });
const { browser, context } = await launch();
try {
  if (!server.started) throw new Error(`clerk-server did not start: ${server.log()}`);
  const tab = await context.newPage();
  await tab.goto(`${server.base}/dropin.html`);
  const r = await tab.waitForFunction(() => window.dropin, null, { timeout: 60000 }).then((h) => h.jsonValue());
  check('the page ran to the end', r.ok === true, r.error);
  check('before load: status loading, no emitted resources', r.before?.status === 'loading' && r.before?.lastEmitted === 'undefined', r.before);
  check('addListener({skipInitialEmit}) is not called at once', r.skippedInitial === 0, r.skippedInitial);
  check("on('status', {notify}) saw loading then ready", JSON.stringify(r.loaded?.statuses) === '["loading","ready"]' && r.loaded?.status === 'ready', r.loaded);
  check('__internal_lastEmittedResources: stable between changes, the client and a null session', r.loaded?.stable === true && r.loaded?.client === true && r.loaded?.session === 'null', r.loaded);
  check('organizations setting read from the environment', typeof r.setting?.isEnabled === 'boolean', r.setting);
  check('an unknown setting is a typed error', r.badSetting === 'invalid_argument', r.badSetting);
  const bob = r.signedIn?.bob;
  check('setActive({redirectUrl}) goes through routerPush while the session is undefined',
    r.signedIn?.pushed?.length === 1 && r.signedIn.pushed[0].to === '/after-sign-in' && r.signedIn.pushed[0].session === 'undefined' && r.signedIn.session === bob, r.signedIn);
  check('then the resources are emitted anew', r.signedIn?.changed === true && r.signedIn?.lastEmitted === bob, r.signedIn);
  check('__session and clerk_active_context after sign-in', r.signedIn?.cookies?.session?.sid === bob && r.signedIn.cookies.session.org === null && r.signedIn.cookies.context === `${bob}:`, r.signedIn?.cookies);
  check('setActive({navigate}) gets the Session and decorateUrl, while the session is undefined, and no routerPush',
    r.org?.navigated?.session === bob && r.org.navigated.isSession === 'function' && r.org.navigated.decorate === 'function' && r.org.navigated.during === 'undefined' && r.org.pushed.length === 0, r.org);
  check('the cookies follow the organization switch', r.org?.cookies?.session?.org === r.org?.orgId && r.org.cookies.context === `${bob}:${r.org.orgId}`, r.org);
  check('a fresh token reaches listeners, the session and the cookie', r.refresh?.listener === true && r.refresh.onSession === true && r.refresh.cookie === true, r.refresh);
  check('signOut({redirectUrl}) keeps the client, navigates through routerPush, removes the cookies',
    r.signedOut?.session === 'null' && r.signedOut.sameClient === true && r.signedOut.pushed.length === 1 && r.signedOut.pushed[0].to === '/bye'
      && r.signedOut.cookies.session === null && r.signedOut.cookies.context === null, r.signedOut);
  check('signOut(callback) runs the callback instead of navigating', r.callback?.called === 1 && r.callback.pushed.length === 0 && r.callback.session === 'null', r.callback);
  check('client.destroy() signs out and removes the cookies', r.beforeDestroy?.session !== null && r.destroyed?.session === 'null' && r.destroyed.cookies.session === null && r.destroyed.cookies.context === null, { before: r.beforeDestroy, after: r.destroyed });
  check('navigate() sends other schemes to /', r.scheme?.length === 1 && r.scheme[0].to === '/', r.scheme);
  check('openSignIn() throws ui_components_unavailable', r.open?.code === 'ui_components_unavailable' && r.open.component === 'SignIn' && r.open.clerkError === true, r.open);
  check('mountUserButton() reports it without throwing', r.mount?.threw === false && r.mount.reported.length === 1 && r.mount.reported[0] === 'ui_components_unavailable', r.mount);
} catch (e) {
  check('the run', false, String(e?.stack ?? e));
} finally {
  await browser.close();
  server.stop();
}
console.log(`${NAME}: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
