//! What Clerk documents for `setActive`, `Session`, `Client` and `getToken`, checked in Chromium
//! against the real clerk-server with strict comparisons (`=== null`, `typeof`, exact codes):
//! the difference between `undefined` and `null` is part of the check. Each documented behaviour
//! is one named check; README.md's conformance table points here.
#![cfg(target_arch = "wasm32")]

use clerk_rs::wasm::Engine;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/target/objects/testing.js")]
extern "C" {
    /// The object layer (pkg-template/src, bundled by .ci/test) over an engine made here.
    #[wasm_bindgen(js_name = clerkFromEngine)]
    fn clerk_from_engine(engine: Engine, publishable_key: &str) -> JsValue;
    /// The page's own host (location, storage, cookies), as `new Clerk` uses it.
    #[wasm_bindgen(js_name = pageHost)]
    fn page_host() -> clerk_rs::wasm::host::Host;
}

fn env(value: Option<&'static str>, name: &str) -> &'static str {
    value.unwrap_or_else(|| panic!("{name} is not set: run the browser tests with `make test`, which starts clerk-server"))
}

#[wasm_bindgen(inline_js = r#"
const TOKENS = 'POST /v1/client/sessions/{id}/tokens';
const json = async (url, init) => (await fetch(url, init)).json();
const count = async (server) => (await json(`${server}/__dev/requests`))[TOKENS] ?? 0;
const claims = (jwt) => JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));

export async function publishableKey(server) {
  localStorage.clear(); // a fresh dev browser, so a fresh client
  return (await json(`${server}/__dev/instance`)).publishable_key;
}

async function signIn(clerk, email) {
  const si = await clerk.client.signIn.create({ identifier: email });
  const done = await si.attemptFirstFactor({ strategy: 'password', password: 'demo-password-1' });
  await clerk.setActive({ session: done.createdSessionId });
  return done.createdSessionId;
}

export async function conformance(clerk, server, secretKey) {
  const failed = [];
  const names = [];
  const check = (name, ok, got) => { names.push(name); if (!ok) failed.push(`${name} (got ${typeof got === 'string' ? got : JSON.stringify(got) ?? String(got)})`); };

  await clerk.load();
  check('signed out: clerk.session === null', clerk.session === null, clerk.session);
  check('signed out: client.lastActiveSessionId === null', clerk.client.lastActiveSessionId === null, clerk.client.lastActiveSessionId);
  check('signed out: client.lastAuthenticationStrategy === null', clerk.client.lastAuthenticationStrategy === null, clerk.client.lastAuthenticationStrategy);

  const bob = await signIn(clerk, 'bob@example.com');
  const session = clerk.session;
  check('a new session has no organization: lastActiveOrganizationId === null', session.lastActiveOrganizationId === null, session.lastActiveOrganizationId);
  check('lastActiveToken is a Token or null, never undefined', session.lastActiveToken === null || typeof session.lastActiveToken.getRawString() === 'string', typeof session.lastActiveToken);
  check('client.lastAuthenticationStrategy is a string after a password sign-in', typeof clerk.client.lastAuthenticationStrategy === 'string', clerk.client.lastAuthenticationStrategy);

  // getToken({organizationId: ''}) is the personal account, as in clerk-js and the Frontend API.
  const personal = await session.getToken({ organizationId: '' });
  check("getToken({organizationId: ''}) gives the session's personal token", typeof personal === 'string' && claims(personal).sid === bob && claims(personal).o === undefined, personal && claims(personal));

  // Malformed options: a typed error before any request.
  const before = await count(server);
  for (const [label, options] of [['organizationId not org_…', { organizationId: 'user_1' }], ['organizationId a number', { organizationId: 42 }],
    ['leewayInSeconds a string', { leewayInSeconds: 'soon' }], ['skipCache a string', { skipCache: 'yes' }], ['template a number', { template: 7 }]]) {
    let code;
    try { await session.getToken(options); code = 'no error'; } catch (e) { code = e.code; }
    check(`getToken with ${label} → invalid_argument`, code === 'invalid_argument', code);
  }
  check('malformed getToken options made no request', (await count(server)) === before, (await count(server)) - before);

  // throwOnError: false resolves to '' ("return an empty string").
  const quiet = await session.getToken({ template: 'no_such_template', throwOnError: false });
  check("getToken({throwOnError: false}) on a failure resolves to ''", quiet === '', quiet);

  // A session revoked on the server: a held Session shows it after client.reload().
  const revoke = await fetch(`${server}/v1/sessions/${bob}/revoke`, { method: 'POST', headers: { Authorization: `Bearer ${secretKey}` } });
  check('the Backend API revoked the session', revoke.status === 200, revoke.status);
  await clerk.client.reload();
  check("a held Session shows the server's status after client.reload(): revoked", session.status === 'revoked', session.status);
  check('a revoked session stays in client.sessions', clerk.client.sessions.some((s) => s.id === bob && s.status === 'revoked'), clerk.client.sessions.map((s) => [s.id, s.status]));
  check('a revoked session is not in client.signedInSessions', !clerk.client.signedInSessions.some((s) => s.id === bob), clerk.client.signedInSessions.map((s) => s.id));
  check('with its session revoked, clerk.session === null', clerk.session === null, clerk.session && clerk.session.id);

  // setActive({session: null}) removes the session from the client: a reload does not bring it back.
  const again = await signIn(clerk, 'bob@example.com');
  await clerk.setActive({ session: null });
  check('setActive({session: null}): clerk.session === null', clerk.session === null, clerk.session);
  const fresh = new clerk.constructor(clerk.publishableKey, { proxyUrl: server });
  await fresh.load();
  check('after a reload the removed session does not come back', fresh.session === null && !fresh.client.signedInSessions.some((s) => s.id === again), fresh.session && fresh.session.id);
  const status = (await json(`${server}/v1/sessions/${again}`, { headers: { Authorization: `Bearer ${secretKey}` } })).status;
  check("the server has the session as removed (the app's server does not see it)", status === 'removed', status);
  fresh.dispose();

  // The client touch: a new client is not eligible (it lives 400 days); buildTouchUrl names the
  // Frontend API's touch endpoint; reload({rotatingTokenNonce}) keeps the client.
  check('client.isEligibleForTouch() === false for a new client', clerk.client.isEligibleForTouch() === false, clerk.client.isEligibleForTouch());
  const touchUrl = clerk.client.buildTouchUrl({ redirectUrl: new URL(`${location.origin}/after`) });
  check('buildTouchUrl() is the server\'s /v1/client/touch with the redirect_url', touchUrl.startsWith(`${server}/v1/client/touch?`) && new URL(touchUrl).searchParams.get('redirect_url') === `${location.origin}/after`, touchUrl);
  const idBefore = clerk.client.id;
  const reloaded = await clerk.client.reload({ rotatingTokenNonce: 'conformance-nonce' });
  check('client.reload({rotatingTokenNonce}) resolves to the same client', reloaded === clerk.client && reloaded.id === idBefore, [idBefore, reloaded.id]);

  // Client.create() makes a new client on the server.
  const oldId = clerk.client.id;
  const created = await clerk.client.create();
  check('client.create() resolves to the client, with a new id', created === clerk.client && typeof created.id === 'string' && created.id.startsWith('client_') && created.id !== oldId, [oldId, created.id]);
  return { failed, names };
}
"#)]
extern "C" {
    #[wasm_bindgen(catch, js_name = publishableKey)]
    async fn publishable_key(server: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn conformance(clerk: JsValue, server: &str, secret_key: &str) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen_test]
async fn documented_behaviour_holds_with_strict_checks() {
    let server = env(option_env!("CLERK_E2E_URL"), "CLERK_E2E_URL");
    let secret_key = env(option_env!("CLERK_E2E_SECRET_KEY"), "CLERK_E2E_SECRET_KEY");
    let key = publishable_key(server).await.expect("clerk-server is not reachable").as_string().unwrap();
    let clerk = clerk_from_engine(Engine::new(&key, Some(server.into()), page_host(), js_sys::Date::now()).expect("new Clerk"), &key);
    let out = conformance(clerk, server, secret_key).await.unwrap_or_else(|e| {
        let stack = js_sys::Reflect::get(&e, &"stack".into()).ok().and_then(|s| s.as_string()).unwrap_or_default();
        panic!("the scenario threw: {stack}")
    });
    let list = |key: &str| -> Vec<String> {
        js_sys::Array::from(&js_sys::Reflect::get(&out, &key.into()).unwrap()).iter().map(|v| v.as_string().unwrap()).collect()
    };
    let (failed, names) = (list("failed"), list("names"));
    assert_eq!(names.len(), 26, "every check ran: {names:#?}");
    assert!(failed.is_empty(), "{} of {} checks failed:\n{}", failed.len(), names.len(), failed.join("\n"));
}
