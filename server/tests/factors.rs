//! Password reset (`reset_password_email_code`, then `reset_password`) and backup codes as a
//! second factor, over real HTTP: the happy paths and the failure paths (wrong, expired and
//! reused codes, the lockout, bad input).

mod common;

use common::*;
use serde_json::{Value, json};

const NEW_PASSWORD: &str = "a-brand-new-password-9";

/// A sign-in for `email` at `needs_first_factor`; returns its id and the reset factor it offers.
async fn start(b: &Browser, email: &str) -> (String, Value) {
    let r = b.post("/v1/client/sign_ins", &[("identifier", email)]).await;
    assert_eq!(r.body["response"]["status"], "needs_first_factor", "{:?}", r.body);
    let factors = r.body["response"]["supported_first_factors"].as_array().unwrap();
    let reset = factors.iter().find(|f| f["strategy"] == "reset_password_email_code").expect("a reset factor").clone();
    (r.body["response"]["id"].as_str().unwrap().to_owned(), reset)
}

async fn prepare_reset(t: &TestServer, b: &Browser, sia: &str, reset: &Value, email: &str) -> String {
    let id = reset["email_address_id"].as_str().unwrap();
    let r = b
        .post(
            &format!("/v1/client/sign_ins/{sia}/prepare_first_factor"),
            &[("strategy", "reset_password_email_code"), ("email_address_id", id)],
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let v = &r.body["response"]["first_factor_verification"];
    assert_eq!((&v["status"], &v["strategy"]), (&json!("unverified"), &json!("reset_password_email_code")));
    assert!(v["expire_at"].as_i64().is_some());
    t.latest_code(email).await
}

async fn attempt(b: &Browser, sia: &str, strategy: &str, code: &str) -> Resp {
    b.post(&format!("/v1/client/sign_ins/{sia}/attempt_first_factor"), &[("strategy", strategy), ("code", code)]).await
}

async fn reset(b: &Browser, sia: &str, form: &[(&str, &str)]) -> Resp {
    b.post(&format!("/v1/client/sign_ins/{sia}/reset_password"), form).await
}

fn wrong(code: &str) -> String {
    if code == "000000" { "111111".into() } else { "000000".into() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_reset_sets_the_password_and_signs_out_other_sessions() {
    let t = TestServer::start().await;
    let elsewhere = t.browser();
    let old_sid = elsewhere.sign_in("bob@example.com").await;

    let b = t.browser();
    let (sia, factor) = start(&b, "bob@example.com").await;
    assert_eq!(factor["safe_identifier"], "bob@example.com");
    assert_eq!(factor["primary"], true);
    // Not yet: the reset step needs a verified reset code first.
    let r = reset(&b, &sia, &[("password", NEW_PASSWORD)]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "sign_in_status_invalid"));
    let code = prepare_reset(&t, &b, &sia, &factor, "bob@example.com").await;
    let r = attempt(&b, &sia, "reset_password_email_code", &wrong(&code)).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_code_incorrect"));
    // A reset code does not sign in as an email code.
    let r = attempt(&b, &sia, "email_code", &code).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "verification_missing"));
    let r = attempt(&b, &sia, "reset_password_email_code", &code).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["response"]["status"], "needs_new_password");
    assert_eq!(r.body["response"]["first_factor_verification"]["status"], "verified");
    assert_eq!(r.body["response"]["created_session_id"], Value::Null);
    // Reused: the code is spent and the sign-in has moved on.
    let r = attempt(&b, &sia, "reset_password_email_code", &code).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "sign_in_status_invalid"));

    // Bad new passwords change nothing.
    let r = reset(&b, &sia, &[("password", "short")]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_password_length_too_short"));
    let r = reset(&b, &sia, &[]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_param_missing"));
    let r = reset(&b, &sia, &[("password", NEW_PASSWORD), ("sign_out_of_other_sessions", "yes")]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_param_value_invalid"));
    assert_eq!(r.body["errors"][0]["meta"]["param_name"], "sign_out_of_other_sessions");

    let r = reset(&b, &sia, &[("password", NEW_PASSWORD), ("sign_out_of_other_sessions", "true")]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["response"]["status"], "complete");
    let sid = r.body["response"]["created_session_id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["client"]["last_active_session_id"], sid.as_str());
    let r = reset(&b, &sia, &[("password", NEW_PASSWORD)]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "sign_in_status_invalid"), "a finished reset cannot run again");

    // The other client's session was revoked; the new one mints.
    let r = elsewhere.post(&format!("/v1/client/sessions/{old_sid}/tokens"), &[]).await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "session_not_active"));
    assert_eq!(elsewhere.get("/v1/client").await.body["response"]["sessions"][0]["status"], "revoked");
    b.token(&sid, &[]).await;

    // The old password is gone, the new one works.
    let fresh = t.browser();
    let r = fresh.post("/v1/client/sign_ins", &[("identifier", "bob@example.com"), ("password", PASSWORD)]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_password_incorrect"));
    let r = fresh.post("/v1/client/sign_ins", &[("identifier", "bob@example.com"), ("password", NEW_PASSWORD)]).await;
    assert_eq!(r.body["response"]["status"], "complete", "{:?}", r.body);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_keeps_other_sessions_unless_asked_and_then_asks_for_the_second_factor() {
    let t = TestServer::start().await;
    let elsewhere = t.browser();
    let old_sid = elsewhere.sign_in_alice().await;
    let b = t.browser();
    let (sia, factor) = start(&b, "alice@example.com").await;
    let code = prepare_reset(&t, &b, &sia, &factor, "alice@example.com").await;
    assert_eq!(attempt(&b, &sia, "reset_password_email_code", &code).await.body["response"]["status"], "needs_new_password");
    let r = reset(&b, &sia, &[("password", NEW_PASSWORD), ("sign_out_of_other_sessions", "false")]).await;
    assert_eq!(r.body["response"]["status"], "needs_second_factor", "{:?}", r.body);
    assert_eq!(r.body["response"]["created_session_id"], Value::Null);
    elsewhere.token(&old_sid, &[]).await;
    let totp =
        clerk_server::util::totp_at(clerk_server::seed::ALICE_TOTP_SECRET, (clerk_server::util::now_ms() / 1000) as u64 + 30).unwrap();
    let r = b.post(&format!("/v1/client/sign_ins/{sia}/attempt_second_factor"), &[("strategy", "totp"), ("code", &totp)]).await;
    assert_eq!(r.body["response"]["status"], "complete", "{:?}", r.body);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_codes_expire_and_guessing_locks_the_sign_in() {
    let t = TestServer::start().await;
    let b = t.browser();
    let (sia, factor) = start(&b, "bob@example.com").await;
    let code = prepare_reset(&t, &b, &sia, &factor, "bob@example.com").await;
    let r = reqwest::Client::new().post(t.url("/__dev/clock?advance_ms=600001")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = attempt(&b, &sia, "reset_password_email_code", &code).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "verification_expired"));

    let code = prepare_reset(&t, &b, &sia, &factor, "bob@example.com").await;
    for i in 0..5 {
        let r = attempt(&b, &sia, "reset_password_email_code", &wrong(&code)).await;
        assert_eq!((r.status.as_u16(), r.code()), (422, "form_code_incorrect"), "attempt {i}");
    }
    // Locked: even the right code is refused, before it is checked.
    let r = attempt(&b, &sia, "reset_password_email_code", &code).await;
    assert_eq!((r.status.as_u16(), r.code()), (429, "too_many_requests"));
    assert!(r.headers.get("retry-after").is_some());
    t.server.stop().await;
}

async fn dev_backup_codes(t: &TestServer, who: &str) -> Vec<String> {
    let r = reqwest::Client::new().post(t.url(&format!("/__dev/backup_codes?identifier={who}"))).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect()
}

/// Alice's sign-in after her password: at `needs_second_factor`.
async fn alice_second_factor(b: &Browser) -> (String, Value) {
    let r = b.post("/v1/client/sign_ins", &[("identifier", "alice@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(r.body["response"]["status"], "needs_second_factor", "{:?}", r.body);
    (r.body["response"]["id"].as_str().unwrap().to_owned(), r.body["response"]["supported_second_factors"].clone())
}

async fn backup(b: &Browser, sia: &str, code: &str) -> Resp {
    b.post(&format!("/v1/client/sign_ins/{sia}/attempt_second_factor"), &[("strategy", "backup_code"), ("code", code)]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_codes_are_a_second_factor_each_good_once() {
    let t = TestServer::start().await;
    let b = t.browser();
    let (_, factors) = alice_second_factor(&b).await;
    assert_eq!(factors, json!([{"strategy": "totp"}]), "no backup codes yet");
    let codes = dev_backup_codes(&t, "alice@example.com").await;
    assert_eq!(codes.len(), 10);
    let (sia, factors) = alice_second_factor(&b).await;
    assert_eq!(factors, json!([{"strategy": "totp"}, {"strategy": "backup_code"}]));
    let r = b.post(&format!("/v1/client/sign_ins/{sia}/prepare_second_factor"), &[("strategy", "backup_code")]).await;
    assert_eq!(r.body["response"]["second_factor_verification"]["strategy"], "backup_code");
    let r = backup(&b, &sia, "notacode").await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_code_incorrect"));
    let r = backup(&b, &sia, &codes[0].to_uppercase()).await;
    assert_eq!(r.body["response"]["status"], "complete", "{:?}", r.body);
    assert_eq!(r.body["response"]["second_factor_verification"]["status"], "verified");
    let session = &r.body["client"]["sessions"][0];
    assert_eq!(session["user"]["backup_code_enabled"], true);
    assert_eq!(session["factor_verification_age"], json!([0, 0]));

    // Reused on another client: refused; the next code works.
    let other = t.browser();
    let (sia2, _) = alice_second_factor(&other).await;
    let r = backup(&other, &sia2, &codes[0]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_code_incorrect"));
    let r = backup(&other, &sia2, &codes[1]).await;
    assert_eq!(r.body["response"]["status"], "complete", "{:?}", r.body);

    // A new set from the signed-in user (clerk-js's user.createBackupCode()) replaces the old.
    let r = b.post("/v1/me/backup_codes", &[]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["response"]["object"], "backup_code");
    let fresh: Vec<String> = r.body["response"]["codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert_eq!(fresh.len(), 10);
    let third = t.browser();
    let (sia3, _) = alice_second_factor(&third).await;
    let r = backup(&third, &sia3, &codes[2]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_code_incorrect"), "the old set is gone");
    assert_eq!(backup(&third, &sia3, &fresh[0]).await.body["response"]["status"], "complete");
    let r = t.browser().post("/v1/me/backup_codes", &[]).await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "signed_out"));
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_backup_codes_locks_the_sign_in() {
    let t = TestServer::start().await;
    let codes = dev_backup_codes(&t, "alice").await;
    let b = t.browser();
    let (sia, _) = alice_second_factor(&b).await;
    for i in 0..5 {
        let r = backup(&b, &sia, &format!("guess{i:03}")).await;
        assert_eq!((r.status.as_u16(), r.code()), (422, "form_code_incorrect"), "attempt {i}");
    }
    let r = backup(&b, &sia, &codes[0]).await;
    assert_eq!((r.status.as_u16(), r.code()), (429, "too_many_requests"));
    // The refused right code was not spent.
    let other = t.browser();
    let (sia2, _) = alice_second_factor(&other).await;
    assert_eq!(backup(&other, &sia2, &codes[0]).await.body["response"]["status"], "complete");
    let r = reqwest::Client::new().post(t.url("/__dev/backup_codes?identifier=nobody@example.com")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    t.server.stop().await;
}
