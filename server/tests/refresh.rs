//! `POST /v1/sessions/{id}/refresh` (`bapi::refresh`) and the `__refresh` cookie the handshake
//! hands out with `--refresh-cookie`: over plain HTTP with exactly the body `@clerk/backend`'s
//! `refreshSession` sends, then with the real `authenticateRequest` (js/refresh_drive.mjs),
//! which trades an expired `__session` for a fresh one without a handshake redirect.

mod common;

use clerk_server::handshake::cookie_suffix;
use common::real_clients::node;
use common::*;
use serde_json::{Value, json};

const APP: &str = "http://127.0.0.1:3000";

fn no_redirects(t: &TestServer) -> Browser {
    let mut b = t.browser();
    b.http = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    b
}

/// The directives of one signed-in handshake (format=nonce), as `name → value`.
async fn handshake(t: &TestServer, b: &Browser) -> Vec<(String, String, String)> {
    let q = serde_urlencoded::to_string([("redirect_url", format!("{APP}/")), ("format", "nonce".into())]).unwrap();
    let r = b.get(&format!("/v1/client/handshake?{q}")).await;
    assert_eq!(r.status, 307, "{:?}", r.body);
    let location = url::Url::parse(r.headers["location"].to_str().unwrap()).unwrap();
    let nonce = location.query_pairs().find(|(k, _)| k == "__clerk_handshake_nonce").unwrap().1.into_owned();
    let p = t.bapi().get(&format!("/v1/clients/handshake_payload?nonce={nonce}")).await;
    assert_eq!(p.status, 200, "{:?}", p.body);
    p.body["directives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let d = d.as_str().unwrap();
            let (pair, attrs) = d.split_once(';').unwrap_or((d, ""));
            let (name, value) = pair.split_once('=').unwrap();
            (name.to_owned(), value.to_owned(), attrs.trim().to_owned())
        })
        .collect()
}

fn value<'a>(d: &'a [(String, String, String)], name: &str) -> Option<&'a str> {
    d.iter().find(|(n, _, _)| n == name).map(|(_, v, _)| v.as_str())
}

/// What @clerk/backend 3.x sends (SessionAPI.refreshSession, format cookie).
fn body(expired: &str, refresh: &str, format: &str) -> Value {
    json!({
        "format": format,
        "expired_token": expired,
        "refresh_token": refresh,
        "request_origin": APP,
        "request_headers": {"accept": ["text/html"], "sec-fetch-dest": ["document"]},
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handshake_hands_a_refresh_cookie_that_the_backend_api_trades_for_a_token() {
    let t = TestServer::start_with(|c| c.refresh_cookie = true).await;
    let b = no_redirects(&t);
    let sid = b.sign_in("bob@example.com").await;
    let d = handshake(&t, &b).await;
    let suffix = cookie_suffix(&t.server.state.publishable_key);
    let refresh = value(&d, "__refresh").expect("a __refresh directive").to_owned();
    assert_eq!(value(&d, &format!("__refresh_{suffix}")), Some(refresh.as_str()));
    let attrs = &d.iter().find(|(n, _, _)| n == "__refresh").unwrap().2;
    assert!(attrs.contains("HttpOnly") && attrs.contains("SameSite=Lax") && attrs.contains("Path=/"), "{attrs}");
    let expired = value(&d, "__session").unwrap().to_owned();

    // format=cookie with suffixed cookies: both copies of a fresh token for the session.
    let r = t.bapi().post(&format!("/v1/sessions/{sid}/refresh?suffixed_cookies=true"), Some(body(&expired, &refresh, "cookie"))).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["object"], "cookies");
    let cookies: Vec<&str> = r.body["cookies"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    let jwt = cookies.iter().find_map(|c| c.strip_prefix("__session=")).unwrap().split(';').next().unwrap();
    assert!(cookies.iter().any(|c| c.starts_with(&format!("__session_{suffix}={jwt};"))), "{cookies:?}");
    assert!(cookies.iter().any(|c| c.starts_with("__client_uat=")), "{cookies:?}");
    let claims = verify(&t, jwt, &[APP]).expect("a valid session token");
    assert_eq!((claims.sid.as_deref(), claims.sub.as_str()), (Some(sid.as_str()), t.seeded.bob_id.as_str()));
    assert_eq!(claims.azp.as_deref(), Some(APP));

    // format=token: the token alone.
    let r = t.bapi().post(&format!("/v1/sessions/{sid}/refresh"), Some(body(&expired, &refresh, "token"))).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["object"], "token");
    assert_eq!(verify(&t, r.body["jwt"].as_str().unwrap(), &[APP]).unwrap().sid.as_deref(), Some(sid.as_str()));
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_typed_and_a_revoked_session_is_gone() {
    let t = TestServer::start_with(|c| c.refresh_cookie = true).await;
    let b = no_redirects(&t);
    let sid = b.sign_in("bob@example.com").await;
    let d = handshake(&t, &b).await;
    let (expired, refresh) = (value(&d, "__session").unwrap().to_owned(), value(&d, "__refresh").unwrap().to_owned());
    let other = no_redirects(&t);
    let other_sid = other.sign_in_alice().await;
    let path = format!("/v1/sessions/{sid}/refresh");

    let r = t.bapi().post(&path, Some(body(&expired, "rt_wrong", "cookie"))).await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "refresh_token_invalid"), "{:?}", r.body);
    assert_eq!(r.body["errors"][0]["meta"]["param_name"], "refresh_token");
    // Another session's refresh token does not refresh this one.
    let r = t.bapi().post(&format!("/v1/sessions/{other_sid}/refresh"), Some(body(&expired, &refresh, "cookie"))).await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "token_invalid"), "the expired token is bob's: {:?}", r.body);
    for bad in
        ["not-a-jwt", &format!("{}.{}.AAAA", b64(&json!({"alg":"RS256"})), b64(&json!({"sid": sid, "sub": "x", "exp": 1, "iat": 1})))]
    {
        let r = t.bapi().post(&path, Some(body(bad, &refresh, "cookie"))).await;
        assert_eq!((r.status.as_u16(), r.code()), (400, "token_invalid"), "{bad}: {:?}", r.body);
        assert_eq!(r.body["errors"][0]["meta"]["param_name"], "expired_token");
    }
    let r = t.bapi().post(&path, Some(json!({"refresh_token": refresh, "request_origin": APP}))).await;
    assert_eq!(r.code(), "form_param_missing", "{:?}", r.body);
    let r = t.bapi().post(&path, Some(body(&expired, &refresh, "yaml"))).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_param_value_invalid"), "{:?}", r.body);
    // The secret key is required, as on every Backend API route.
    let r = reqwest::Client::new().post(t.url(&path)).json(&body(&expired, &refresh, "cookie")).send().await.unwrap();
    assert_eq!(r.status(), 401);

    let r = t.bapi().post(&format!("/v1/sessions/{sid}/revoke"), None).await;
    assert_eq!(r.status, 200);
    let r = t.bapi().post(&path, Some(body(&expired, &refresh, "cookie"))).await;
    assert_eq!((r.status.as_u16(), r.code()), (410, "session_not_active"), "{:?}", r.body);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_flag_the_handshake_sets_no_refresh_cookie() {
    let t = TestServer::start().await;
    let b = no_redirects(&t);
    b.sign_in("bob@example.com").await;
    let d = handshake(&t, &b).await;
    assert!(value(&d, "__session").is_some_and(|s| !s.is_empty()));
    assert!(d.iter().all(|(n, _, _)| !n.starts_with("__refresh")), "{d:?}");
    t.server.stop().await;
}

/// The real @clerk/backend: an expired `__session` with the handshake's `__refresh` is
/// refreshed on the spot (signed in, new cookies, no redirect); without `__refresh` the same
/// request gets the handshake.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clerk_backend_refreshes_an_expired_session_with_the_refresh_cookie() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    if !root.join("tests/js/node_modules/@clerk/backend").exists() {
        assert!(std::env::var_os("CLERK_REQUIRE_REAL_CLIENTS").is_none(), "@clerk/backend missing");
        eprintln!("SKIP: @clerk/backend missing (run .ci/setup)");
        return;
    }
    // One-second tokens: the handshake's expires while the test waits.
    let t = TestServer::start_with(|c| {
        c.refresh_cookie = true;
        c.token_ttl = 1;
    })
    .await;
    let b = no_redirects(&t);
    let sid = b.sign_in("bob@example.com").await;
    let d = handshake(&t, &b).await;
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let cookies: serde_json::Map<String, Value> = d.iter().map(|(n, v, _)| (n.clone(), json!(v))).collect();
    let arg = |cookies: serde_json::Map<String, Value>| {
        [json!({"apiUrl": t.server.url(), "pk": t.server.state.publishable_key, "sk": t.sk(), "appUrl": format!("{APP}/"), "cookies": cookies})
            .to_string()]
    };
    let r = node(root, "refresh_drive.mjs", &arg(cookies.clone())).await;
    assert_eq!(r["status"], "signed-in", "{r}");
    assert_eq!(r["sessionId"], sid.as_str());
    assert_eq!(r["userId"], t.seeded.bob_id.as_str());
    assert_eq!(r["location"], Value::Null, "no handshake redirect: {r}");
    let fresh = r["setCookies"].as_array().unwrap().iter().filter_map(|c| c.as_str()?.strip_prefix("__session=")).next();
    let fresh = fresh.expect("a new __session").split(';').next().unwrap();
    assert_ne!(Some(fresh), value(&d, "__session"));
    assert_eq!(clerk_token::decode_unverified(fresh).unwrap().sid.as_deref(), Some(sid.as_str()));

    let without: serde_json::Map<String, Value> = cookies.into_iter().filter(|(n, _)| !n.starts_with("__refresh")).collect();
    let r = node(root, "refresh_drive.mjs", &arg(without)).await;
    assert_eq!(r["status"], "handshake", "{r}");
    assert!(r["location"].as_str().unwrap().contains("/v1/client/handshake"), "{r}");
    t.server.stop().await;
}
