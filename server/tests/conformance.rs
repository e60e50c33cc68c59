//! Issue 16: the behaviours Clerk documents for sessions, clients and errors, checked over real
//! HTTP against a real server. Time-based states are reached by moving the server's development
//! clock (`POST /__dev/clock`), never by sleeping. server/README.md maps each documented
//! behaviour to its test here.

mod common;

use clerk_server::errors::ApiError;
use clerk_server::store::Session;
use common::*;
use reqwest::Method;
use serde_json::{Value, json};

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Moves the server's clock `ms` on; returns the server's new "now".
async fn advance(t: &TestServer, ms: i64) -> i64 {
    let r = into_resp(
        reqwest::Client::new()
            .post(t.url(&format!("/__dev/clock?advance_ms={ms}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(r.body["offset_ms"].as_i64().unwrap() >= ms);
    r.body["now"].as_i64().unwrap()
}

async fn server_now(t: &TestServer) -> i64 {
    reqwest::get(t.url("/__dev/clock"))
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["now"]
        .as_i64()
        .unwrap()
}

/// The session as stored (what the sweeper wrote), bypassing every computed status.
fn stored(t: &TestServer, id: &str) -> Session {
    let id = id.to_owned();
    t.server
        .state
        .store
        .run(move |tx| -> Result<Result<Session, ApiError>, ApiError> {
            Ok(Ok(tx.session(&id)?.unwrap()))
        })
        .unwrap()
}

/// A browser that does not follow redirects, so that a 307 and its `Location` can be read.
fn browser_no_redirects(t: &TestServer) -> Browser {
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Browser {
        http,
        base: t.server.url(),
        origin: Some(ORIGIN.into()),
        extra_query: None,
    }
}

fn session_in<'a>(client: &'a Value, id: &str) -> Option<&'a Value> {
    client["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
}

fn assert_error(r: &Resp, status: u16, code: &str) {
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (status, code),
        "{:?}",
        r.body
    );
    assert_eq!(r.content_type, "application/json");
    let e = &r.body["errors"][0];
    assert!(
        e["message"].is_string() && e["long_message"].is_string() && e["meta"].is_object(),
        "{e}"
    );
}

/// `status` in each place a session's state shows: FAPI session, FAPI client, BAPI session,
/// BAPI list filtered by that status; and no token on either API.
async fn assert_session_state(
    t: &TestServer,
    b: &Browser,
    sid: &str,
    status: &str,
    listed_on_client: bool,
) {
    let api = t.bapi();
    let r = b.get(&format!("/v1/client/sessions/{sid}")).await;
    assert_eq!(
        (r.status.as_u16(), &r.body["response"]["status"]),
        (200, &json!(status)),
        "{:?}",
        r.body
    );
    let client = b.get("/v1/client").await.body["response"].clone();
    match session_in(&client, sid) {
        Some(s) => {
            assert!(listed_on_client, "{status}: listed on the client");
            assert_eq!(s["status"], status);
            assert_eq!(s["last_active_token"], Value::Null);
        }
        None => assert!(!listed_on_client, "{status}: not listed on the client"),
    }
    assert_ne!(client["last_active_session_id"], sid);
    assert_eq!(
        api.get(&format!("/v1/sessions/{sid}")).await.body["status"],
        status
    );
    let user = api.get(&format!("/v1/sessions/{sid}")).await.body["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let listed = api
        .get(&format!(
            "/v1/sessions?user_id={user}&status={status}&limit=500"
        ))
        .await;
    assert!(
        listed
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == sid),
        "{status}: BAPI status filter"
    );
    for path in ["tokens", "tokens/demo", "touch"] {
        let r = b
            .post(&format!("/v1/client/sessions/{sid}/{path}"), &[])
            .await;
        assert_error(&r, 401, "session_not_active");
    }
    for path in ["tokens", "tokens/demo"] {
        assert_error(
            &api.post(&format!("/v1/sessions/{sid}/{path}"), None).await,
            401,
            "session_not_active",
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_sessions_stay_on_their_client_and_are_not_signed_in() {
    let t = TestServer::start().await;
    let api = t.bapi();
    let b = t.browser();
    let bob = b.sign_in("bob@example.com").await;
    let alice = b.sign_in_alice().await;
    let r = api.post(&format!("/v1/sessions/{bob}/revoke"), None).await;
    assert_eq!(
        (r.status.as_u16(), &r.body["status"]),
        (200, &json!("revoked"))
    );

    let client = b.get("/v1/client").await.body["response"].clone();
    assert_eq!(client["sessions"].as_array().unwrap().len(), 2, "{client}");
    assert_eq!(session_in(&client, &bob).unwrap()["status"], "revoked");
    assert_eq!(session_in(&client, &alice).unwrap()["status"], "active");
    assert_eq!(client["last_active_session_id"], alice.as_str());
    assert_session_state(&t, &b, &bob, "revoked", true).await;
    // Revoking the active session leaves the client with no active session.
    api.post(&format!("/v1/sessions/{alice}/revoke"), None)
        .await;
    let client = b.get("/v1/client").await.body["response"].clone();
    assert_eq!(client["last_active_session_id"], Value::Null);
    assert_eq!(
        client["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["status"].clone())
            .collect::<Vec<_>>(),
        vec![json!("revoked"), json!("revoked")]
    );
    // The user can sign in again: a revoked session does not count as signed in.
    let again = b.sign_in("bob@example.com").await;
    assert_ne!(again, bob);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn end_keeps_the_session_on_the_client_and_remove_takes_it_off() {
    let t = TestServer::start().await;
    let b = t.browser();
    let bob = b.sign_in("bob@example.com").await;
    let alice = b.sign_in_alice().await;
    let r = b.post(&format!("/v1/client/sessions/{bob}/end"), &[]).await;
    assert_eq!(
        (r.status.as_u16(), &r.body["response"]["status"]),
        (200, &json!("ended"))
    );
    assert_eq!(
        session_in(&r.body["client"], &bob).unwrap()["status"],
        "ended"
    );
    assert_session_state(&t, &b, &bob, "ended", true).await;
    let r = b
        .post(&format!("/v1/client/sessions/{alice}/remove"), &[])
        .await;
    assert_eq!(
        (r.status.as_u16(), &r.body["response"]["status"]),
        (200, &json!("removed"))
    );
    assert!(session_in(&r.body["client"], &alice).is_none());
    assert_eq!(r.body["client"]["last_active_session_id"], Value::Null);
    assert_session_state(&t, &b, &alice, "removed", false).await;
    // Ending or removing again changes nothing.
    let r = b
        .post(&format!("/v1/client/sessions/{bob}/remove"), &[])
        .await;
    assert_eq!(r.body["response"]["status"], "ended");
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_expire_at_expire_at_on_the_dev_clock() {
    let t = TestServer::start().await;
    let b = t.browser();
    let sid = b.sign_in("bob@example.com").await;
    let s = b.get(&format!("/v1/client/sessions/{sid}")).await.body["response"].clone();
    let expire_at = s["expire_at"].as_i64().unwrap();
    assert_eq!(
        expire_at - s["created_at"].as_i64().unwrap(),
        7 * DAY_MS,
        "Clerk's default maximum lifetime"
    );

    // One second before expire_at: still active, still mints.
    let now = advance(&t, expire_at - 1000 - server_now(&t).await).await;
    assert!(now < expire_at);
    b.token(&sid, &[]).await;
    assert_eq!(stored(&t, &sid).status.as_str(), "active");

    advance(&t, 1000).await;
    assert_eq!(
        stored(&t, &sid).status.as_str(),
        "expired",
        "swept without anyone asking"
    );
    assert_session_state(&t, &b, &sid, "expired", false).await;
    // The user can sign in again on the same client.
    assert_ne!(b.sign_in("bob@example.com").await, sid);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_abandoned_at_abandon_at_on_the_dev_clock() {
    let t = TestServer::start().await;
    let b = t.browser();
    let sid = b.sign_in("bob@example.com").await;
    let abandon_at =
        b.get(&format!("/v1/client/sessions/{sid}")).await.body["response"]["abandon_at"]
            .as_i64()
            .unwrap();
    advance(&t, abandon_at - 1000 - server_now(&t).await).await;
    assert_eq!(stored(&t, &sid).status.as_str(), "expired");
    advance(&t, 1000).await;
    assert_eq!(
        stored(&t, &sid).status.as_str(),
        "abandoned",
        "swept without anyone asking"
    );
    assert_session_state(&t, &b, &sid, "abandoned", false).await;
    // Nothing brings it back, and the states that were chosen by someone are never abandoned.
    let ended = t.browser();
    let e = ended.sign_in("bob@example.com").await;
    ended
        .post(&format!("/v1/client/sessions/{e}/end"), &[])
        .await;
    advance(&t, 31 * DAY_MS).await;
    assert_eq!(
        t.bapi().get(&format!("/v1/sessions/{e}")).await.body["status"],
        "ended"
    );
    assert_eq!(
        t.bapi().get(&format!("/v1/sessions/{sid}")).await.body["status"],
        "abandoned"
    );
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_again_in_single_session_mode_replaces_the_session() {
    let t = TestServer::start_with(|c| c.single_session = true).await;
    let b = t.browser();
    let env = b.get("/v1/environment").await;
    assert_eq!(env.body["auth_config"]["single_session_mode"], true);
    let first = b.sign_in("bob@example.com").await;
    let second = b.sign_in("bob@example.com").await;
    assert_ne!(first, second);
    let client = b.get("/v1/client").await.body["response"].clone();
    assert_eq!(client["last_active_session_id"], second.as_str());
    assert_eq!(session_in(&client, &second).unwrap()["status"], "active");
    assert_session_state(&t, &b, &first, "replaced", true).await;
    let r = t
        .bapi()
        .post(
            &format!("/v1/sessions/{first}/verify"),
            Some(json!({"token": b.token(&second, &[]).await})),
        )
        .await;
    assert_error(&r, 410, "session_not_active");
    // Another user cannot sign in beside it.
    let r = b
        .post(
            "/v1/client/sign_ins",
            &[("identifier", "alice@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_error(&r, 422, "session_exists");
    let r = b
        .post(
            "/v1/client/sign_ups",
            &[
                ("email_address", "carol@example.com"),
                ("password", "carol-password-1"),
            ],
        )
        .await;
    assert_error(&r, 422, "session_exists");
    assert_eq!(
        b.get("/v1/client").await.body["response"]["sign_up"],
        Value::Null,
        "no sign-up was started"
    );
    t.server.stop().await;

    // Multi-session mode refuses the second sign-in as the same user instead.
    let t = TestServer::start().await;
    let b = t.browser();
    assert_eq!(
        b.get("/v1/environment").await.body["auth_config"]["single_session_mode"],
        false
    );
    let first = b.sign_in("bob@example.com").await;
    let r = b
        .post(
            "/v1/client/sign_ins",
            &[("identifier", "bob@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_error(&r, 422, "identifier_already_signed_in");
    assert_eq!(
        t.bapi().get(&format!("/v1/sessions/{first}")).await.body["status"],
        "active"
    );
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_touch_extends_the_client_and_redirects_only_to_allowed_urls() {
    let t = TestServer::start().await;
    let b = browser_no_redirects(&t);
    b.sign_in("bob@example.com").await;
    let client = b.get("/v1/client").await.body["response"].clone();
    let id = client["id"].as_str().unwrap().to_owned();
    let expires = client["cookie_expires_at"].as_i64().unwrap();
    assert_eq!(
        expires - client["created_at"].as_i64().unwrap(),
        400 * DAY_MS
    );

    // clerk-js's isEligibleForTouch(): 8 days or less before cookie_expires_at.
    let now = advance(&t, expires - 8 * DAY_MS - server_now(&t).await).await;
    assert!(expires - now <= 8 * DAY_MS);
    let target = "http://127.0.0.1:3000/after?x=1#top";
    let r = b
        .get(&format!(
            "/v1/client/touch?redirect_url={}",
            urlencode(target)
        ))
        .await;
    assert_eq!(r.status.as_u16(), 307, "{:?}", r.body);
    assert_eq!(r.headers["location"], "http://127.0.0.1:3000/after?x=1#top");
    let cookie = r.headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with("__client=")
            && cookie.contains(&format!("Max-Age={}", 400 * DAY_MS / 1000)),
        "{cookie}"
    );
    let client = b.get("/v1/client").await.body["response"].clone();
    assert_eq!(
        client["id"],
        id.as_str(),
        "the same client, with its new cookie"
    );
    let extended = client["cookie_expires_at"].as_i64().unwrap();
    assert!(
        extended >= now + 400 * DAY_MS && extended > expires,
        "{extended} vs {expires}"
    );

    // Refused: other origins, relative and non-http URLs, and no URL at all; nothing changes.
    for bad in [
        "https://evil.example/",
        "http://127.0.0.1.evil.example/",
        "/after",
        "javascript:alert(1)",
        "not a url",
    ] {
        let r = b
            .get(&format!("/v1/client/touch?redirect_url={}", urlencode(bad)))
            .await;
        assert_error(&r, 422, "form_param_value_invalid");
        assert_eq!(
            r.body["errors"][0]["meta"]["param_name"], "redirect_url",
            "{bad}"
        );
        assert!(
            r.headers.get("location").is_none() && r.headers.get("set-cookie").is_none(),
            "{bad}"
        );
    }
    assert_error(&b.get("/v1/client/touch").await, 422, "form_param_missing");
    assert_eq!(
        b.get("/v1/client").await.body["response"]["cookie_expires_at"],
        extended
    );

    // Untouched, a client lapses at cookie_expires_at: the browser has no client any more.
    advance(&t, 400 * DAY_MS).await;
    let r = b.get("/v1/client").await;
    assert_eq!(
        (r.status.as_u16(), &r.body["response"]),
        (200, &Value::Null)
    );
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_touch_with_a_dev_browser_and_allowed_origins_without_dev() {
    let t = TestServer::start().await;
    let mut b = browser_no_redirects(&t);
    let db = b.post("/v1/dev_browser", &[]).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    b.extra_query = Some(format!("__clerk_db_jwt={db}"));
    b.sign_in("bob@example.com").await;
    let before = b.get("/v1/client").await.body["response"]["cookie_expires_at"]
        .as_i64()
        .unwrap();
    advance(&t, 100 * DAY_MS).await;
    // buildUrlWithAuth adds the dev-browser token to the touch URL, as to every FAPI URL.
    let r = b
        .get("/v1/client/touch?redirect_url=http%3A%2F%2Flocalhost%3A5173%2F")
        .await;
    assert_eq!(
        (r.status.as_u16(), r.headers["location"].to_str().unwrap()),
        (307, "http://localhost:5173/")
    );
    let after = b.get("/v1/client").await.body["response"]["cookie_expires_at"]
        .as_i64()
        .unwrap();
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
    for (url, allowed) in [
        ("https://app.example.com/x", true),
        (own.as_str(), true),
        ("http://127.0.0.1:3000/", false),
    ] {
        let r = b
            .get(&format!("/v1/client/touch?redirect_url={}", urlencode(url)))
            .await;
        if allowed {
            assert_eq!(
                (r.status.as_u16(), r.headers["location"].to_str().unwrap()),
                (307, url)
            );
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
    let old = b.get("/v1/client").await.body["response"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // clerk-js's Client.create() is `_basePut`: PUT, tunnelled as POST ?_method=PUT.
    for put in [Method::PUT, Method::POST] {
        let path = if put == Method::PUT {
            "/v1/client"
        } else {
            "/v1/client?_method=PUT"
        };
        let r = into_resp(
            b.http
                .request(put.clone(), format!("{}{path}", t.server.url()))
                .header("origin", ORIGIN)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let new = r.body["response"]["id"].as_str().unwrap().to_owned();
        assert_ne!(new, old, "{put}");
        assert_eq!(r.body["response"]["sessions"], json!([]));
        assert_eq!(r.body["client"]["id"], new.as_str());
        assert!(
            r.headers["set-cookie"]
                .to_str()
                .unwrap()
                .starts_with("__client=")
        );
        assert_eq!(
            b.get("/v1/client").await.body["response"]["id"],
            new.as_str(),
            "the cookie is the new client's"
        );
        assert_eq!(
            t.bapi().get(&format!("/v1/sessions/{sid}")).await.body["client_id"],
            old.as_str()
        );
    }
    // A dev browser moves to the new client as well.
    let mut d = t.browser();
    let db = d.post("/v1/dev_browser", &[]).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
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
        async move {
            into_resp(
                plain
                    .get(url)
                    .header("cookie", cookie)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
            .body["response"]["id"]
                .clone()
        }
    };
    let r = plain.post(t.url("/v1/client")).send().await.unwrap();
    let first = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let id = client_of(first.clone()).await;
    assert!(id.is_string());
    let r = into_resp(
        plain
            .get(t.url("/v1/client?rotating_token_nonce=n0nce"))
            .header("cookie", first.clone())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.body["response"]["id"], id);
    let second = r.headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(second, first);
    assert_eq!(client_of(first.clone()).await, Value::Null);
    assert_eq!(client_of(second).await, id);
    let r = into_resp(
        plain
            .get(t.url("/v1/client?rotating_token_nonce="))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&r, 422, "form_param_value_invalid");
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_sessions_needs_a_client_or_a_user() {
    let t = TestServer::start().await;
    let api = t.bapi();
    let sid = t.browser().sign_in("bob@example.com").await;
    for query in [
        "",
        "?paginated=true",
        "?client_id=&user_id=",
        "?status=active&limit=10",
    ] {
        let r = api.get(&format!("/v1/sessions{query}")).await;
        assert_error(&r, 400, "form_param_missing");
        assert_eq!(
            r.body["errors"][0]["meta"]["param_names"],
            json!(["client_id", "user_id"]),
            "{query}"
        );
        let long = r.body["errors"][0]["long_message"].as_str().unwrap();
        assert!(
            long.contains("client_id") && long.contains("user_id"),
            "{long}"
        );
    }
    let client = api.get(&format!("/v1/sessions/{sid}")).await.body["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for query in [
        format!("user_id={}", t.seeded.bob_id),
        format!("client_id={client}"),
    ] {
        let r = api.get(&format!("/v1/sessions?{query}")).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body.as_array().unwrap().len(), 1);
    }
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deprecated_session_verify_answers_with_the_documented_codes() {
    let t = TestServer::start().await;
    let api = t.bapi();
    let verify = |sid: String, body: Option<Value>| {
        let api = &api;
        async move { api.post(&format!("/v1/sessions/{sid}/verify"), body).await }
    };
    let b = t.browser();
    let sid = b.sign_in("bob@example.com").await;
    let token = b.token(&sid, &[]).await;
    let r = verify(sid.clone(), Some(json!({"token": token}))).await;
    assert_eq!(
        (r.status.as_u16(), &r.body["id"], &r.body["status"]),
        (200, &json!(sid), &json!("active"))
    );
    assert_eq!(r.headers["deprecation"], "true");

    let cases: Vec<(Option<Value>, u16, &str)> = vec![
        (None, 400, "form_param_missing"),
        (Some(json!({})), 400, "form_param_missing"),
        (Some(json!({"token": ""})), 400, "form_param_missing"),
        (Some(json!({"token": "not-a-jwt"})), 400, "token_invalid"),
        (
            Some(json!({"token": format!("{token}x")})),
            400,
            "token_invalid",
        ),
    ];
    for (body, status, code) in cases {
        let r = verify(sid.clone(), body.clone()).await;
        assert_error(&r, status, code);
        assert_eq!(r.headers["deprecation"], "true", "{body:?}");
    }
    assert_eq!(
        verify(sid.clone(), Some(json!({"token": "x"}))).await.body["errors"][0]["meta"]["param_name"],
        "token"
    );
    let url = t.url(&format!("/v1/sessions/{sid}/verify"));
    for (ct, body, status, code) in [
        ("application/json", "{", 400, "malformed_request_body"),
        ("text/plain", "token", 415, "unsupported_content_type"),
    ] {
        let r = into_resp(
            reqwest::Client::new()
                .post(&url)
                .bearer_auth(t.sk())
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_error(&r, status, code);
        assert_eq!(r.headers["deprecation"], "true", "{ct}");
    }
    assert_error(
        &verify("sess_unknown".into(), Some(json!({"token": token}))).await,
        404,
        "resource_not_found",
    );
    // Another session's valid token is not this session's.
    let other = t.browser();
    let other_sid = other.sign_in("bob@example.com").await;
    assert_error(
        &verify(other_sid.clone(), Some(json!({"token": token}))).await,
        400,
        "token_invalid",
    );
    // 401 is only for the caller's own credentials.
    let url = t.url(&format!("/v1/sessions/{sid}/verify"));
    let r = into_resp(
        reqwest::Client::new()
            .post(&url)
            .json(&json!({"token": token}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&r, 401, "authorization_header_missing");
    let r = into_resp(
        reqwest::Client::new()
            .post(&url)
            .bearer_auth("sk_test_wrong")
            .json(&json!({"token": token}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&r, 401, "authentication_invalid");

    // 410 for every way a session is over, with the session's own token, still unexpired.
    for how in ["end", "remove", "revoke", "expire", "abandon"] {
        let b = t.browser();
        let sid = b.sign_in("bob@example.com").await;
        let own = b.token(&sid, &[]).await;
        let status = match how {
            "end" | "remove" => {
                assert_eq!(
                    b.post(&format!("/v1/client/sessions/{sid}/{how}"), &[])
                        .await
                        .status,
                    200
                );
                if how == "end" { "ended" } else { "removed" }
            }
            "revoke" => {
                assert_eq!(
                    api.post(&format!("/v1/sessions/{sid}/revoke"), None)
                        .await
                        .status,
                    200
                );
                "revoked"
            }
            "expire" => {
                advance(&t, 7 * DAY_MS).await;
                "expired"
            }
            _ => {
                advance(&t, 30 * DAY_MS).await;
                "abandoned"
            }
        };
        let r = verify(sid.clone(), Some(json!({"token": own}))).await;
        assert_error(&r, 410, "session_not_active");
        assert_eq!(
            r.body["errors"][0]["message"],
            format!("Session is {status}"),
            "{how}"
        );
        assert_eq!(r.headers["deprecation"], "true");
    }
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
    for (path, auth) in [
        ("/v1/client/sessions/%FF%FE/tokens", false),
        ("/v1/sessions/%C3%28/revoke", true),
    ] {
        assert_error(
            &send(Method::POST, path, auth, None, "").await,
            400,
            "malformed_request",
        );
    }
    assert_error(
        &send(Method::GET, "/v1/sessions/%FF", true, None, "").await,
        400,
        "malformed_request",
    );
    // Unknown routes.
    assert_error(
        &send(Method::GET, "/v1/nope", false, None, "").await,
        404,
        "resource_not_found",
    );
    assert_error(
        &send(Method::GET, "/v1/sessions/sess_x/nope", true, None, "").await,
        404,
        "resource_not_found",
    );
    // An unsupported Content-Type with a body is a 415 and writes nothing.
    let b = t.browser();
    for ct in [
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/xml",
    ] {
        let r = b
            .post_raw(
                "/v1/client/sign_ins",
                ct,
                b"identifier=bob%40example.com".to_vec(),
            )
            .await;
        assert_error(&r, 415, "unsupported_content_type");
        let r = send(
            Method::POST,
            "/v1/users",
            true,
            Some(ct),
            "{\"email_address\":[\"x@example.com\"]}",
        )
        .await;
        assert_error(&r, 415, "unsupported_content_type");
    }
    assert_eq!(
        b.get("/v1/client").await.body["response"],
        Value::Null,
        "no client, no sign-in was made"
    );
    assert_eq!(
        t.bapi()
            .get("/v1/users?email_address=x@example.com")
            .await
            .body,
        json!([])
    );
    // The media types the APIs take still work, with parameters and an empty body of any type.
    let r = b
        .post_raw(
            "/v1/client/sign_ins",
            "application/x-www-form-urlencoded; charset=UTF-8",
            b"identifier=bob%40example.com".to_vec(),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = send(
        Method::POST,
        "/v1/users",
        true,
        Some("application/json; charset=utf-8"),
        "{\"email_address\":[\"y@example.com\"]}",
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let sid = b.sign_in("bob@example.com").await;
    assert_eq!(
        send(
            Method::POST,
            &format!("/v1/sessions/{sid}/revoke"),
            true,
            Some("text/plain"),
            ""
        )
        .await
        .status,
        200
    );
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dev_clock_only_moves_forward_and_only_with_dev() {
    let t = TestServer::start().await;
    let before = server_now(&t).await;
    let http = reqwest::Client::new();
    for bad in ["advance_ms=-1", "advance_ms=soon", ""] {
        let r = into_resp(
            http.post(t.url(&format!("/__dev/clock?{bad}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let code = if bad.is_empty() {
            "form_param_missing"
        } else {
            "form_param_value_invalid"
        };
        assert_error(&r, 422, code);
    }
    let after = advance(&t, DAY_MS).await;
    assert!(after >= before + DAY_MS && after < before + DAY_MS + 60_000);
    // Tokens are stamped with the server's time.
    let b = t.browser();
    let sid = b.sign_in("bob@example.com").await;
    let claims = clerk_token::decode_unverified(&b.token(&sid, &[]).await).unwrap();
    assert!(
        claims.iat * 1000 >= after - 1000,
        "iat {} vs {after}",
        claims.iat
    );
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_template_tokens_verify_with_the_explicit_option() {
    let t = TestServer::start().await;
    let b = t.browser();
    let sid = b.sign_in("bob@example.com").await;
    let r = b
        .post(&format!("/v1/client/sessions/{sid}/tokens/demo"), &[])
        .await;
    let jwt = r.body["jwt"].as_str().unwrap();
    let key = t.public_key();
    let err = clerk_token::verify_and_validate(jwt, &key, &Default::default()).unwrap_err();
    assert_eq!(err, clerk_token::VerifyError::MissingClaim("sid"));
    let options = clerk_token::VerifyOptions {
        token_kind: clerk_token::TokenKind::JwtTemplate,
        ..Default::default()
    };
    let claims = clerk_token::verify_and_validate(jwt, &key, &options).unwrap();
    assert_eq!(
        (claims.sub.as_str(), claims.sid.as_deref()),
        (t.seeded.bob_id.as_str(), None)
    );
    assert_eq!(claims.extra["session"], sid.as_str());
    // A session token still verifies as a session token.
    assert_eq!(
        clerk_token::verify_and_validate(&b.token(&sid, &[]).await, &key, &Default::default())
            .unwrap()
            .sid
            .as_deref(),
        Some(sid.as_str())
    );
    t.server.stop().await;
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).unwrap()[1..].to_owned()
}
