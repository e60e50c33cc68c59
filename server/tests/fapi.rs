//! Frontend API over real HTTP: sign-in/up flows, sessions, tokens, orgs, isolation, bad input.

mod common;

use common::*;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_sign_in_token_touch_end_flow() {
    let t = TestServer::start().await;
    let b = t.browser();

    // clerk-js load(): environment touch (empty form) + client.
    let env = b.post("/v1/environment?_method=PATCH", &[]).await;
    assert_eq!(env.status, 200);
    assert_eq!(env.content_type, "application/json");
    assert_eq!(env.body["auth_config"]["single_session_mode"], false);
    assert_eq!(env.body["display_config"]["instance_environment_type"], "development");
    let c = b.get("/v1/client").await;
    assert_eq!(c.body, json!({"response": null, "client": null}));

    let sid = b.sign_in("bob@example.com").await;
    let c = b.get("/v1/client").await;
    let client = &c.body["response"];
    assert_eq!(client["object"], "client");
    assert_eq!(client["last_active_session_id"], sid.as_str());
    let session = &client["sessions"][0];
    assert_eq!(session["status"], "active");
    assert_eq!(session["user"]["id"], t.seeded.bob_id.as_str());
    assert_eq!(session["public_user_data"]["identifier"], "bob@example.com");
    assert!(session["last_active_token"]["jwt"].as_str().unwrap().split('.').all(|p| !p.is_empty()));
    assert_eq!(session["user"]["organization_memberships"][0]["role"], "org:member");

    // Token: RS256 with kid, the v2 claims, verified with the instance key.
    let jwt = b.token(&sid, &[("organization_id", ""), ("tab_state", "focused")]).await;
    let header = jwt_part(&jwt, 0);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], "JWT");
    assert_eq!(header["kid"], t.server.state.key.kid());
    let claims = verify(&t, &jwt, &[ORIGIN]).expect("valid token");
    assert_eq!(claims.sub, t.seeded.bob_id);
    assert_eq!(claims.sid.as_deref(), Some(sid.as_str()));
    assert_eq!(claims.azp.as_deref(), Some(ORIGIN));
    assert_eq!(claims.iss, t.server.url());
    assert_eq!(claims.exp - claims.iat, 60);
    assert_eq!(claims.nbf, claims.iat - 10);
    assert_eq!(claims.v, Some(2));
    assert_eq!(claims.fva, Some([0, -1]));
    assert!(claims.o.is_none());
    assert!(jwt_part(&jwt, 1).get("aud").is_none(), "session tokens carry no aud");

    // Rejections: wrong azp, tampered payload, expired, not yet valid, alg none, HS256.
    assert!(verify(&t, &jwt, &["http://evil.example"]).is_err());
    let parts: Vec<&str> = jwt.split('.').collect();
    let mut payload = jwt_part(&jwt, 1);
    payload["sub"] = json!("user_someone_else");
    let tampered = format!("{}.{}.{}", parts[0], b64(&payload), parts[2]);
    assert!(verify(&t, &tampered, &[ORIGIN]).is_err());
    let at = |now: i64| clerk_token::VerifyOptions { now: Some(now), ..Default::default() };
    let key = t.public_key();
    assert!(clerk_token::verify_and_validate(&jwt, &key, &at(claims.exp + 6)).is_err(), "expired");
    assert!(clerk_token::verify_and_validate(&jwt, &key, &at(claims.exp + 4)).is_ok(), "within skew");
    assert!(clerk_token::verify_and_validate(&jwt, &key, &at(claims.nbf - 30)).is_err(), "not yet valid");
    let none = format!("{}.{}.x", b64(&json!({"alg": "none", "typ": "JWT"})), parts[1]);
    assert!(verify(&t, &none, &[]).is_err());
    let hs = format!("{}.{}.{}", b64(&json!({"alg": "HS256", "typ": "JWT"})), parts[1], parts[2]);
    assert!(verify(&t, &hs, &[]).is_err());

    // Touch updates activity and the client's last active session.
    let before = session["last_active_at"].as_i64().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let r = b.post(&format!("/v1/client/sessions/{sid}/touch"), &[("active_organization_id", ""), ("intent", "select_session")]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(r.body["response"]["last_active_at"].as_i64().unwrap() > before);
    assert_eq!(r.body["client"]["last_active_session_id"], sid.as_str());

    // End: the session is ended, stays on the client as `ended` ("the Session remains in the
    // Client object"), is no longer the active one and mints nothing.
    let r = b.post(&format!("/v1/client/sessions/{sid}/end"), &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["response"]["status"], "ended");
    let sessions = r.body["client"]["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!((&sessions[0]["id"], &sessions[0]["status"]), (&json!(sid), &json!("ended")));
    assert_eq!(sessions[0]["last_active_token"], Value::Null);
    assert_eq!(r.body["client"]["last_active_session_id"], Value::Null);
    let r = b.post(&format!("/v1/client/sessions/{sid}/tokens"), &[]).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.code(), "session_not_active");
    let r = b.post(&format!("/v1/client/sessions/{sid}/touch"), &[]).await;
    assert_eq!(r.status, 401);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_code_sign_in_and_single_use_codes() {
    let t = TestServer::start().await;
    let b = t.browser();
    let r = b.post("/v1/client/sign_ins", &[("identifier", "bob@example.com")]).await;
    assert_eq!(r.body["response"]["status"], "needs_first_factor");
    let factors = r.body["response"]["supported_first_factors"].as_array().unwrap();
    let email_factor = factors.iter().find(|f| f["strategy"] == "email_code").unwrap();
    let sia = r.body["response"]["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["client"]["sign_in"]["id"], sia.as_str());

    let r = b
        .post(
            &format!("/v1/client/sign_ins/{sia}/prepare_first_factor"),
            &[("strategy", "email_code"), ("email_address_id", email_factor["email_address_id"].as_str().unwrap())],
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["response"]["first_factor_verification"]["status"], "unverified");
    let code = t.latest_code("bob@example.com").await;
    assert_eq!(code.len(), 6);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = b.post(&format!("/v1/client/sign_ins/{sia}/attempt_first_factor"), &[("strategy", "email_code"), ("code", wrong)]).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.code(), "form_code_incorrect");
    let r = b.post(&format!("/v1/client/sign_ins/{sia}/attempt_first_factor"), &[("strategy", "email_code"), ("code", &code)]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["response"]["status"], "complete");
    let sid = r.body["response"]["created_session_id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["client"]["last_active_session_id"], sid.as_str());
    // GET of a finished sign-in still works.
    let r = b.get(&format!("/v1/client/sign_ins/{sia}")).await;
    assert_eq!(r.body["response"]["status"], "complete");

    // `strategy=email_code` on create sends the code at once.
    let b2 = t.browser();
    let r = b2.post("/v1/client/sign_ins", &[("identifier", "bob@example.com"), ("strategy", "email_code")]).await;
    assert_eq!(r.body["response"]["first_factor_verification"]["status"], "unverified", "{:?}", r.body);
    let sia2 = r.body["response"]["id"].as_str().unwrap().to_owned();
    let code2 = t.latest_code("bob@example.com").await;
    let r = b2.post(&format!("/v1/client/sign_ins/{sia2}/attempt_first_factor"), &[("strategy", "email_code"), ("code", &code2)]).await;
    assert_eq!(r.body["response"]["status"], "complete", "{:?}", r.body);

    // Reverification by email code: a code works once.
    let verify = format!("/v1/client/sessions/{sid}/verify");
    let r = b.post(&verify, &[("level", "first_factor")]).await;
    assert_eq!(r.body["response"]["status"], "needs_first_factor", "{:?}", r.body);
    b.post(&format!("{verify}/prepare_first_factor"), &[("strategy", "email_code")]).await;
    let code = t.latest_code("bob@example.com").await;
    let r = b.post(&format!("{verify}/attempt_first_factor"), &[("strategy", "email_code"), ("code", &code)]).await;
    assert_eq!(r.body["response"]["status"], "complete", "{:?}", r.body);
    b.post(&verify, &[("level", "first_factor")]).await;
    let r = b.post(&format!("{verify}/attempt_first_factor"), &[("strategy", "email_code"), ("code", &code)]).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.code(), "verification_missing");
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn totp_second_factor_and_reverification() {
    let t = TestServer::start().await;
    let b = t.browser();
    let r = b.post("/v1/client/sign_ins", &[("identifier", "alice@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(r.body["response"]["status"], "needs_second_factor");
    let sia = r.body["response"]["id"].as_str().unwrap().to_owned();
    let r = b.post(&format!("/v1/client/sign_ins/{sia}/attempt_second_factor"), &[("strategy", "totp"), ("code", "12345x")]).await;
    assert_eq!(r.status, 422);
    let sid = {
        let code = clerk_server::util::totp_now(clerk_server::seed::ALICE_TOTP_SECRET).unwrap();
        let r = b.post(&format!("/v1/client/sign_ins/{sia}/attempt_second_factor"), &[("strategy", "totp"), ("code", &code)]).await;
        assert_eq!(r.body["response"]["status"], "complete", "{:?}", r.body);
        let sid = r.body["response"]["created_session_id"].as_str().unwrap().to_owned();
        // A code is good once: another sign-in replaying it within its window is refused.
        let other = t.browser();
        let r = other.post("/v1/client/sign_ins", &[("identifier", "alice@example.com"), ("password", PASSWORD)]).await;
        let replay_sia = r.body["response"]["id"].as_str().unwrap().to_owned();
        let r =
            other.post(&format!("/v1/client/sign_ins/{replay_sia}/attempt_second_factor"), &[("strategy", "totp"), ("code", &code)]).await;
        assert_eq!((r.status.as_u16(), r.code()), (422, "form_code_incorrect"), "{:?}", r.body);
        sid
    };
    let claims = verify(&t, &b.token(&sid, &[]).await, &[]).unwrap();
    assert_eq!(claims.fva, Some([0, 0]));

    // multi_factor reverification: password, then TOTP.
    let v = format!("/v1/client/sessions/{sid}/verify");
    let r = b.post(&v, &[("level", "multi_factor")]).await;
    assert_eq!(r.body["response"]["object"], "session_verification");
    assert_eq!(r.body["response"]["status"], "needs_first_factor");
    let r = b.post(&format!("{v}/attempt_first_factor"), &[("strategy", "password"), ("password", "wrong-password")]).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.code(), "form_password_incorrect");
    let r = b.post(&format!("{v}/attempt_first_factor"), &[("strategy", "password"), ("password", PASSWORD)]).await;
    assert_eq!(r.body["response"]["status"], "needs_second_factor", "{:?}", r.body);
    b.post(&format!("{v}/prepare_second_factor"), &[("strategy", "totp")]).await;
    // The sign-in used the current code; the next step's code is still in the window.
    let next_step = (clerk_server::util::now_ms() / 1000 + 30) as u64;
    let code = clerk_server::util::totp_at(clerk_server::seed::ALICE_TOTP_SECRET, next_step).unwrap();
    let r = b.post(&format!("{v}/attempt_second_factor"), &[("strategy", "totp"), ("code", &code)]).await;
    assert_eq!(r.body["response"]["status"], "complete", "{:?}", r.body);
    assert_eq!(r.body["response"]["session"]["factor_verification_age"], json!([0, 0]));
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_with_email_verification() {
    let t = TestServer::start().await;
    let b = t.browser();
    let r = b
        .post(
            "/v1/client/sign_ups",
            &[
                ("email_address", "carol@example.com"),
                ("password", "carol-password-1"),
                ("first_name", "Carol"),
                ("unsafe_metadata", "ignored"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let su = &r.body["response"];
    assert_eq!(su["object"], "sign_up_attempt");
    assert_eq!(su["status"], "missing_requirements");
    assert_eq!(su["unverified_fields"], json!(["email_address"]));
    let id = su["id"].as_str().unwrap().to_owned();

    // Tunnelled PATCH updates the sign-up.
    let r = b.post(&format!("/v1/client/sign_ups/{id}?_method=PATCH"), &[("last_name", "Example")]).await;
    assert_eq!(r.body["response"]["last_name"], "Example", "{:?}", r.body);

    let r = b.post(&format!("/v1/client/sign_ups/{id}/prepare_verification"), &[("strategy", "email_code")]).await;
    assert_eq!(r.body["response"]["verifications"]["email_address"]["status"], "unverified");
    let code = t.latest_code("carol@example.com").await;
    let r = b.post(&format!("/v1/client/sign_ups/{id}/attempt_verification"), &[("strategy", "email_code"), ("code", &code)]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["response"]["status"], "complete");
    let sid = r.body["response"]["created_session_id"].as_str().unwrap().to_owned();
    let uid = r.body["response"]["created_user_id"].as_str().unwrap().to_owned();
    let claims = verify(&t, &b.token(&sid, &[]).await, &[ORIGIN]).unwrap();
    assert_eq!(claims.sub, uid);

    // The user exists in the Backend API and can sign in elsewhere with the password.
    let u = t.bapi().get(&format!("/v1/users/{uid}")).await;
    assert_eq!(u.body["email_addresses"][0]["email_address"], "carol@example.com");
    assert_eq!(u.body["first_name"], "Carol");
    let other = t.browser();
    let r = other.post("/v1/client/sign_ins", &[("identifier", "carol@example.com"), ("password", "carol-password-1")]).await;
    assert_eq!(r.body["response"]["status"], "complete");

    // Taken email and short password are typed 422s.
    let r = t.browser().post("/v1/client/sign_ups", &[("email_address", "bob@example.com")]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_identifier_exists"));
    let r = t.browser().post("/v1/client/sign_ups", &[("email_address", "d@example.com"), ("password", "short")]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_password_length_too_short"));
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_session_on_one_client() {
    let t = TestServer::start().await;
    let b = t.browser();
    let bob = b.sign_in("bob@example.com").await;
    let alice = b.sign_in_alice().await;
    let c = b.get("/v1/client").await.body["response"].clone();
    assert_eq!(c["sessions"].as_array().unwrap().len(), 2);
    assert_eq!(c["last_active_session_id"], alice.as_str());

    // Signing in again as a signed-in user is refused.
    let r = b.post("/v1/client/sign_ins", &[("identifier", "bob@example.com"), ("password", PASSWORD)]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "identifier_already_signed_in"));

    let r = b.post(&format!("/v1/client/sessions/{bob}/touch"), &[("intent", "select_session")]).await;
    assert_eq!(r.body["client"]["last_active_session_id"], bob.as_str());
    assert_eq!(verify(&t, &b.token(&bob, &[]).await, &[]).unwrap().sub, t.seeded.bob_id);
    assert_eq!(verify(&t, &b.token(&alice, &[]).await, &[]).unwrap().sub, t.seeded.alice_id);

    let r = b.post(&format!("/v1/client/sessions/{bob}/remove"), &[]).await;
    assert_eq!(r.body["response"]["status"], "removed");
    let sessions = r.body["client"]["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["id"], alice.as_str());

    // DELETE /v1/client/sessions signs out of everything.
    let r = b.post("/v1/client/sessions?_method=DELETE", &[]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["client"]["sessions"], json!([]));
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn org_switch_changes_the_o_claim() {
    let t = TestServer::start().await;
    let b = t.browser();
    let alice = b.sign_in_alice().await;
    let org = t.seeded.org_id.clone();
    let m = &b.get("/v1/client").await.body["response"]["sessions"][0]["user"]["organization_memberships"][0];
    assert_eq!(m["organization"]["slug"], "acme");
    assert_eq!(m["organization"]["members_count"], 2);
    assert!(m["permissions"].as_array().unwrap().contains(&json!("org:sys_memberships:manage")));

    let r = b.post(&format!("/v1/client/sessions/{alice}/touch"), &[("active_organization_id", &org)]).await;
    assert_eq!(r.body["response"]["last_active_organization_id"], org.as_str());
    // The piggy-backed last_active_token already carries the org.
    let lat = r.body["response"]["last_active_token"]["jwt"].as_str().unwrap();
    assert_eq!(verify(&t, lat, &[]).unwrap().o.unwrap().id, org);

    let claims = verify(&t, &b.token(&alice, &[("organization_id", &org)]).await, &[]).unwrap();
    let o = claims.o.clone().unwrap();
    assert_eq!((o.id.as_str(), o.rol.as_str(), o.slg.as_str()), (org.as_str(), "admin", "acme"));
    assert_eq!(claims.org_role().as_deref(), Some("org:admin"));
    assert!(claims.org_permissions().contains(&"org:sys_memberships:manage".to_owned()));
    // Without organization_id the session's active org applies.
    assert_eq!(verify(&t, &b.token(&alice, &[]).await, &[]).unwrap().o.unwrap().id, org);

    // Back to the personal account.
    b.post(&format!("/v1/client/sessions/{alice}/touch"), &[("active_organization_id", "")]).await;
    assert!(verify(&t, &b.token(&alice, &[]).await, &[]).unwrap().o.is_none());
    // Not a member: 404, nothing changed.
    let r = b.post(&format!("/v1/client/sessions/{alice}/touch"), &[("active_organization_id", "org_nope")]).await;
    assert_eq!(r.status, 404);

    // bob is a member.
    let b2 = t.browser();
    let bob = b2.sign_in("bob@example.com").await;
    let claims = verify(&t, &b2.token(&bob, &[("organization_id", &org)]).await, &[]).unwrap();
    assert_eq!(claims.org_role().as_deref(), Some("org:member"));
    assert!(!claims.org_permissions().contains(&"org:sys_memberships:manage".to_owned()));

    // JWT template with shortcodes.
    let r = b.post(&format!("/v1/client/sessions/{alice}/tokens/demo"), &[]).await;
    let c = jwt_part(r.body["jwt"].as_str().unwrap(), 1);
    assert_eq!(c["email"], "alice@example.com");
    assert_eq!(c["name"], "Alice Example");
    assert_eq!(c["sub"], t.seeded.alice_id.as_str());
    assert_eq!(c["session"], alice.as_str());
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 300);
    let r = b.post(&format!("/v1/client/sessions/{alice}/tokens/nope"), &[]).await;
    assert_eq!(r.status, 404);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_client_isolation() {
    let t = TestServer::start().await;
    let a = t.browser();
    let b = t.browser();
    let sid = a.sign_in("bob@example.com").await;
    b.sign_in("bob@example.com").await; // B has its own client (and even the same user)
    for path in ["touch", "end", "remove", "tokens", "tokens/demo", "verify"] {
        let r = b.post(&format!("/v1/client/sessions/{sid}/{path}"), &[]).await;
        assert_eq!(r.status, 404, "{path}: {:?}", r.body);
        assert_eq!(r.code(), "resource_not_found");
    }
    let r = b.get(&format!("/v1/client/sessions/{sid}")).await;
    assert_eq!(r.status, 404);
    // No cookie at all: also 404.
    let anon = common::Browser::new(t.server.url(), None);
    let r = anon.post(&format!("/v1/client/sessions/{sid}/tokens"), &[]).await;
    assert_eq!(r.status, 404);
    // A's session is untouched.
    verify(&t, &a.token(&sid, &[]).await, &[ORIGIN]).unwrap();
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn method_tunnelling_and_client_lifecycle() {
    let t = TestServer::start().await;
    let b = t.browser();
    let r = b.post("/v1/client?_method=PUT", &[]).await;
    assert_eq!(r.status, 200);
    let id = r.body["response"]["id"].as_str().unwrap().to_owned();
    assert!(r.headers.get("set-cookie").unwrap().to_str().unwrap().contains("HttpOnly"));
    assert_eq!(b.get("/v1/client").await.body["response"]["id"], id.as_str());
    let sid = b.sign_in("bob@example.com").await;
    let r = b.post("/v1/client?_method=DELETE", &[]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["response"]["sessions"], json!([]));
    assert_eq!(b.get("/v1/client").await.body["response"], Value::Null);
    let s = t.bapi().get(&format!("/v1/sessions/{sid}")).await;
    assert_eq!(s.body["status"], "ended");
    // The real DELETE works too.
    let r = b.http.delete(format!("{}/v1/client", t.server.url())).send().await.unwrap();
    assert_eq!(r.status(), 200);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_input_is_typed_and_writes_nothing() {
    let t = TestServer::start().await;
    let b = t.browser();
    let r = b.post_raw("/v1/client/sign_ups", "application/x-www-form-urlencoded", b"email_address=%ZZ&password=x".to_vec()).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.content_type, "application/json");
    assert_eq!(r.code(), "malformed_request_body");
    let r = b.post_raw("/v1/client/sign_ups", "application/x-www-form-urlencoded", b"first_name=%FF%FE".to_vec()).await;
    assert_eq!(r.status, 400);
    let r = b.post_raw("/v1/client/sign_ins", "application/json", b"{\"identifier\":".to_vec()).await;
    assert_eq!(r.status, 400);
    // Invalid email: 422 and no client was created (no cookie, GET /v1/client is null).
    let r = b.post("/v1/client/sign_ups", &[("email_address", "not-an-email"), ("password", "long-enough-1")]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_param_format_invalid"));
    assert!(r.headers.get("set-cookie").is_none());
    assert_eq!(b.get("/v1/client").await.body["response"], Value::Null);
    // Unknown identifier: nothing written either.
    let r = b.post("/v1/client/sign_ins", &[("identifier", "nobody@example.com")]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_identifier_not_found"));
    assert_eq!(b.get("/v1/client").await.body["response"], Value::Null);
    // Oversized body: 413, typed.
    let big = format!("first_name={}", "a".repeat(70 * 1024));
    let r = b.post_raw("/v1/client/sign_ups", "application/x-www-form-urlencoded", big.into_bytes()).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.code(), "request_body_too_large");
    // Backend API: malformed JSON creates no user.
    let bapi = t.bapi();
    let before = bapi.get("/v1/users?limit=500").await.body.as_array().unwrap().len();
    let r = bapi
        .http
        .post(format!("{}/v1/users", t.server.url()))
        .bearer_auth(t.sk())
        .header("content-type", "application/json")
        .body("{\"email_address\": [\"x@example.com\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(bapi.get("/v1/users?limit=500").await.body.as_array().unwrap().len(), before);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_attempts_are_rate_limited() {
    let t = TestServer::start().await;
    let b = t.browser();
    let r = b.post("/v1/client/sign_ins", &[("identifier", "bob@example.com")]).await;
    let sia = r.body["response"]["id"].as_str().unwrap().to_owned();
    let attempt = format!("/v1/client/sign_ins/{sia}/attempt_first_factor");
    for _ in 0..5 {
        let r = b.post(&attempt, &[("strategy", "password"), ("password", "wrong-password")]).await;
        assert_eq!((r.status.as_u16(), r.code()), (422, "form_password_incorrect"));
    }
    // Locked: even the right password gets 429 with Retry-After.
    let r = b.post(&attempt, &[("strategy", "password"), ("password", PASSWORD)]).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.code(), "too_many_requests");
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 600);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_browser_identifies_the_client() {
    let t = TestServer::start().await;
    // No cookie jar: identity travels only in `__clerk_db_jwt`.
    let http = reqwest::Client::new();
    let r: Value = http.post(t.url("/v1/dev_browser")).send().await.unwrap().json().await.unwrap();
    assert_eq!(r["object"], "dev_browser");
    let db = r["id"].as_str().unwrap().to_owned();
    let mut b = common::Browser::new(t.server.url(), Some(ORIGIN));
    b.http = http.clone();
    b.extra_query = Some(format!("__clerk_db_jwt={db}"));
    let sid = b.sign_in("bob@example.com").await;
    let c = b.get("/v1/client").await;
    assert_eq!(c.body["response"]["last_active_session_id"], sid.as_str());
    b.token(&sid, &[]).await;
    // Without the token: no client.
    b.extra_query = None;
    assert_eq!(b.get("/v1/client").await.body["response"], Value::Null);
    // An unknown token: 401 dev_browser_unauthenticated (clerk-js then fetches a new one).
    b.extra_query = Some("__clerk_db_jwt=dvb_unknown".into());
    let r = b.get("/v1/client").await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "dev_browser_unauthenticated"));
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_and_dev_request_counters() {
    let t = TestServer::start().await;
    let http = reqwest::Client::new();
    let pre = http
        .request(reqwest::Method::OPTIONS, t.url("/v1/client/sign_ins"))
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(pre.status().is_success());
    assert_eq!(pre.headers()["access-control-allow-origin"], "http://localhost:5173");
    assert_eq!(pre.headers()["access-control-allow-credentials"], "true");
    let r = http.get(t.url("/v1/client")).header("origin", "http://127.0.0.1:9999").send().await.unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], "http://127.0.0.1:9999");
    assert!(r.headers()["access-control-expose-headers"].to_str().unwrap().contains("clerk-db-jwt"));
    let r = http.get(t.url("/v1/client")).header("origin", "https://evil.example").send().await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());

    http.post(t.url("/__dev/requests/reset")).send().await.unwrap();
    let b = t.browser();
    let sid = b.sign_in("bob@example.com").await;
    b.token(&sid, &[]).await;
    b.token(&sid, &[]).await;
    b.post("/v1/environment?_method=PATCH", &[]).await;
    let c: Value = http.get(t.url("/__dev/requests")).send().await.unwrap().json().await.unwrap();
    assert_eq!(c["POST /v1/client/sessions/{id}/tokens"], 2);
    assert_eq!(c["POST /v1/client/sign_ins"], 1);
    assert_eq!(c["PATCH /v1/environment"], 1);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clerk_backend_verify_token_accepts_our_tokens() {
    // @clerk/backend's networkless verifyToken (tests/js/node_modules from .ci/setup).
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/js/verify-token.mjs");
    let modules = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/js/node_modules/@clerk/backend");
    let node_ok = std::process::Command::new("node").arg("--version").output().is_ok();
    if !node_ok || !script.exists() || !modules.exists() {
        eprintln!("SKIP: node or tests/js/node_modules/@clerk/backend missing (run .ci/setup)");
        return;
    }
    let t = TestServer::start().await;
    let b = t.browser();
    let alice = b.sign_in_alice().await;
    let org = t.seeded.org_id.clone();
    let jwt = b.token(&alice, &[("organization_id", &org)]).await;
    let pem = t.server.state.public_key_pem.clone();
    let cases = [
        json!({"name": "ok", "token": jwt, "pem": pem, "authorizedParties": [ORIGIN], "expect": "accept"}),
        json!({"name": "azp", "token": jwt, "pem": pem, "authorizedParties": ["http://evil.example"],
               "expect": "token-invalid-authorized-parties"}),
    ];
    let input: String = cases.iter().map(|c| format!("{c}\n")).collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cases.jsonl");
    std::fs::write(&file, input).unwrap();
    let out = std::process::Command::new("node").arg(&script).arg(&file).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "verify-token.mjs failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let first: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["result"], "accept", "{stdout}");
    // What Clerk's SDKs read from our claims (@clerk/shared's parser).
    assert_eq!(first["auth"]["orgId"], org.as_str(), "{stdout}");
    assert_eq!(first["auth"]["orgRole"], "org:admin", "{stdout}");
    assert!(first["auth"]["orgPermissions"].as_array().unwrap().contains(&json!("org:sys_memberships:manage")), "{stdout}");
    let second: Value = serde_json::from_str(stdout.lines().nth(1).unwrap()).unwrap();
    assert_eq!(second["result"], "token-invalid-authorized-parties", "{stdout}");
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn www_folder_is_served_from_the_same_origin() {
    let dir = tempfile::tempdir().unwrap();
    let www = dir.path().join("www");
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(www.join("index.html"), "<h1>demo</h1>").unwrap();
    std::fs::write(www.join("lib_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let mut cfg = config(common::db_in(&dir, "clerk.db"), 60);
    cfg.www = Some(www);
    let server = clerk_server::start(cfg).await.unwrap();
    let http = reqwest::Client::new();
    let r = http.get(format!("{}/", server.url())).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let r = http.get(format!("{}/lib_bg.wasm", server.url())).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "application/wasm");
    // API routes still win over the folder.
    let r = http.get(format!("{}/v1/client", server.url())).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "application/json");
    let r = http.get(format!("{}/missing.js", server.url())).send().await.unwrap();
    assert_eq!(r.status(), 404);
    server.stop().await;
}
