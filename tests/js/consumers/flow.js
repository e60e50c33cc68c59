// The check both browser consumers run (the Vite app bundles it, the plain page imports it):
// new Clerk(...).load() against the serving clerk-server, then a password sign-in of bob.
// The outcome lands in window.result for tests/js/consumers.mjs.
export async function run(Clerk) {
  const result = {};
  try {
    const info = await (await fetch('/__dev/instance')).json();
    const clerk = new Clerk(info.publishable_key, { proxyUrl: location.origin });
    await clerk.load();
    result.loaded = clerk.loaded;
    result.sessionAfterLoad = clerk.session === null ? 'null' : String(clerk.session);
    await clerk.client.signIn.create({ identifier: 'bob@example.com' });
    const done = await clerk.client.signIn.attemptFirstFactor({ strategy: 'password', password: 'demo-password-1' });
    result.signInStatus = done.status;
    await clerk.setActive({ session: done.createdSessionId });
    result.sessionId = clerk.session?.id;
    result.email = clerk.user?.primaryEmailAddress?.emailAddress;
    const jwt = await clerk.session.getToken();
    result.tokenSid = JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))).sid;
    const fetched = () => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname);
    result.fetchedBeforeFlows = fetched();
    // A redirect flow's code is loaded on first use: on a page the email link did not open, the
    // verification rejects with clerk-js's EmailLinkError code.
    const refused = await clerk.handleEmailLinkVerification({}).then(() => null, (e) => e);
    result.flowError = { isError: refused instanceof Error, clerkError: refused?.clerkError, name: refused?.name, code: refused?.code };
    result.fetchedAfterFlows = fetched();
    result.ok = true;
  } catch (err) {
    result.ok = false;
    result.error = `${err?.longMessage || err?.message || err} (${err?.code ?? '-'})`;
  }
  document.querySelector('#out').textContent = JSON.stringify(result, null, 2);
  window.result = result;
}
