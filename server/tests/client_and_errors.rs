//! Issue 16, the client and errors: the client's lifetime and touch, `PUT /v1/client`,
//! `reload()`'s parameters, Clerk's error shape for every error, the development clock and
//! JWT-template verification, checked over real HTTP. server/README.md maps each documented
//! behaviour to its test.

mod common;

use common::lifecycle::*;
use common::*;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_touch_extends_the_client_and_redirects_only_to_allowed_urls() {
    let t = TestServer::start().await;
    let b = browser_no_redirects(&t);
    b.sign_in("bob@example.com").await;
    let client = b.get("/v1/client").await.body["response"].clone();
    let id = client["id"].as_str().unwrap().to_owned();
    let expires = client["cookie_expires_at"].as_i64().unwrap();
    assert_eq!(expires - client["created_at"].as_i64().unwrap(), 400 * DAY_MS);

    // clerk-js's isEligibleForTouch(): 8 days or less before cookie_expires_at.
    let now = advance(&t, expires - 8 * DAY_MS - server_now(&t).await).await;
    assert!(expires - now <= 8 * DAY_MS);
    let target = "http://127.0.0.1:3000/after?x=1#top";
    let r = b.get(&format!("/v1/client/touch?redirect_url={}", urlencode(target))).await;
    assert_eq!(r.status.as_u16(), 307, "{:?}", r.body);
    assert_eq!(r.headers["location"], "http://127.0.0.1:3000/after?x=1#top");
    let cookie = r.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("__client=") && cookie.contains(&format!("Max-Age={}", 400 * DAY_MS / 1000)), "{cookie}");
    let client = b.get("/v1/client").await.body["response"].clone();
    assert_eq!(client["id"], id.as_str(), "the same client, with its new cookie");
    let extended = client["cookie_expires_at"].as_i64().unwrap();
    assert!(extended >= now + 400 * DAY_MS && extended > expires, "{extended} vs {expires}");

    // Refused: other origins, relative and non-http URLs, and no URL at all; nothing changes.
    for bad in ["https://evil.example/", "http://127.0.0.1.evil.example/", "/after", "javascript:alert(1)", "not a url"] {
        let r = b.get(&format!("/v1/client/touch?redirect_url={}", urlencode(bad))).await;
        assert_error(&r, 422, "form_param_value_invalid");
        assert_eq!(r.body["errors"][0]["meta"]["param_name"], "redirect_url", "{bad}");
        assert!(r.headers.get("location").is_none() && r.headers.get("set-cookie").is_none(), "{bad}");
    }
    assert_error(&b.get("/v1/client/touch").await, 422, "form_param_missing");
    assert_eq!(b.get("/v1/client").await.body["response"]["cookie_expires_at"], extended);

    // Untouched, a client lapses at cookie_expires_at: the browser has no client any more.
    advance(&t, 400 * DAY_MS).await;
    let r = b.get("/v1/client").await;
    assert_eq!((r.status.as_u16(), &r.body["response"]), (200, &Value::Null));
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_touch_with_a_dev_browser_and_allowed_origins_without_dev() {
    let t = TestServer::start().await;
    let mut b = browser_no_redirects(&t);
    let db = b.post("/v1/dev_browser", &[]).await.body["id"].as_str().unwrap().to_owned();
    b.extra_query = Some(format!("__clerk_db_jwt={db}"));
    b.sign_in("bob@example.com").await;
    let before = b.get("/v1/client").await.body["response"]["cookie_expires_at"].as_i64().unwrap();
    advance(&t, 100 * DAY_MS).await;
    // buildUrlWithAuth adds the dev-browser token to the touch URL, as to every FAPI URL.
    let r = b.get("/v1/client/touch?redirect_url=http%3A%2F%2Flocalhost%3A5173%2F").await;
    assert_eq!((r.status.as_u16(), r.headers["location"].to_str().unwrap()), (307, "http://localhost:5173/"));
    let after = b.get("/v1/client").await.body["response"]["cookie_expires_at"].as_i64().unwrap();
    assert!(after >= before + 100 * DAY_MS);
    t.server.stop().await;

    // Without --dev only the allow-list and the server's own origin are allowed.
    let t = TestServer::start_with(|c| {
        c.dev = false;
        c.allowed_origins = vec!["https://app.example.com".into()];
    })
    .await;
    let b = browser_no_redirects(&t);
    let own = format!("{}/home", t.server.url());
    for (url, allowed) in [("https://app.example.com/x", true), (own.as_str(), true), ("http://127.0.0.1:3000/", false)] {
        let r = b.get(&format!("/v1/client/touch?redirect_url={}", urlencode(url))).await;
        if allowed {
            assert_eq!((r.status.as_u16(), r.headers["location"].to_str().unwrap()), (307, url));
        } else {
            assert_error(&r, 422, "form_param_value_invalid");
        }
    }
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_client_makes_a_new_client_and_reload_honours_its_parameters() {
    let t = TestServer::start().await;
    let b = t.browser();
    let sid = b.sign_in("bob@example.com").await;
    let old = b.get("/v1/client").await.body["response"]["id"].as_str().unwrap().to_owned();
    // clerk-js's Client.create() is `_basePut`: PUT, tunnelled as POST ?_method=PUT.
    for put in [Method::PUT, Method::POST] {
        let path = if put == Method::PUT { "/v1/client" } else { "/v1/client?_method=PUT" };
        let r = into_resp(b.http.request(put.clone(), format!("{}{path}", t.server.url())).header("origin", ORIGIN).send().await.unwrap())
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let new = r.body["response"]["id"].as_str().unwrap().to_owned();
        assert_ne!(new, old, "{put}");
        assert_eq!(r.body["response"]["sessions"], json!([]));
        assert_eq!(r.body["client"]["id"], new.as_str());
        assert!(r.headers["set-cookie"].to_str().unwrap().starts_with("__client="));
        assert_eq!(b.get("/v1/client").await.body["response"]["id"], new.as_str(), "the cookie is the new client's");
        assert_eq!(t.bapi().get(&format!("/v1/sessions/{sid}")).await.body["client_id"], old.as_str());
    }
    // A dev browser moves to the new client as well.
    let mut d = t.browser();
    let db = d.post("/v1/dev_browser", &[]).await.body["id"].as_str().unwrap().to_owned();
    d.extra_query = Some(format!("__clerk_db_jwt={db}"));
    d.sign_in("bob@example.com").await;
    let before = d.get("/v1/client").await.body["response"]["id"].clone();
    let created = d.post("/v1/client?_method=PUT", &[]).await.body["response"]["id"].clone();
    assert_ne!(created, before);
    assert_eq!(d.get("/v1/client").await.body["response"]["id"], created);

    // client.reload({rotatingTokenNonce}) sends rotating_token_nonce: a new cookie, the old one
    // no longer finds the client.
    let plain = reqwest::Client::new();
    let client_of = |cookie: String| {
        let plain = plain.clone();
        let url = t.url("/v1/client");
        async move { into_resp(plain.get(url).header("cookie", cookie).send().await.unwrap()).await.body["response"]["id"].clone() }
    };
    let r = plain.post(t.url("/v1/client")).send().await.unwrap();
    let first = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let id = client_of(first.clone()).await;
    assert!(id.is_string());
    let r =
        into_resp(plain.get(t.url("/v1/client?rotating_token_nonce=n0nce")).header("cookie", first.clone()).send().await.unwrap()).await;
    assert_eq!(r.body["response"]["id"], id);
    let second = r.headers["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    assert_ne!(second, first);
    assert_eq!(client_of(first.clone()).await, Value::Null);
    assert_eq!(client_of(second).await, id);
    let r = into_resp(plain.get(t.url("/v1/client?rotating_token_nonce=")).send().await.unwrap()).await;
    assert_error(&r, 422, "form_param_value_invalid");
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_is_json_in_clerks_shape() {
    let t = TestServer::start().await;
    let http = reqwest::Client::new();
    let send = |method: Method, path: &str, auth: bool, content_type: Option<&str>, body: &str| {
        let mut rb = http.request(method, t.url(path)).body(body.to_owned());
        if auth {
            rb = rb.bearer_auth(t.sk());
        }
        if let Some(ct) = content_type {
            rb = rb.header("content-type", ct);
        }
        async move { into_resp(rb.send().await.unwrap()).await }
    };
    // A wrong HTTP method: 405 with the Allow header kept.
    for (method, path, auth) in [
        (Method::PUT, "/v1/client/sessions/sess_x/tokens", false),
        (Method::DELETE, "/v1/environment", false),
        (Method::DELETE, "/v1/jwks", false),
        (Method::PATCH, "/v1/sessions/sess_x/revoke", true),
    ] {
        let r = send(method.clone(), path, auth, None, "").await;
        assert_error(&r, 405, "method_not_allowed");
        assert!(r.headers.get("allow").is_some(), "{method} {path}");
    }
    // A path that does not decode: invalid UTF-8 in a path parameter.
    for (path, auth) in [("/v1/client/sessions/%FF%FE/tokens", false), ("/v1/sessions/%C3%28/revoke", true)] {
        assert_error(&send(Method::POST, path, auth, None, "").await, 400, "malformed_request");
    }
    assert_error(&send(Method::GET, "/v1/sessions/%FF", true, None, "").await, 400, "malformed_request");
    // Unknown routes.
    assert_error(&send(Method::GET, "/v1/nope", false, None, "").await, 404, "resource_not_found");
    assert_error(&send(Method::GET, "/v1/sessions/sess_x/nope", true, None, "").await, 404, "resource_not_found");
    // An unsupported Content-Type with a body is a 415 and writes nothing.
    let b = t.browser();
    for ct in ["text/plain", "multipart/form-data; boundary=x", "application/xml"] {
        let r = b.post_raw("/v1/client/sign_ins", ct, b"identifier=bob%40example.com".to_vec()).await;
        assert_error(&r, 415, "unsupported_content_type");
        let r = send(Method::POST, "/v1/users", true, Some(ct), "{\"email_address\":[\"x@example.com\"]}").await;
        assert_error(&r, 415, "unsupported_content_type");
    }
    assert_eq!(b.get("/v1/client").await.body["response"], Value::Null, "no client, no sign-in was made");
    assert_eq!(t.bapi().get("/v1/users?email_address=x@example.com").await.body, json!([]));
    // The media types the APIs take still work, with parameters and an empty body of any type.
    let r = b
        .post_raw("/v1/client/sign_ins", "application/x-www-form-urlencoded; charset=UTF-8", b"identifier=bob%40example.com".to_vec())
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = send(Method::POST, "/v1/users", true, Some("application/json; charset=utf-8"), "{\"email_address\":[\"y@example.com\"]}").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let sid = b.sign_in("bob@example.com").await;
    assert_eq!(send(Method::POST, &format!("/v1/sessions/{sid}/revoke"), true, Some("text/plain"), "").await.status, 200);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dev_clock_only_moves_forward_and_only_with_dev() {
    let t = TestServer::start().await;
    let before = server_now(&t).await;
    let http = reqwest::Client::new();
    for bad in ["advance_ms=-1", "advance_ms=soon", ""] {
        let r = into_resp(http.post(t.url(&format!("/__dev/clock?{bad}"))).send().await.unwrap()).await;
        let code = if bad.is_empty() { "form_param_missing" } else { "form_param_value_invalid" };
        assert_error(&r, 422, code);
    }
    let after = advance(&t, DAY_MS).await;
    assert!(after >= before + DAY_MS && after < before + DAY_MS + 60_000);
    // Tokens are stamped with the server's time.
    let b = t.browser();
    let sid = b.sign_in("bob@example.com").await;
    let claims = clerk_token::decode_unverified(&b.token(&sid, &[]).await).unwrap();
    assert!(claims.iat * 1000 >= after - 1000, "iat {} vs {after}", claims.iat);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_template_tokens_verify_with_the_explicit_option() {
    let t = TestServer::start().await;
    let b = t.browser();
    let sid = b.sign_in("bob@example.com").await;
    let r = b.post(&format!("/v1/client/sessions/{sid}/tokens/demo"), &[]).await;
    let jwt = r.body["jwt"].as_str().unwrap();
    let key = t.public_key();
    let err = clerk_token::verify_and_validate(jwt, &key, &Default::default()).unwrap_err();
    assert_eq!(err, clerk_token::VerifyError::MissingClaim("sid"));
    let options = clerk_token::VerifyOptions { token_kind: clerk_token::TokenKind::JwtTemplate, ..Default::default() };
    let claims = clerk_token::verify_and_validate(jwt, &key, &options).unwrap();
    assert_eq!((claims.sub.as_str(), claims.sid.as_deref()), (t.seeded.bob_id.as_str(), None));
    assert_eq!(claims.extra["session"], sid.as_str());
    // A session token still verifies as a session token.
    assert_eq!(
        clerk_token::verify_and_validate(&b.token(&sid, &[]).await, &key, &Default::default()).unwrap().sid.as_deref(),
        Some(sid.as_str())
    );
    t.server.stop().await;
}

/// A session's `last_active_token` is signed after the transaction, once per session: where an
/// answer shows the session twice (the response and the client), both carry the same token,
/// valid for the request's Origin. A session that is not signed in carries none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_shown_twice_carries_one_token() {
    let t = TestServer::start().await;
    let b = t.browser();
    let bob = b.sign_in("bob@example.com").await;
    let alice = b.sign_in_alice().await;
    let r = b.post(&format!("/v1/client/sessions/{bob}/touch"), &[]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let shown = r.body["response"]["last_active_token"]["jwt"].as_str().expect("a token in the response").to_owned();
    let sessions = r.body["client"]["sessions"].as_array().unwrap();
    let on_client = |sid: &str| sessions.iter().find(|s| s["id"] == sid).unwrap()["last_active_token"]["jwt"].clone();
    assert_eq!(on_client(&bob), shown.as_str());
    assert_eq!(verify(&t, &shown, &[ORIGIN]).unwrap().sid.as_deref(), Some(bob.as_str()));
    let other = on_client(&alice);
    assert_eq!(verify(&t, other.as_str().unwrap(), &[ORIGIN]).unwrap().sid.as_deref(), Some(alice.as_str()));

    let r = b.post(&format!("/v1/client/sessions/{bob}/end"), &[]).await;
    assert_eq!((r.status.as_u16(), &r.body["response"]["status"]), (200, &json!("ended")));
    assert_eq!(r.body["response"]["last_active_token"], Value::Null);
    let ended = r.body["client"]["sessions"].as_array().unwrap().iter().find(|s| s["id"] == bob.as_str()).unwrap().clone();
    assert_eq!(ended["last_active_token"], Value::Null);
    t.server.stop().await;
}
