//! The handshake (docs/dropin.md (c)): `GET /v1/client/handshake` and BAPI
//! `GET /v1/clients/handshake_payload`, first over plain HTTP, then end to end in headless
//! Chromium with real clerk-js and real `@clerk/backend` / `@clerk/express` app servers
//! (js/handshake_drive.mjs), for development (cookie and dev-browser modes) and production.

mod common;

use clerk_server::handshake::cookie_suffix;
use common::*;
use serde_json::{Value, json};

const APP: &str = "http://127.0.0.1:3000";

/// A browser-like client that does not follow redirects (the tests read each 307).
fn browser_no_redirects(t: &TestServer) -> Browser {
    let mut b = t.browser();
    b.http = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    b
}

async fn start(production: bool) -> TestServer {
    TestServer::start_with(|c| c.production = production).await
}

/// Follows one handshake: the 307's Location, and the directives behind its nonce.
async fn handshake(t: &TestServer, b: &Browser, query: &str) -> (Resp, url::Url, Vec<String>) {
    let r = b.get(&format!("/v1/client/handshake?{query}")).await;
    assert_eq!(r.status, 307, "{:?}", r.body);
    assert_eq!(r.headers["cache-control"], "no-store");
    let location = url::Url::parse(r.headers["location"].to_str().unwrap()).unwrap();
    let nonce = match location.query_pairs().find(|(k, _)| k == "__clerk_handshake_nonce") {
        Some((_, v)) => v.into_owned(),
        // Production: the nonce is a cookie for the app's host.
        None => {
            let c = r.headers["set-cookie"].to_str().unwrap();
            c.strip_prefix("__clerk_handshake_nonce=").unwrap().split(';').next().unwrap().to_owned()
        }
    };
    let p = t.bapi().get(&format!("/v1/clients/handshake_payload?nonce={nonce}")).await;
    assert_eq!(p.status, 200, "{:?}", p.body);
    let directives = p.body["directives"].as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_owned()).collect();
    // A nonce answers once.
    let again = t.bapi().get(&format!("/v1/clients/handshake_payload?nonce={nonce}")).await;
    assert_eq!((again.status.as_u16(), again.code()), (404, "resource_not_found"));
    (r, location, directives)
}

/// The value of the directive that sets `name`.
fn directive<'a>(directives: &'a [String], name: &str) -> &'a str {
    let d = directives.iter().find(|d| d.starts_with(&format!("{name}="))).unwrap_or_else(|| panic!("no {name} in {directives:?}"));
    d[name.len() + 1..].split(';').next().unwrap()
}

fn redirect_param(path: &str) -> String {
    serde_urlencoded::to_string([("redirect_url", format!("{APP}{path}"))]).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_malformed_and_foreign_redirect_urls_are_refused() {
    let t = TestServer::start().await;
    let b = browser_no_redirects(&t);
    let r = b.get("/v1/client/handshake?format=nonce").await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_param_missing"), "{:?}", r.body);
    assert_eq!(r.body["errors"][0]["meta"]["param_name"], "redirect_url");
    assert_eq!(r.content_type, "application/json");
    for bad in ["not a url", "ftp://127.0.0.1/x", "/relative", "http://evil.example.com/page", "javascript:alert(1)"] {
        let q = serde_urlencoded::to_string([("redirect_url", bad), ("format", "nonce")]).unwrap();
        let r = b.get(&format!("/v1/client/handshake?{q}")).await;
        assert_eq!((r.status.as_u16(), r.code()), (422, "form_param_value_invalid"), "{bad}: {:?}", r.body);
        assert_eq!(r.body["errors"][0]["meta"]["param_name"], "redirect_url", "{bad}");
    }
    // The payload endpoint is the Backend API's: secret key, nonce required.
    let r = reqwest::get(t.url("/v1/clients/handshake_payload?nonce=x")).await.unwrap();
    assert_eq!(r.status(), 401);
    let r = t.bapi().get("/v1/clients/handshake_payload").await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_param_missing"));
    let r = t.bapi().get("/v1/clients/handshake_payload?nonce=unknown").await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "resource_not_found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn development_signed_out_gets_a_dev_browser_and_cleared_cookies() {
    let t = TestServer::start().await;
    let b = browser_no_redirects(&t);
    let (_, location, d) = handshake(
        &t,
        &b,
        &format!("{}&format=nonce&suffixed_cookies=true&__clerk_hs_reason=dev-browser-missing", redirect_param("/page?x=1")),
    )
    .await;
    // Back to the app's URL, its own query kept, plus the nonce.
    assert_eq!(location.origin().ascii_serialization(), APP);
    assert_eq!(location.path(), "/page");
    assert_eq!(location.query_pairs().filter(|(k, _)| k == "x").count(), 1);
    let suffix = cookie_suffix(&t.server.state.publishable_key);
    let db = directive(&d, "__clerk_db_jwt");
    assert!(db.starts_with("dvb_"), "{d:?}");
    assert_eq!(
        d,
        [
            format!("__session_{suffix}=; Path=/; Max-Age=0; SameSite=Lax"),
            "__session=; Path=/; Max-Age=0; SameSite=Lax".to_owned(),
            format!("__client_uat_{suffix}=0; Path=/; Max-Age=31536000; Domain=127.0.0.1; SameSite=Strict"),
            "__client_uat=0; Path=/; Max-Age=31536000; Domain=127.0.0.1; SameSite=Strict".to_owned(),
            format!("__clerk_db_jwt_{suffix}={db}; Path=/; Max-Age=31536000; SameSite=Lax"),
            format!("__clerk_db_jwt={db}; Path=/; Max-Age=31536000; SameSite=Lax"),
        ]
    );
    // The dev-browser token is one this server knows: the Frontend API accepts it.
    let dev = t.browser();
    let r = dev.get(&format!("/v1/client?__clerk_db_jwt={db}")).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn development_signed_in_gets_a_fresh_token_and_the_dev_browser_keeps_the_client() {
    let t = TestServer::start().await;
    let b = browser_no_redirects(&t);
    let sid = b.sign_in("bob@example.com").await;
    let client = b.get("/v1/client").await.body["response"].clone();
    let (_, _, d) = handshake(&t, &b, &format!("{}&format=nonce&suffixed_cookies=false", redirect_param("/"))).await;
    // Both copies even when the SDK reads only one: a stale copy would later outvote the
    // fresh one.
    let suffix = cookie_suffix(&t.server.state.publishable_key);
    assert_eq!(directive(&d, &format!("__session_{suffix}")), directive(&d, "__session"));
    assert_eq!(directive(&d, &format!("__client_uat_{suffix}")), directive(&d, "__client_uat"));
    let jwt = directive(&d, "__session");
    let claims = verify(&t, jwt, &[APP]).expect("a valid session token");
    assert_eq!(claims.sub, t.seeded.bob_id);
    assert_eq!(claims.sid.as_deref(), Some(sid.as_str()));
    assert_eq!(claims.azp.as_deref(), Some(APP));
    // __client_uat: the client's updated_at in seconds, never after the token's iat.
    let uat: i64 = directive(&d, "__client_uat").parse().unwrap();
    assert_eq!(uat, client["updated_at"].as_i64().unwrap() / 1000);
    assert!(uat <= claims.iat, "uat {uat} iat {}", claims.iat);

    // The dev-browser token handed to the app now identifies the same client, with no cookie.
    let db = directive(&d, "__clerk_db_jwt").to_owned();
    let app_server_side = browser_no_redirects(&t);
    let (_, _, d2) = handshake(&t, &app_server_side, &format!("{}&format=nonce&__clerk_db_jwt={db}", redirect_param("/"))).await;
    assert_eq!(directive(&d2, "__clerk_db_jwt"), db, "a known token is kept");
    assert_eq!(verify(&t, directive(&d2, "__session"), &[APP]).unwrap().sid.as_deref(), Some(sid.as_str()));

    // The app lost its token (cleared cookies, another host): a new one is issued and, by the
    // __client cookie, names the same client; the lost one no longer does.
    let (_, _, d4) = handshake(&t, &b, &format!("{}&format=nonce", redirect_param("/"))).await;
    let renewed = directive(&d4, "__clerk_db_jwt").to_owned();
    assert_ne!(renewed, db);
    assert_eq!(verify(&t, directive(&d4, "__session"), &[APP]).unwrap().sid.as_deref(), Some(sid.as_str()));
    let stale = browser_no_redirects(&t);
    let (_, _, d5) = handshake(&t, &stale, &format!("{}&format=nonce&__clerk_db_jwt={db}", redirect_param("/"))).await;
    assert_eq!(directive(&d5, "__session"), "");

    // Revoked on the Backend API: the next handshake signs the app out.
    let r = t.bapi().post(&format!("/v1/sessions/{sid}/revoke"), None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let (_, _, d3) = handshake(&t, &b, &format!("{}&format=nonce", redirect_param("/"))).await;
    assert_eq!(directive(&d3, "__session"), "");
    assert_eq!(directive(&d3, "__client_uat"), "0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_format_carries_the_directives_in_a_signed_jwt() {
    let t = TestServer::start().await;
    let b = browser_no_redirects(&t);
    b.sign_in("bob@example.com").await;
    let r = b.get(&format!("/v1/client/handshake?{}", redirect_param("/page"))).await;
    assert_eq!(r.status, 307, "{:?}", r.body);
    let location = url::Url::parse(r.headers["location"].to_str().unwrap()).unwrap();
    let (_, jwt) = location.query_pairs().find(|(k, _)| k == "__clerk_handshake").expect("the token in the URL");
    let header = jwt_part(&jwt, 0);
    assert_eq!((header["alg"].as_str(), header["typ"].as_str()), (Some("RS256"), Some("JWT")));
    assert_eq!(header["kid"], t.server.state.key.kid());
    assert_eq!(header.get("cat"), None, "@clerk/backend refuses non-session categories");
    let payload = jwt_part(&jwt, 1);
    let d: Vec<String> = payload["handshake"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    assert_eq!(verify(&t, directive(&d, "__session"), &[APP]).unwrap().sub, t.seeded.bob_id);
    assert!(payload["exp"].as_i64().unwrap() > payload["iat"].as_i64().unwrap());
    // (Its signature is checked by real @clerk/backend in the Chromium test below.)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_sends_the_nonce_as_a_cookie_and_no_dev_browser() {
    let t = start(true).await;
    assert!(t.server.state.publishable_key.starts_with("pk_live_"));
    let b = browser_no_redirects(&t);
    let env = b.get("/v1/environment").await;
    assert_eq!(env.body["display_config"]["instance_environment_type"], "production");

    // Signed out: the app's exact URL back, the nonce in an HttpOnly cookie.
    let (r, location, d) = handshake(&t, &b, &format!("{}&format=nonce&suffixed_cookies=true", redirect_param("/page?x=1"))).await;
    assert_eq!(location.as_str(), format!("{APP}/page?x=1"));
    let cookie = r.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.ends_with("; Path=/; Max-Age=300; HttpOnly; SameSite=Lax"), "{cookie}");
    let suffix = cookie_suffix(&t.server.state.publishable_key);
    assert_eq!(
        d,
        [
            format!("__session_{suffix}=; Path=/; Max-Age=0; SameSite=Lax"),
            "__session=; Path=/; Max-Age=0; SameSite=Lax".to_owned(),
            format!("__client_uat_{suffix}=0; Path=/; Max-Age=31536000; Domain=127.0.0.1; SameSite=Lax"),
            "__client_uat=0; Path=/; Max-Age=31536000; Domain=127.0.0.1; SameSite=Lax".to_owned(),
            "__clerk_handshake_nonce=; Path=/; Max-Age=0".to_owned(),
            "__clerk_handshake=; Path=/; Max-Age=0".to_owned(),
        ]
    );

    // The Frontend API keeps __client_uat on production instances: the client's updated_at
    // (seconds) once signed in, 0 once signed out, with its suffixed copy.
    let client_uat = |r: &Resp| -> Vec<String> {
        let all = r.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned());
        all.filter(|c| c.starts_with("__client_uat")).collect()
    };
    let form = [("identifier", "bob@example.com"), ("password", PASSWORD), ("strategy", "password")];
    let r = b.post("/v1/client/sign_ins", &form).await;
    assert_eq!(r.body["response"]["status"], "complete", "{:?}", r.body);
    let secs = r.body["client"]["updated_at"].as_i64().unwrap() / 1000;
    let attrs = "Path=/; Max-Age=31536000; Domain=127.0.0.1; SameSite=Lax";
    assert_eq!(client_uat(&r), [format!("__client_uat_{suffix}={secs}; {attrs}"), format!("__client_uat={secs}; {attrs}")]);
    let sid = r.body["response"]["created_session_id"].as_str().unwrap().to_owned();
    // A token answer names no client: the cookie is left alone.
    let token = b.post(&format!("/v1/client/sessions/{sid}/tokens"), &[]).await;
    assert_eq!(client_uat(&token), Vec::<String>::new());
    let ended = b.post(&format!("/v1/client/sessions/{sid}/end"), &[]).await;
    assert_eq!(client_uat(&ended), [format!("__client_uat_{suffix}=0; {attrs}"), format!("__client_uat=0; {attrs}")]);
    // A development instance leaves __client_uat to clerk-js.
    let dev = TestServer::start().await;
    let r = dev.browser().post("/v1/client/sign_ins", &form).await;
    assert_eq!(r.body["response"]["status"], "complete", "{:?}", r.body);
    assert_eq!(client_uat(&r), Vec::<String>::new());

    // Signed in, by the __client cookie the browser sends on the navigation.
    let sid = b.sign_in("bob@example.com").await;
    let (_, _, d) = handshake(&t, &b, &format!("{}&format=nonce", redirect_param("/"))).await;
    assert_eq!(verify(&t, directive(&d, "__session"), &[APP]).unwrap().sid.as_deref(), Some(sid.as_str()));
    assert!(!d.iter().any(|x| x.starts_with("__clerk_db_jwt")), "{d:?}");
}

/// The whole round trip in Chromium, for each kind of instance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_round_trip_in_chromium_with_backend_and_express() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let js = root.join("tests/js");
    let ready =
        ["@clerk/clerk-js/dist", "@clerk/backend", "@clerk/express", "express"].iter().all(|p| js.join("node_modules").join(p).exists());
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !ready || !root.join("../tests/js/node_modules/playwright-core").exists() || !std::path::Path::new(&chromium).exists() {
        assert!(std::env::var_os("CLERK_REQUIRE_REAL_CLIENTS").is_none(), "node packages or chromium missing");
        eprintln!("SKIP: node packages or chromium missing (run .ci/setup)");
        return;
    }
    // development with cookie identity; development through a Clerk development host (clerk-js
    // in dev-browser mode); production.
    for (mode, frontend_host, production) in
        [("dev-cookie", None, false), ("dev-browser", Some("clerk.stub.accounts.dev"), false), ("production", None, true)]
    {
        let dir = tempfile::tempdir().unwrap();
        // Four-second tokens, so that the test can wait for one to expire, while a fresh one
        // survives a slow visit on a loaded machine.
        let mut cfg = config(dir.path().join("clerk.db"), 4);
        cfg.production = production;
        cfg.frontend_host = frontend_host.map(str::to_owned);
        let server = clerk_server::start(cfg).await.unwrap();
        let store = server.state.store.clone();
        let seeded = tokio::task::spawn_blocking(move || clerk_server::seed::seed(&*store)).await.unwrap().unwrap();
        let arg = json!({"fapiUrl": server.url(), "pk": server.state.publishable_key, "sk": server.state.secret_key}).to_string();
        let script = js.join("handshake_drive.mjs");
        let out =
            tokio::task::spawn_blocking(move || std::process::Command::new("node").arg(script).arg(arg).output().unwrap()).await.unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(out.status.success(), "{mode}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        let r: Value = serde_json::from_str(stdout.trim().lines().last().unwrap()).unwrap();
        check_round_trip(mode, &r, &seeded.bob_id);
        server.stop().await;
    }
}

fn check_round_trip(mode: &str, r: &Value, bob: &str) {
    let signed_in = |v: &Value, sid: &Value| {
        assert_eq!(v["status"], "signed-in", "{mode}: {v}");
        assert_eq!(v["userId"], bob, "{mode}: {v}");
        assert_eq!(&v["sessionId"], sid, "{mode}: {v}");
    };
    let dev = mode != "production";
    let sid = &r["signIn"]["sessionId"];
    assert_eq!(r["signIn"]["userId"], bob, "{mode}: {r}");

    // First visit: signed out. A development key has no dev browser yet, so that is one
    // handshake (dev-browser-missing), which hands the app a dev-browser token.
    assert_eq!(r["first"]["auth"]["status"], "signed-out", "{mode}: {r}");
    assert_eq!(r["first"]["auth"]["sessionId"], Value::Null, "{mode}");
    assert_eq!(r["first"]["handshakes"], if dev { 1 } else { 0 }, "{mode}: {r}");
    assert_eq!(r["firstCookies"].as_array().unwrap().contains(&json!("__clerk_db_jwt")), dev, "{mode}: {r}");

    // After clerk-js signed in, the app reads the cookies with no handshake. On a production
    // instance `__client_uat` comes from the Frontend API, as on Clerk.
    signed_in(&r["fresh"]["auth"], sid);
    assert_eq!(r["fresh"]["handshakes"], 0, "{mode}: {r}");
    let uat: i64 = r["afterSignIn"]["clientUat"].as_str().expect("__client_uat after sign-in").parse().unwrap();
    assert!(uat > 1_700_000_000, "{mode}: {uat}");
    assert_eq!(r["afterSignIn"]["session"], json!({"sameSite": "Lax", "httpOnly": false, "path": "/"}), "{mode}");

    // Expired: a fetch is not eligible for a handshake and is signed out; a document navigation
    // goes through the handshake once and comes back signed in with a new, unexpired token.
    assert_eq!(r["expiredApi"]["status"], "signed-out", "{mode}: {r}");
    assert_eq!(r["expiredApi"]["reason"], "session-token-expired-refresh-non-eligible-no-refresh-cookie", "{mode}");
    for (step, cookie, api) in
        [("backendHandshake", "backendCookie", "backendApiAfter"), ("expressHandshake", "expressCookie", "expressApiAfter")]
    {
        signed_in(&r[step]["auth"], sid);
        assert_eq!(r[step]["handshakes"], 1, "{mode} {step}: {r}");
        let url = r[step]["finalUrl"].as_str().unwrap();
        assert!(url.ends_with("/page"), "{mode} {step}: the handshake parameters are gone: {url}");
        assert_eq!(r[cookie], json!({"changed": true, "sid": sid, "expInFuture": true}), "{mode} {step}");
        signed_in(&r[api], sid);
    }

    // The token format, verified by @clerk/backend with the JWKS.
    signed_in(&r["tokenFormat"]["auth"], sid);
    assert!(r["tokenFormat"]["finalUrl"].as_str().unwrap().ends_with("/page"), "{mode}: {r}");
    assert_eq!(&r["tokenFormatSid"], sid, "{mode}");

    // Revoked: the handshake signs the app out and clears its cookies; afterwards the other app
    // is signed out without a handshake.
    assert_eq!(r["revokedExpress"]["auth"]["status"], "signed-out", "{mode}: {r}");
    assert_eq!(r["revokedExpress"]["handshakes"], 1, "{mode}: {r}");
    assert_eq!(r["revokedCookies"], json!({"session": null, "clientUat": "0"}), "{mode}");
    assert_eq!(r["revokedBackend"]["auth"]["status"], "signed-out", "{mode}");
    assert_eq!(r["revokedBackend"]["auth"]["reason"], "session-token-and-uat-missing", "{mode}");
    assert_eq!(r["revokedBackend"]["handshakes"], 0, "{mode}");
}
