//! The JS API in headless Chromium against the real clerk-server, over real HTTP.
//!
//! `make test` starts the server and passes its address and keys at compile time
//! (CLERK_E2E_URL, CLERK_E2E_SECRET_KEY, CLERK_E2E_TOTP_SECRET). Assertions check both what
//! JS sees and what the server recorded (its per-endpoint request counters).
#![cfg(target_arch = "wasm32")]

use clerk_rs::wasm::Engine;
use serde_json::{Value, json};
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

fn server() -> &'static str {
    env(option_env!("CLERK_E2E_URL"), "CLERK_E2E_URL")
}

#[wasm_bindgen(inline_js = r#"
const TOKENS = 'POST /v1/client/sessions/{id}/tokens';

async function json(url, init) {
  const r = await fetch(url, init);
  return r.json();
}
export async function publishableKey(server) {
  localStorage.clear(); // a fresh dev browser, so a fresh client, for every test
  return (await json(`${server}/__dev/instance`)).publishable_key;
}
const counters = (server) => json(`${server}/__dev/requests`);
const count = async (server, key) => (await counters(server))[key] ?? 0;
const claims = (jwt) => JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
async function latestCode(server, email) {
  const out = await json(`${server}/__dev/emails?to=${encodeURIComponent(email)}`);
  return out.latest_code ?? out[0]?.code;
}
// clerk-server takes each TOTP code once (its replay guard), and the tests sign alice in several
// times: each call hands out a code of a step not used yet in this page, the current step's or
// the next one's (the server allows one step of skew), waiting for a new step when both are used.
const usedSteps = new Set();
async function totp(secret) {
  let step = Math.floor(Date.now() / 30000);
  while (usedSteps.has(step) && usedSteps.has(step + 1)) {
    await new Promise((r) => setTimeout(r, (step + 1) * 30000 - Date.now() + 50));
    step = Math.floor(Date.now() / 30000);
  }
  const counter = usedSteps.has(step) ? step + 1 : step;
  usedSteps.add(counter);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = new Uint8Array(Math.floor(bits.length / 8)).map((_, i) => parseInt(bits.slice(i * 8, i * 8 + 8), 2));
  const message = new ArrayBuffer(8);
  new DataView(message).setUint32(4, counter);
  const hmacKey = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  const h = new Uint8Array(await crypto.subtle.sign('HMAC', hmacKey, message));
  const o = h[19] & 15;
  return String((((h[o] & 127) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3]) % 1e6).padStart(6, '0');
}
async function signInWithPassword(clerk, email) {
  await clerk.client.signIn.create({ identifier: email });
  const done = await clerk.client.signIn.attemptFirstFactor({ strategy: 'password', password: 'demo-password-1' });
  if (done.status !== 'complete') throw new Error(`sign-in of ${email} ended as ${done.status}`);
  await clerk.setActive({ session: done.createdSessionId });
  return done.createdSessionId;
}
async function signInAlice(clerk, server, totpSecret) {
  const si = await clerk.client.signIn.create({ identifier: 'alice@example.com' });
  const factor = si.supportedFirstFactors.find((f) => f.strategy === 'email_code');
  await si.prepareFirstFactor({ strategy: 'email_code', emailAddressId: factor.emailAddressId });
  const code = await latestCode(server, 'alice@example.com');
  const first = await clerk.client.signIn.attemptFirstFactor({ strategy: 'email_code', code });
  const second = await first.attemptSecondFactor({ strategy: 'totp', code: await totp(totpSecret) });
  return { firstStatus: first.status, status: second.status, sessionId: second.createdSessionId };
}

export async function tokensAndCounters(clerk, server) {
  const out = {};
  await clerk.load();
  out.signedOutAtLoad = clerk.session === null;
  const sid = await signInWithPassword(clerk, 'bob@example.com');
  const before = await count(server, TOKENS);
  const first = await clerk.session.getToken();
  const second = await clerk.session.getToken();
  out.secondIsSame = first === second;
  out.requestsForTwo = (await count(server, TOKENS)) - before;
  out.sid = claims(first).sid === sid;
  clerk.session.clearCache();
  const c0 = await count(server, TOKENS);
  const fifty = await Promise.all(Array.from({ length: 50 }, () => clerk.session.getToken()));
  out.fiftyShareOne = fifty.every((t) => t === fifty[0]);
  out.requestsForFifty = (await count(server, TOKENS)) - c0;
  const c1 = await count(server, TOKENS);
  const forced = await clerk.session.getToken({ skipCache: true });
  out.requestsForSkipCache = (await count(server, TOKENS)) - c1;
  out.skipCacheIsNew = forced !== fifty[0] || claims(forced).iat >= claims(fifty[0]).iat;
  out.afterSkipCacheCached = (await clerk.session.getToken()) === forced;
  const template = await clerk.session.getToken({ template: 'demo' });
  out.templateClaims = Object.keys(claims(template)).sort();
  return out;
}

export async function multiSessionAndOrganizations(clerk, server, totpSecret) {
  const out = {};
  await clerk.load();
  const bob = await signInWithPassword(clerk, 'bob@example.com');
  const alice = await signInAlice(clerk, server, totpSecret);
  out.aliceFlow = [alice.firstStatus, alice.status];
  await clerk.setActive({ session: alice.sessionId });
  out.signedIn = clerk.client.signedInSessions.map((s) => s.id).sort();
  out.expected = [bob, alice.sessionId].sort();
  out.aliceSid = claims(await clerk.session.getToken()).sid === alice.sessionId;
  const seen = [];
  const off = clerk.addListener((r) => seen.push(r.session === undefined ? 'undefined' : r.session?.id === bob ? 'bob' : 'other'));
  await clerk.setActive({ session: bob });
  off();
  out.switchEmissions = seen;
  out.bobSid = claims(await clerk.session.getToken()).sid === bob;
  out.lastActive = clerk.client.lastActiveSessionId === bob;
  const acme = clerk.user.organizationMemberships.find((m) => m.organization.slug === 'acme').organization;
  await clerk.setActive({ organization: acme.id });
  out.organization = clerk.organization?.slug;
  const orgToken = claims(await clerk.session.getToken());
  out.orgClaim = { id: orgToken.o?.id === acme.id, rol: orgToken.o?.rol, slg: orgToken.o?.slg };
  out.personalToken = claims(await clerk.session.getToken({ organizationId: null })).o ?? null;
  out.memberRole = clerk.session.checkAuthorization({ role: 'org:member' });
  out.adminRole = clerk.session.checkAuthorization({ role: 'org:admin' });
  out.bobManage = clerk.session.checkAuthorization({ permission: 'org:sys_memberships:manage' });
  await clerk.setActive({ session: alice.sessionId, organization: 'acme' });
  out.aliceAdmin = clerk.session.checkAuthorization({ role: 'org:admin' });
  out.aliceManage = clerk.session.checkAuthorization({ permission: 'org:sys_memberships:manage' });
  out.aliceOrgToken = claims(await clerk.session.getToken({ organizationId: acme.id })).o?.rol;
  await clerk.setActive({ organization: null });
  out.personalAfter = [clerk.organization, claims(await clerk.session.getToken()).o ?? null];
  return out;
}

export async function lifecycle(clerk, server, secretKey) {
  const out = {};
  await clerk.load();
  const bob = await signInWithPassword(clerk, 'bob@example.com');
  const session = clerk.session;
  await session.getToken();
  const touched = await session.touch();
  out.touched = touched.status;
  const ended = await session.end();
  out.ended = [ended.status, clerk.session];
  try { await session.getToken(); out.endedToken = 'no error'; } catch (e) { out.endedToken = [e.clerkError, e.code]; }
  out.endedLive = session.status;
  out.endedServer = (await json(`${server}/v1/sessions/${bob}`, { headers: { Authorization: `Bearer ${secretKey}` } })).status;
  const second = await signInWithPassword(clerk, 'bob@example.com');
  const removed = await clerk.session.remove();
  out.removed = removed.status;
  await signInWithPassword(clerk, 'bob@example.com');
  await signInWithPassword(clerk, 'alice@example.com').catch(() => {}); // needs 2FA: stays a sign-in
  await clerk.client.removeSessions();
  out.afterRemoveAll = [clerk.client.signedInSessions.length, clerk.session];
  const id = clerk.client.id;
  await signInWithPassword(clerk, 'bob@example.com');
  await clerk.client.destroy();
  out.destroyed = [clerk.client.id, clerk.client.sessions.length, clerk.session];
  await clerk.client.reload();
  out.afterReload = [clerk.client.id === '' || clerk.client.id !== id, clerk.client.signedInSessions.length];
  return out;
}

export async function signUpAndReverification(clerk, server, totpSecret) {
  const out = {};
  await clerk.load();
  const email = `new-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  const signUp = await clerk.client.signUp.create({ emailAddress: email, password: 'a-long-password-42', firstName: 'Nova' });
  out.created = [signUp.status, signUp.unverifiedFields];
  await signUp.prepareEmailAddressVerification({ strategy: 'email_code' });
  const done = await signUp.attemptEmailAddressVerification({ code: await latestCode(server, email) });
  out.completed = [done.status, typeof done.createdSessionId];
  await clerk.setActive({ session: done.createdSessionId });
  out.user = [clerk.user.primaryEmailAddress?.emailAddress === email, clerk.user.firstName];
  // Reverification with the password: factorVerificationAge[0] back to 0.
  const started = await clerk.session.startVerification({ level: 'first_factor' });
  out.verificationStarted = started.status;
  const verified = await clerk.session.attemptFirstFactorVerification({ strategy: 'password', password: 'a-long-password-42' });
  out.verified = verified.status;
  out.fva = clerk.session.factorVerificationAge;
  out.strict = clerk.session.checkAuthorization({ reverification: 'strict' });
  // Alice: second factor (TOTP) reverification.
  localStorage.clear();
  const alice = new clerk.constructor(clerk.publishableKey, { proxyUrl: server });
  await alice.load();
  const signedIn = await signInAlice(alice, server, totpSecret);
  await alice.setActive({ session: signedIn.sessionId });
  const mfa = await alice.session.startVerification({ level: 'multi_factor' });
  out.mfaStarted = mfa.status;
  const first = await alice.session.attemptFirstFactorVerification({ strategy: 'password', password: 'demo-password-1' });
  out.mfaFirst = first.status;
  await alice.session.prepareSecondFactorVerification({ strategy: 'totp' });
  // The code used at sign-in may not be reused: totp() hands out another step's.
  const second = await alice.session.attemptSecondFactorVerification({ strategy: 'totp', code: await totp(totpSecret) });
  out.mfaSecond = second.status;
  out.aliceFva = alice.session.factorVerificationAge;
  out.strictMfa = alice.session.checkAuthorization({ reverification: 'strict_mfa' });
  return out;
}

const settle = () => new Promise((r) => setTimeout(r, 100)); // BroadcastChannel delivers asynchronously

export async function twoTabs(clerk, server, totpSecret) {
  const out = {};
  const tabA = clerk;
  await tabA.load();
  const bob = await signInWithPassword(tabA, 'bob@example.com');
  const alice = await signInAlice(tabA, server, totpSecret);
  await tabA.setActive({ session: bob });
  // Tab B: the same origin and storage, so the same dev browser and client.
  const tabB = new clerk.constructor(clerk.publishableKey, { proxyUrl: server });
  await tabB.load();
  const seenInB = [];
  tabB.addListener((r) => seenInB.push(r.session === undefined ? 'undefined' : r.session?.id === bob ? 'bob' : r.session?.id === alice.sessionId ? 'alice' : 'null'));
  const total = async () => Object.entries(await counters(server)).filter(([k]) => k.includes(' /v1/')).reduce((a, [, n]) => a + n, 0);
  const before = await total();
  const token = await tabA.session.getToken({ skipCache: true });
  await settle();
  out.tokenShared = (await tabB.session.getToken()) === token;
  await tabA.setActive({ session: alice.sessionId });
  await settle();
  out.switched = tabB.session?.id === alice.sessionId;
  await tabA.setActive({ organization: 'acme' });
  await settle();
  out.orgInB = tabB.organization?.slug;
  await tabA.session.end();
  await settle();
  out.signedOutInB = tabB.session;
  out.bobStillThere = tabB.client.signedInSessions.map((s) => s.id).includes(bob);
  // Frontend API requests made meanwhile, less tab A's own: a token, two touches, an end.
  out.requestsByB = (await total()) - before - 4;
  out.seenInB = seenInB;
  return out;
}

export async function serverErrors(clerk, server, secretKey) {
  const out = {};
  await clerk.load();
  await clerk.client.signIn.create({ identifier: 'bob@example.com' });
  try { await clerk.client.signIn.attemptFirstFactor({ strategy: 'password', password: 'wrong' }); } catch (e) {
    out.wrongPassword = [e.name, e.clerkError, e.status, e.code, typeof e.longMessage, clerk.client.signIn.status];
  }
  let limited;
  for (let i = 0; i < 12 && !limited; i++) {
    try { await clerk.client.signIn.attemptFirstFactor({ strategy: 'password', password: `wrong-${i}` }); } catch (e) {
      if (e.status === 429) limited = [e.status, e.code, e.retryAfter > 0];
    }
  }
  out.rateLimited = limited ?? 'never';
  try { await clerk.client.signIn.create({ identifier: 'nobody@example.com' }); } catch (e) { out.unknownIdentifier = [e.status, e.code]; }
  try { await clerk.client.signUp.create({ emailAddress: 'not-an-email', password: 'x' }); } catch (e) { out.badSignUp = [e.status, e.code, e.errors.length >= 1]; }
  const sid = await signInWithPassword(clerk, 'alice@example.com').catch(() => null) ?? await signInWithPassword(clerk, 'bob@example.com').catch(() => null);
  localStorage.clear();
  const fresh = new clerk.constructor(clerk.publishableKey, { proxyUrl: server });
  await fresh.load();
  const bob = await signInWithPassword(fresh, 'bob@example.com');
  await fresh.session.getToken();
  // 500s, injected by the server's development mode: minting is retried (4 tries), a touch is not.
  const failNext = (route, times) => fetch(`${server}/__dev/fail_next?route=${encodeURIComponent(route)}&status=500&times=${times}`, { method: 'POST' });
  await failNext('POST /v1/client/sessions/{id}/tokens', 4);
  try { await fresh.session.getToken({ skipCache: true }); out.mint500 = 'no error'; } catch (e) {
    out.mint500 = [e.name, e.status, e.code, e.clerkError, fresh.session?.id === bob];
  }
  out.afterMint500 = typeof (await fresh.session.getToken()) === 'string';
  await failNext('POST /v1/client/sessions/{id}/touch', 1);
  try { await fresh.setActive({ organization: 'acme' }); out.touch500 = 'no error'; } catch (e) {
    out.touch500 = [e.status, e.code, fresh.session?.id === bob, fresh.organization];
  }
  const revoke = await fetch(`${server}/v1/sessions/${bob}/revoke`, { method: 'POST', headers: { Authorization: `Bearer ${secretKey}` } });
  out.revokedByBackend = revoke.status;
  try { await fresh.session.getToken({ skipCache: true }); out.revoked = 'no error'; } catch (e) {
    out.revoked = [e.status, e.code, fresh.session === null];
  }
  await fresh.client.reload();
  out.afterReload = [fresh.session, fresh.client.signedInSessions.some((s) => s.id === bob)];
  out.revokedServer = (await json(`${server}/v1/sessions/${bob}`, { headers: { Authorization: `Bearer ${secretKey}` } })).status;
  out.unused = sid === undefined;
  return out;
}
"#)]
extern "C" {
    #[wasm_bindgen(catch, js_name = publishableKey)]
    async fn publishable_key(server: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = tokensAndCounters)]
    async fn tokens_and_counters(clerk: JsValue, server: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = multiSessionAndOrganizations)]
    async fn multi_session_and_organizations(clerk: JsValue, server: &str, totp: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = lifecycle)]
    async fn lifecycle(clerk: JsValue, server: &str, secret_key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = signUpAndReverification)]
    async fn sign_up_and_reverification(clerk: JsValue, server: &str, totp: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = twoTabs)]
    async fn two_tabs(clerk: JsValue, server: &str, totp: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = serverErrors)]
    async fn server_errors(clerk: JsValue, server: &str, secret_key: &str) -> Result<JsValue, JsValue>;
}

async fn clerk() -> JsValue {
    let key = publishable_key(server()).await.expect("clerk-server is not reachable").as_string().unwrap();
    clerk_from_engine(Engine::new(&key, Some(server().into()), page_host(), js_sys::Date::now()).expect("new Clerk"), &key)
}

/// A scenario's result as JSON; a JS exception fails the test with its message and stack.
fn outcome(result: Result<JsValue, JsValue>) -> Value {
    let value = result.unwrap_or_else(|e| {
        let code = js_sys::Reflect::get(&e, &"code".into()).ok().and_then(|c| c.as_string()).unwrap_or_default();
        let stack = js_sys::Reflect::get(&e, &"stack".into()).ok().and_then(|s| s.as_string()).unwrap_or_default();
        panic!("scenario threw {code}: {stack}")
    });
    serde_json::from_str(&js_sys::JSON::stringify(&value).unwrap().as_string().unwrap()).unwrap()
}

#[wasm_bindgen_test]
async fn get_token_caches_shares_and_skips_as_the_server_records() {
    let out = outcome(tokens_and_counters(clerk().await, server()).await);
    assert_eq!(out["signedOutAtLoad"], true);
    assert_eq!(out["secondIsSame"], true);
    assert!(out["requestsForTwo"].as_u64().unwrap() <= 1, "setActive primes the cache; a second call is free: {out}");
    assert_eq!(out["sid"], true);
    assert_eq!(out["fiftyShareOne"], true);
    // One request, or none when an instance of an earlier test (same page, same dev browser, so
    // the same client) refreshed bob's token and its tab message filled our cache. Single flight
    // is tested exactly against the scripted FAPI (web_api.rs, core_tokens.rs).
    assert!(out["requestsForFifty"].as_u64().unwrap() <= 1, "50 concurrent cold calls must make at most one request: {out}");
    assert_eq!(out["requestsForSkipCache"], 1);
    assert_eq!(out["skipCacheIsNew"], true);
    assert_eq!(out["afterSkipCacheCached"], true);
    let template_claims: Vec<&str> = out["templateClaims"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert!(template_claims.contains(&"sub") && template_claims.len() > 3, "{template_claims:?}");
}

#[wasm_bindgen_test]
async fn multi_session_switching_and_organizations() {
    let totp = env(option_env!("CLERK_E2E_TOTP_SECRET"), "CLERK_E2E_TOTP_SECRET");
    let out = outcome(multi_session_and_organizations(clerk().await, server(), totp).await);
    assert_eq!(out["aliceFlow"], json!(["needs_second_factor", "complete"]));
    assert_eq!(out["signedIn"], out["expected"]);
    assert_eq!(out["aliceSid"], true);
    assert_eq!(out["switchEmissions"], json!(["other", "undefined", "bob"]));
    assert_eq!(out["bobSid"], true);
    assert_eq!(out["lastActive"], true);
    assert_eq!(out["organization"], "acme");
    assert_eq!(out["orgClaim"], json!({"id": true, "rol": "member", "slg": "acme"}));
    assert_eq!(out["personalToken"], Value::Null);
    assert_eq!((&out["memberRole"], &out["adminRole"], &out["bobManage"]), (&json!(true), &json!(false), &json!(false)));
    assert_eq!((&out["aliceAdmin"], &out["aliceManage"]), (&json!(true), &json!(true)));
    assert_eq!(out["aliceOrgToken"], "admin");
    assert_eq!(out["personalAfter"], json!([null, null]));
}

#[wasm_bindgen_test]
async fn touch_end_remove_remove_all_destroy_and_reload() {
    let secret = env(option_env!("CLERK_E2E_SECRET_KEY"), "CLERK_E2E_SECRET_KEY");
    let out = outcome(lifecycle(clerk().await, server(), secret).await);
    assert_eq!(out["touched"], "active");
    assert_eq!(out["ended"], json!(["ended", null]));
    assert_eq!(out["endedToken"], json!([true, "session_not_active"]));
    assert_eq!(out["endedLive"], "ended", "a held Session object shows its latest state");
    assert_eq!(out["endedServer"], "ended", "the Backend API confirms it");
    assert_eq!(out["removed"], "removed");
    assert_eq!(out["afterRemoveAll"], json!([0, null]));
    assert_eq!(out["destroyed"], json!(["", 0, null]));
    assert_eq!(out["afterReload"], json!([true, 0]));
}

#[wasm_bindgen_test]
async fn sign_up_with_email_verification_and_reverification() {
    let totp = env(option_env!("CLERK_E2E_TOTP_SECRET"), "CLERK_E2E_TOTP_SECRET");
    let out = outcome(sign_up_and_reverification(clerk().await, server(), totp).await);
    assert_eq!(out["created"][0], "missing_requirements");
    assert_eq!(out["completed"], json!(["complete", "string"]));
    assert_eq!(out["user"], json!([true, "Nova"]));
    assert_eq!(out["verificationStarted"], "needs_first_factor");
    assert_eq!(out["verified"], "complete");
    assert_eq!(out["fva"][0], 0);
    assert_eq!(out["strict"], true, "no second factor: strict falls back to the fresh first factor");
    assert_eq!(out["mfaStarted"], "needs_first_factor");
    assert_eq!(out["mfaFirst"], "needs_second_factor");
    assert_eq!(out["mfaSecond"], "complete");
    assert_eq!(out["aliceFva"], json!([0, 0]));
    assert_eq!(out["strictMfa"], true);
}

#[wasm_bindgen_test]
async fn server_errors_arrive_typed_and_leave_state_consistent() {
    let secret = env(option_env!("CLERK_E2E_SECRET_KEY"), "CLERK_E2E_SECRET_KEY");
    let out = outcome(server_errors(clerk().await, server(), secret).await);
    let wrong = &out["wrongPassword"];
    assert_eq!((&wrong[0], &wrong[1], &wrong[2]), (&json!("ClerkAPIResponseError"), &json!(true), &json!(422)), "{out}");
    assert_eq!(wrong[4], "string");
    assert_eq!(wrong[5], "needs_first_factor", "a failed attempt leaves the sign-in where it was");
    assert_eq!(out["rateLimited"][0], 429, "{out}");
    assert_eq!(out["rateLimited"][2], true, "429 carries Retry-After");
    assert_eq!(out["unknownIdentifier"][0], 422, "{out}");
    assert_eq!(out["badSignUp"][0], 422, "{out}");
    assert_eq!(out["mint500"], json!(["ClerkAPIResponseError", 500, "injected_failure", true, true]), "{out}");
    assert_eq!(out["afterMint500"], true, "after the failure, the next call mints a token again");
    assert_eq!(out["touch500"], json!([500, "injected_failure", true, null]), "a failed switch changes nothing: {out}");
    assert_eq!(out["revokedByBackend"], 200);
    let revoked = &out["revoked"];
    assert_eq!(revoked[0], 401, "{out}");
    // As clerk-js's handleUnauthenticated: the 401 read the client again before the promise
    // rejected, and the revoked session is no longer active here.
    assert_eq!(revoked[2], true, "the 401 signs the revoked session out locally: {out}");
    assert_eq!(out["afterReload"], json!([null, false]), "after a reload the revoked session is gone");
    assert_eq!(out["revokedServer"], "revoked");
}

#[wasm_bindgen_test]
async fn two_tabs_stay_in_sync_without_requests() {
    let totp = env(option_env!("CLERK_E2E_TOTP_SECRET"), "CLERK_E2E_TOTP_SECRET");
    let out = outcome(two_tabs(clerk().await, server(), totp).await);
    assert_eq!(out["tokenShared"], true, "{out}");
    assert_eq!(out["switched"], true, "{out}");
    assert_eq!(out["orgInB"], "acme", "{out}");
    assert_eq!(out["signedOutInB"], Value::Null, "{out}");
    assert_eq!(out["bobStillThere"], true, "{out}");
    assert_eq!(out["requestsByB"], 0, "tab B followed without asking the server: {out}");
    assert!(!out["seenInB"].as_array().unwrap().contains(&json!("undefined")), "no half state in tab B: {out}");
}
