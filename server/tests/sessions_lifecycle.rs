//! Issue 16, sessions: the lifecycle states Clerk documents (revoked, ended, removed, expired,
//! abandoned, replaced) and the Backend API's session list and deprecated verify, checked over
//! real HTTP. Time-based states are reached by moving the server's development clock
//! (`POST /__dev/clock`), never by sleeping. server/README.md maps each documented behaviour to
//! its test.

mod common;

use clerk_server::store::Done;
use common::lifecycle::*;
use common::*;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_sessions_stay_on_their_client_and_are_not_signed_in() {
    let t = TestServer::start().await;
    let api = t.bapi();
    let b = t.browser();
    let bob = b.sign_in("bob@example.com").await;
    let alice = b.sign_in_alice().await;
    let r = api.post(&format!("/v1/sessions/{bob}/revoke"), None).await;
    assert_eq!((r.status.as_u16(), &r.body["status"]), (200, &json!("revoked")));

    let client = b.get("/v1/client").await.body["response"].clone();
    assert_eq!(client["sessions"].as_array().unwrap().len(), 2, "{client}");
    assert_eq!(session_in(&client, &bob).unwrap()["status"], "revoked");
    assert_eq!(session_in(&client, &alice).unwrap()["status"], "active");
    assert_eq!(client["last_active_session_id"], alice.as_str());
    assert_session_state(&t, &b, &bob, "revoked", true).await;
    // Revoking the active session leaves the client with no active session.
    api.post(&format!("/v1/sessions/{alice}/revoke"), None).await;
    let client = b.get("/v1/client").await.body["response"].clone();
    assert_eq!(client["last_active_session_id"], Value::Null);
    assert_eq!(
        client["sessions"].as_array().unwrap().iter().map(|s| s["status"].clone()).collect::<Vec<_>>(),
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
    assert_eq!((r.status.as_u16(), &r.body["response"]["status"]), (200, &json!("ended")));
    assert_eq!(session_in(&r.body["client"], &bob).unwrap()["status"], "ended");
    assert_session_state(&t, &b, &bob, "ended", true).await;
    let r = b.post(&format!("/v1/client/sessions/{alice}/remove"), &[]).await;
    assert_eq!((r.status.as_u16(), &r.body["response"]["status"]), (200, &json!("removed")));
    assert!(session_in(&r.body["client"], &alice).is_none());
    assert_eq!(r.body["client"]["last_active_session_id"], Value::Null);
    assert_session_state(&t, &b, &alice, "removed", false).await;
    // Ending or removing again changes nothing.
    let r = b.post(&format!("/v1/client/sessions/{bob}/remove"), &[]).await;
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
    assert_eq!(expire_at - s["created_at"].as_i64().unwrap(), 7 * DAY_MS, "Clerk's default maximum lifetime");

    // One second before expire_at: still active, still mints.
    let now = advance(&t, expire_at - 1000 - server_now(&t).await).await;
    assert!(now < expire_at);
    b.token(&sid, &[]).await;
    assert_eq!(stored(&t, &sid).status.as_str(), "active");

    advance(&t, 1000).await;
    assert_eq!(stored(&t, &sid).status.as_str(), "expired", "swept without anyone asking");
    assert_session_state(&t, &b, &sid, "expired", false).await;
    // The user can sign in again on the same client.
    assert_ne!(b.sign_in("bob@example.com").await, sid);
    t.server.stop().await;
}

/// The sweeper runs on its own timer: a session whose `expire_at` has passed in the database is
/// written back as `expired` with no request and no clock move. (The interval is shortened to
/// 50 ms here; the server's default is a minute.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweeper_expires_sessions_on_its_own() {
    let t = TestServer::start_with(|c| c.sweep_interval = std::time::Duration::from_millis(50)).await;
    let sid = t.browser().sign_in("bob@example.com").await;
    let id = sid.clone();
    // On the blocking pool, as the server runs its transactions (PostgreSQL's blocking client
    // cannot run on an async worker).
    let store = t.server.state.store.clone();
    tokio::task::spawn_blocking(move || {
        store
            .run(move |tx| -> clerk_server::store::TxOutcome<(), clerk_server::errors::ApiError> {
                let mut s = tx.session(&id)?.unwrap();
                // Stored as active: only the sweeper can write it back as expired. (Read here,
                // in the same transaction: after it the 50 ms sweeper may already have run.)
                assert_eq!(s.status.as_str(), "active");
                s.expire_at = clerk_server::util::now_ms() - 1;
                tx.put_session(&s)?;
                Ok(Done(()))
            })
            .unwrap()
    })
    .await
    .unwrap();
    // Bounded wait for a real timer: up to 5 s for a 50 ms interval.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while stored(&t, &sid).status.as_str() != "expired" {
        assert!(std::time::Instant::now() < deadline, "the sweeper did not run");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_abandoned_at_abandon_at_on_the_dev_clock() {
    let t = TestServer::start().await;
    let b = t.browser();
    let sid = b.sign_in("bob@example.com").await;
    let abandon_at = b.get(&format!("/v1/client/sessions/{sid}")).await.body["response"]["abandon_at"].as_i64().unwrap();
    advance(&t, abandon_at - 1000 - server_now(&t).await).await;
    assert_eq!(stored(&t, &sid).status.as_str(), "expired");
    advance(&t, 1000).await;
    assert_eq!(stored(&t, &sid).status.as_str(), "abandoned", "swept without anyone asking");
    assert_session_state(&t, &b, &sid, "abandoned", false).await;
    // Nothing brings it back, and the states that were chosen by someone are never abandoned.
    let ended = t.browser();
    let e = ended.sign_in("bob@example.com").await;
    ended.post(&format!("/v1/client/sessions/{e}/end"), &[]).await;
    advance(&t, 31 * DAY_MS).await;
    assert_eq!(t.bapi().get(&format!("/v1/sessions/{e}")).await.body["status"], "ended");
    assert_eq!(t.bapi().get(&format!("/v1/sessions/{sid}")).await.body["status"], "abandoned");
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
    let r = t.bapi().post(&format!("/v1/sessions/{first}/verify"), Some(json!({"token": b.token(&second, &[]).await}))).await;
    assert_error(&r, 410, "session_not_active");
    // Another user cannot sign in beside it.
    let r = b.post("/v1/client/sign_ins", &[("identifier", "alice@example.com"), ("password", PASSWORD)]).await;
    assert_error(&r, 422, "session_exists");
    let r = b.post("/v1/client/sign_ups", &[("email_address", "carol@example.com"), ("password", "carol-password-1")]).await;
    assert_error(&r, 422, "session_exists");
    assert_eq!(b.get("/v1/client").await.body["response"]["sign_up"], Value::Null, "no sign-up was started");
    t.server.stop().await;

    // Multi-session mode refuses the second sign-in as the same user instead.
    let t = TestServer::start().await;
    let b = t.browser();
    assert_eq!(b.get("/v1/environment").await.body["auth_config"]["single_session_mode"], false);
    let first = b.sign_in("bob@example.com").await;
    let r = b.post("/v1/client/sign_ins", &[("identifier", "bob@example.com"), ("password", PASSWORD)]).await;
    assert_error(&r, 422, "identifier_already_signed_in");
    assert_eq!(t.bapi().get(&format!("/v1/sessions/{first}")).await.body["status"], "active");
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_sessions_needs_a_client_or_a_user() {
    let t = TestServer::start().await;
    let api = t.bapi();
    let sid = t.browser().sign_in("bob@example.com").await;
    for query in ["", "?paginated=true", "?client_id=&user_id=", "?status=active&limit=10"] {
        let r = api.get(&format!("/v1/sessions{query}")).await;
        assert_error(&r, 400, "form_param_missing");
        assert_eq!(r.body["errors"][0]["meta"]["param_names"], json!(["client_id", "user_id"]), "{query}");
        let long = r.body["errors"][0]["long_message"].as_str().unwrap();
        assert!(long.contains("client_id") && long.contains("user_id"), "{long}");
    }
    let client = api.get(&format!("/v1/sessions/{sid}")).await.body["client_id"].as_str().unwrap().to_owned();
    for query in [format!("user_id={}", t.seeded.bob_id), format!("client_id={client}")] {
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
    assert_eq!((r.status.as_u16(), &r.body["id"], &r.body["status"]), (200, &json!(sid), &json!("active")));
    assert_eq!(r.headers["deprecation"], "true");

    let cases: Vec<(Option<Value>, u16, &str)> = vec![
        (None, 400, "form_param_missing"),
        (Some(json!({})), 400, "form_param_missing"),
        (Some(json!({"token": ""})), 400, "form_param_missing"),
        (Some(json!({"token": "not-a-jwt"})), 400, "token_invalid"),
        (Some(json!({"token": format!("{token}x")})), 400, "token_invalid"),
    ];
    for (body, status, code) in cases {
        let r = verify(sid.clone(), body.clone()).await;
        assert_error(&r, status, code);
        assert_eq!(r.headers["deprecation"], "true", "{body:?}");
    }
    assert_eq!(verify(sid.clone(), Some(json!({"token": "x"}))).await.body["errors"][0]["meta"]["param_name"], "token");
    let url = t.url(&format!("/v1/sessions/{sid}/verify"));
    for (ct, body, status, code) in
        [("application/json", "{", 400, "malformed_request_body"), ("text/plain", "token", 415, "unsupported_content_type")]
    {
        let r =
            into_resp(reqwest::Client::new().post(&url).bearer_auth(t.sk()).header("content-type", ct).body(body).send().await.unwrap())
                .await;
        assert_error(&r, status, code);
        assert_eq!(r.headers["deprecation"], "true", "{ct}");
    }
    assert_error(&verify("sess_unknown".into(), Some(json!({"token": token}))).await, 404, "resource_not_found");
    // Another session's valid token is not this session's.
    let other = t.browser();
    let other_sid = other.sign_in("bob@example.com").await;
    assert_error(&verify(other_sid.clone(), Some(json!({"token": token}))).await, 400, "token_invalid");
    // 401 is only for the caller's own credentials.
    let url = t.url(&format!("/v1/sessions/{sid}/verify"));
    let r = into_resp(reqwest::Client::new().post(&url).json(&json!({"token": token})).send().await.unwrap()).await;
    assert_error(&r, 401, "authorization_header_missing");
    let r = into_resp(reqwest::Client::new().post(&url).bearer_auth("sk_test_wrong").json(&json!({"token": token})).send().await.unwrap())
        .await;
    assert_error(&r, 401, "authentication_invalid");

    // 410 for every way a session is over, with the session's own token, still unexpired.
    for how in ["end", "remove", "revoke", "expire", "abandon"] {
        let b = t.browser();
        let sid = b.sign_in("bob@example.com").await;
        let own = b.token(&sid, &[]).await;
        let status = match how {
            "end" | "remove" => {
                assert_eq!(b.post(&format!("/v1/client/sessions/{sid}/{how}"), &[]).await.status, 200);
                if how == "end" { "ended" } else { "removed" }
            }
            "revoke" => {
                assert_eq!(api.post(&format!("/v1/sessions/{sid}/revoke"), None).await.status, 200);
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
        assert_eq!(r.body["errors"][0]["message"], format!("Session is {status}"), "{how}");
        assert_eq!(r.headers["deprecation"], "true");
    }
    t.server.stop().await;
}
