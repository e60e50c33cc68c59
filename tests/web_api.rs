//! The JS API in headless Chromium: scenarios written in JavaScript drive the exported
//! classes exactly as an app would, against the scripted Frontend API of `support`
//! (the end-to-end tests run the same API against the real clerk-server).
#![cfg(target_arch = "wasm32")]

mod support;

use clerk_rs::engine::{Body, HttpRequest, Method};
use clerk_rs::wasm::Engine;
use std::rc::Rc;
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/target/objects/testing.js")]
extern "C" {
    /// The object layer (pkg-template/src, bundled by .ci/test) over an engine made here.
    #[wasm_bindgen(js_name = clerkFromEngine)]
    fn clerk_from_engine(engine: Engine, publishable_key: &str, fetch: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = pageHost)]
    fn page_host() -> clerk_rs::wasm::host::Host;
}

#[wasm_bindgen(inline_js = r#"
// A host with no origin, nothing in storage and no cookies (the scripted Frontend API is the only
// state, so each test starts from it alone); the tab is the page's own.
export function inertHost(page) {
  return { get origin() { return undefined; }, readStorage: () => undefined, readCookies: () => undefined, writeCookie() {}, page: () => undefined, tabState: () => page.tabState() };
}

// `fetch` over the scripted Frontend API: `send(method, url, body)` resolves to
// [status, body, clerkDbJwt, retryAfter] or rejects with the transport error's text.
export function fakeFetch(send) {
  return async (url, init) => {
    const [status, body, dbJwt, retryAfter] = await send(init.method, url, typeof init.body === 'string' ? init.body : undefined);
    const headers = { get: (name) => (name === 'clerk-db-jwt' ? dbJwt : name === 'retry-after' ? retryAfter : null) ?? null };
    return { status, text: async () => body, headers };
  };
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = inertHost)]
    fn inert_host(page: &clerk_rs::wasm::host::Host) -> clerk_rs::wasm::host::Host;
    #[wasm_bindgen(js_name = fakeFetch)]
    fn fake_fetch(send: &JsValue) -> JsValue;
}

#[wasm_bindgen(inline_js = r#"
const label = (r) => r.session === undefined ? 'undefined' : r.session === null ? 'null' : `${r.session.id}/${r.user.id}`;

export async function threeSteps(clerk) {
  await clerk.load();
  const seen = [];
  const off = clerk.addListener((r) => seen.push(label(r)));
  await clerk.setActive({
    session: 'sess_b',
    beforeEmit: (session) => {
      seen.push(`beforeEmit(${session.id}) while ${label(clerk)}`);
      return new Promise((resolve) => setTimeout(() => { seen.push('beforeEmit resolved'); resolve(); }, 30));
    },
  });
  off();
  await clerk.setActive({ session: 'sess_a' });
  return { seen, after: clerk.session.id };
}

export async function cachedToken(clerk) {
  await clerk.load();
  const first = await clerk.session.getToken();
  const second = await clerk.session.getToken();
  const many = await Promise.all(Array.from({ length: 20 }, () => clerk.session.getToken({ organizationId: 'org_1' })));
  return { first, second, same: first === second, manySame: many.every((t) => t === many[0]), differs: many[0] !== first };
}

export async function typedErrors(clerk) {
  const out = {};
  try { new clerk.constructor('pk_live_garbage', {}); } catch (e) {
    out.constructor = { isError: e instanceof Error, name: e.name, code: e.code, clerkError: e.clerkError, longMessage: e.longMessage };
  }
  try { await clerk.setActive({ session: 'sess_a' }); } catch (e) { out.notLoaded = e.code; }
  await clerk.load();
  try { await clerk.setActive({ session: 'sess_nope' }); } catch (e) {
    out.unknownSession = { code: e.code, status: e.status, message: e.message, first: e.errors[0].code };
  }
  try { await clerk.session.getToken(); } catch (e) {
    out.server = { name: e.name, code: e.code, status: e.status, longMessage: e.longMessage, param: e.meta.paramName ?? e.meta.param_name, errors: e.errors.length };
  }
  try { await clerk.session.getToken({ leewayInSeconds: 'soon' }); } catch (e) { out.badOption = e.code; }
  out.quiet = await clerk.session.getToken({ throwOnError: false, template: 'bad/template' });
  try { clerk.session.checkAuthorization({ reverification: 'sometimes' }); } catch (e) { out.badPreset = e.code; }
  out.sessionAfter = clerk.session.id;
  return out;
}

export async function throwingListenerAndBeforeEmit(clerk) {
  await clerk.load();
  const seen = [];
  clerk.addListener(() => { throw new Error('listener exploded'); });
  clerk.addListener((r) => seen.push(label(r)));
  const original = new Error('navigation failed');
  let rejectedWith;
  try {
    await clerk.setActive({ session: 'sess_b', beforeEmit: () => Promise.reject(original) });
  } catch (e) { rejectedWith = e; }
  let thrownSync;
  try {
    await clerk.setActive({ session: 'sess_a', beforeEmit: () => { throw new TypeError('sync throw'); } });
  } catch (e) { thrownSync = e; }
  return { seen, sameError: rejectedWith === original, syncName: thrownSync && thrownSync.name, final: clerk.session.id };
}

export async function resourceShapes(clerk) {
  await clerk.load();
  const s = clerk.session;
  const client = clerk.client;
  await s.getToken();
  return {
    stableIdentity: clerk.session === clerk.client.sessions[0] && clerk.client === clerk.client,
    dates: [s.lastActiveAt, s.expireAt, s.abandonAt, s.createdAt, s.updatedAt].every((d) => d instanceof Date),
    status: s.status,
    fva: s.factorVerificationAge,
    userFirstName: s.user.firstName,
    userFullName: clerk.user.fullName,
    memberships: clerk.user.organizationMemberships.length,
    signedIn: client.signedInSessions.map((x) => x.id),
    lastActive: client.lastActiveSessionId,
    isNew: client.isNew(),
    touchUrl: client.buildTouchUrl({ redirectUrl: new URL('http://app.test/x') }),
    organization: clerk.organization,
    isSignedIn: clerk.isSignedIn,
    instanceType: clerk.instanceType,
    frontendApi: clerk.frontendApi,
  };
}

export async function deprecatedSetSessionAndOrgSwitch(clerk) {
  await clerk.load();
  const seen = [];
  clerk.addListener((r) => seen.push(`${label(r)}:${r.organization === undefined ? 'undefined' : r.organization?.id ?? 'null'}`));
  let awaited = false;
  await clerk.setSession('sess_b', () => new Promise((r) => setTimeout(() => { awaited = true; r(); }, 10)));
  await clerk.setActive({ session: 'sess_a', organization: 'org_1' });
  const orgToken = await clerk.session.getToken();
  const admin = clerk.session.checkAuthorization({ role: 'org:admin' });
  await clerk.setActive({ organization: null });
  return { seen, awaited, admin, orgToken, orgAfter: clerk.organization };
}

export async function sessionEndAndDestroy(clerk) {
  await clerk.load();
  const session = clerk.session;
  await session.getToken();
  const ended = await session.end();
  let afterEnd;
  try { await session.getToken(); } catch (e) { afterEnd = e.code; }
  const sessionAfterEnd = clerk.session;
  await clerk.client.destroy();
  return { endedStatus: ended.status, liveStatus: session.status, afterEnd, sessionAfterEnd, clientId: clerk.client.id, sessions: clerk.client.sessions.length, isNew: clerk.client.isNew() };
}

export async function wireDetails(clerk) {
  await clerk.load();
  await clerk.client.signIn.create({ identifier: 'bob@example.com' });
  await clerk.client.signIn.create({ identifier: 'bob@example.com', locale: 'fr-FR', timezone: 'Europe/Paris' });
  await clerk.session.getToken({ skipCache: true });
  return { language: navigator.language, timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone };
}
"#)]
extern "C" {
    #[wasm_bindgen(catch, js_name = wireDetails)]
    async fn wire_details(clerk: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = threeSteps)]
    async fn three_steps(clerk: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = cachedToken)]
    async fn cached_token(clerk: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = typedErrors)]
    async fn typed_errors(clerk: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = throwingListenerAndBeforeEmit)]
    async fn throwing_listener_and_before_emit(clerk: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = resourceShapes)]
    async fn resource_shapes(clerk: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = deprecatedSetSessionAndOrgSwitch)]
    async fn deprecated_set_session_and_org_switch(clerk: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = sessionEndAndDestroy)]
    async fn session_end_and_destroy(clerk: JsValue) -> Result<JsValue, JsValue>;
}

/// The object layer over an engine whose `fetch` is the scripted Frontend API. The engine's time
/// is the page's (`Date.now()`), so the fake mints its tokens at that time too.
fn js_clerk(fake: &Rc<FakeFapi>) -> JsValue {
    fake.clock.now.set(js_sys::Date::now() as u64);
    let transport = fake.clone();
    let send = Closure::<dyn FnMut(String, String, Option<String>) -> js_sys::Promise>::new(
        move |method: String, url: String, body: Option<String>| {
            let method = if method == "POST" { Method::Post } else { Method::Get };
            let sent = transport.send(HttpRequest { method, url, body: body.map(Body::Form) });
            wasm_bindgen_futures::future_to_promise(async move {
                let response = sent.await.map_err(|e| JsValue::from_str(&e))?;
                let answer = js_sys::Array::new();
                answer.push(&response.status.into());
                answer.push(&response.body.into());
                answer.push(&response.dev_browser_jwt.map_or(JsValue::NULL, Into::into));
                answer.push(&response.retry_after.map_or(JsValue::NULL, |s| s.to_string().into()));
                Ok(answer.into())
            })
        },
    );
    let engine = Engine::new(PK_DEV, Some(PROXY.into()), inert_host(&page_host()), js_sys::Date::now()).unwrap();
    clerk_from_engine(engine, PK_DEV, &fake_fetch(&send.into_js_value()))
}

/// The scenario's result as JSON, for plain assertions.
fn json(value: JsValue) -> serde_json::Value {
    let text = js_sys::JSON::stringify(&value).unwrap().as_string().unwrap();
    serde_json::from_str(&text).unwrap()
}

#[wasm_bindgen_test]
async fn before_emit_promise_is_awaited_and_listeners_see_undefined_first() {
    let fake = FakeFapi::two_sessions();
    let out = json(three_steps(js_clerk(&fake)).await.unwrap());
    assert_eq!(
        out["seen"],
        serde_json::json!(["sess_a/user_a", "undefined", "beforeEmit(sess_b) while undefined", "beforeEmit resolved", "sess_b/user_b"])
    );
    assert_eq!(out["after"], "sess_a");
}

#[wasm_bindgen_test]
async fn get_token_returns_the_cached_string_and_shares_requests() {
    let fake = FakeFapi::two_sessions();
    let out = json(cached_token(js_clerk(&fake)).await.unwrap());
    assert_eq!(out["same"], true);
    assert_eq!(out["manySame"], true);
    assert_eq!(out["differs"], true);
    assert_eq!(fake.count("/sess_a/tokens"), 2, "one for the personal token, one shared by 20 org callers");
}

#[wasm_bindgen_test]
async fn errors_arrive_as_typed_js_errors_and_state_is_unchanged() {
    let fake = FakeFapi::two_sessions();
    fake.respond_once(
        "/sess_a/tokens",
        422,
        r#"{"errors":[{"code":"form_param_invalid","message":"Invalid","long_message":"organization_id is invalid","meta":{"param_name":"organization_id"}}]}"#,
    );
    let out = json(typed_errors(js_clerk(&fake)).await.unwrap());
    assert_eq!(out["constructor"]["isError"], true);
    assert_eq!(out["constructor"]["code"], "invalid_publishable_key");
    assert_eq!(out["constructor"]["clerkError"], true);
    assert!(out["constructor"]["longMessage"].as_str().unwrap().contains("pk_test_"));
    assert_eq!(out["notLoaded"], "clerk_not_loaded");
    assert_eq!(out["unknownSession"]["code"], "session_not_found");
    assert_eq!(out["unknownSession"]["first"], "session_not_found");
    assert_eq!(
        out["server"],
        serde_json::json!({"name": "ClerkAPIResponseError", "code": "form_param_invalid", "status": 422,
                           "longMessage": "organization_id is invalid", "param": "organization_id", "errors": 1})
    );
    assert_eq!(out["badOption"], "invalid_argument");
    assert_eq!(out["quiet"], "", "throwOnError: false resolves to an empty string, as documented");
    assert_eq!(out["badPreset"], "invalid_argument");
    assert_eq!(out["sessionAfter"], "sess_a");
}

#[wasm_bindgen_test]
async fn throwing_listeners_and_before_emit_do_not_break_the_library() {
    let fake = FakeFapi::two_sessions();
    let out = json(throwing_listener_and_before_emit(js_clerk(&fake)).await.unwrap());
    assert_eq!(out["sameError"], true, "setActive must reject with beforeEmit's own error");
    assert_eq!(out["syncName"], "TypeError");
    assert_eq!(out["final"], "sess_a");
    assert_eq!(out["seen"], serde_json::json!(["sess_a/user_a", "undefined", "sess_b/user_b", "undefined", "sess_a/user_a"]));
}

#[wasm_bindgen_test]
async fn resources_have_clerk_js_shapes() {
    let fake = FakeFapi::two_sessions();
    let out = json(resource_shapes(js_clerk(&fake)).await.unwrap());
    assert_eq!(out["stableIdentity"], true);
    assert_eq!(out["dates"], true);
    assert_eq!(out["status"], "active");
    assert_eq!(out["fva"], serde_json::json!([0, -1]));
    assert_eq!(out["userFirstName"], "user_a");
    assert_eq!(out["userFullName"], "user_a");
    assert_eq!(out["memberships"], 2);
    assert_eq!(out["signedIn"], serde_json::json!(["sess_a", "sess_b"]));
    assert_eq!(out["lastActive"], "sess_a");
    assert_eq!(out["isNew"], false);
    assert!(out["touchUrl"].as_str().unwrap().contains("redirect_url=http%3A%2F%2Fapp.test%2Fx"));
    assert_eq!(out["organization"], serde_json::Value::Null);
    assert_eq!(out["isSignedIn"], true);
    assert_eq!(out["instanceType"], "development");
    assert_eq!(out["frontendApi"], "clerk.example.accounts.dev");
}

#[wasm_bindgen_test]
async fn set_session_still_works_and_organizations_switch() {
    let fake = FakeFapi::two_sessions();
    let out = json(deprecated_set_session_and_org_switch(js_clerk(&fake)).await.unwrap());
    assert_eq!(out["awaited"], true);
    assert_eq!(out["admin"], true);
    assert_eq!(claims(out["orgToken"].as_str().unwrap()).o.unwrap().id, "org_1");
    assert_eq!(out["orgAfter"], serde_json::Value::Null);
    assert_eq!(
        out["seen"],
        serde_json::json!([
            "sess_a/user_a:null",
            "undefined:undefined",
            "sess_b/user_b:null",
            "undefined:undefined",
            "sess_a/user_a:org_1",
            "undefined:undefined",
            "sess_a/user_a:null"
        ])
    );
}

#[wasm_bindgen_test]
async fn ending_a_session_and_destroying_the_client() {
    let fake = FakeFapi::two_sessions();
    let out = json(session_end_and_destroy(js_clerk(&fake)).await.unwrap());
    assert_eq!(out["endedStatus"], "ended");
    assert_eq!(out["liveStatus"], "ended");
    assert_eq!(out["afterEnd"], "session_not_active");
    assert_eq!(out["sessionAfterEnd"], serde_json::Value::Null);
    assert_eq!(out["clientId"], "");
    assert_eq!(out["sessions"], 0);
    assert_eq!(out["isNew"], true);
}

#[wasm_bindgen_test]
async fn sign_in_and_fresh_tokens_carry_clerk_js_hints() {
    let fake = FakeFapi::two_sessions();
    let sign_in = r#"{"response":{"object":"sign_in","id":"sia_1","status":"needs_first_factor"},"client":null}"#;
    fake.respond_once("/client/sign_ins", 200, sign_in);
    fake.respond_once("/client/sign_ins", 200, sign_in);
    // The driver reports the browser's own tab (document focus and visibility).
    let out = json(wire_details(js_clerk(&fake)).await.unwrap());
    let requests = fake.requests.borrow();
    let sign_ins: Vec<_> = requests.iter().filter(|r| r.path.ends_with("/sign_ins")).collect();
    assert_eq!(sign_ins.len(), 2);
    // The browser's language and time zone, as clerk-js sends them; the caller's own win.
    assert_eq!(sign_ins[0].form.get("locale").map(String::as_str), out["language"].as_str());
    assert_eq!(sign_ins[0].form.get("timezone").map(String::as_str), out["timeZone"].as_str());
    assert!(out["language"].as_str().is_some_and(|l| !l.is_empty()));
    assert_eq!(sign_ins[1].form.get("locale").map(String::as_str), Some("fr-FR"));
    assert_eq!(sign_ins[1].form.get("timezone").map(String::as_str), Some("Europe/Paris"));
    let fresh = requests.iter().find(|r| r.path.ends_with("/sess_a/tokens")).expect("a token request");
    assert_eq!(fresh.query.get("debug").map(String::as_str), Some("skip_cache"));
    let tab_state = fresh.form.get("tab_state").map(String::as_str);
    assert!(matches!(tab_state, Some("focused" | "visible" | "hidden")), "tab_state {tab_state:?}");
}
