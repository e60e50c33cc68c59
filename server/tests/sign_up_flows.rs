//! Sign-up completeness over real HTTP: `missing_fields` / `unverified_fields` and the
//! verifications' `next_action` at each step, `status` from `missing_requirements` to
//! `complete` on whichever step meets the last requirement, phone numbers verified by SMS code,
//! and `abandoned` after 24 hours.

mod common;

use common::*;
use serde_json::{Value, json};

fn id(r: &Resp) -> String {
    r.body["response"]["id"].as_str().unwrap().to_owned()
}

async fn sms(t: &TestServer, to: &str) -> String {
    let v: Value = reqwest::get(t.url(&format!("/__dev/sms?to={}", to.replace('+', "%2B")))).await.unwrap().json().await.unwrap();
    v["latest_code"].as_str().expect("an SMS was sent").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_requirement_completes_the_sign_up_even_on_an_update() {
    let t = TestServer::start().await;
    let b = t.browser();
    let r = b.post("/v1/client/sign_ups", &[("email_address", "eve@example.com")]).await;
    let su = &r.body["response"];
    assert_eq!(su["status"], "missing_requirements");
    assert_eq!((&su["missing_fields"], &su["unverified_fields"]), (&json!(["password"]), &json!(["email_address"])));
    assert_eq!(su["verifications"]["email_address"]["next_action"], "needs_prepare");
    assert_eq!(su["verifications"]["email_address"]["supported_strategies"], json!(["email_code"]));
    assert_eq!(su["verifications"]["phone_number"], Value::Null);
    let sua = id(&r);
    let r = b.post(&format!("/v1/client/sign_ups/{sua}/prepare_verification"), &[("strategy", "email_code")]).await;
    assert_eq!(r.body["response"]["verifications"]["email_address"]["next_action"], "needs_attempt");
    let code = t.latest_code("eve@example.com").await;
    let r = b.post(&format!("/v1/client/sign_ups/{sua}/attempt_verification"), &[("strategy", "email_code"), ("code", &code)]).await;
    let su = &r.body["response"];
    // Verified, but the password is still missing: no user yet.
    assert_eq!(su["status"], "missing_requirements", "{su}");
    assert_eq!((&su["missing_fields"], &su["unverified_fields"]), (&json!(["password"]), &json!([])));
    assert_eq!(su["verifications"]["email_address"]["status"], "verified");
    assert_eq!(su["created_user_id"], Value::Null);
    let r = b.post(&format!("/v1/client/sign_ups/{sua}?_method=PATCH"), &[("password", "short")]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_password_length_too_short"));
    let r = b.post(&format!("/v1/client/sign_ups/{sua}?_method=PATCH"), &[("password", "long-enough-1")]).await;
    let su = &r.body["response"];
    assert_eq!(su["status"], "complete", "{su}");
    assert_eq!(su["missing_fields"], json!([]));
    let sid = su["created_session_id"].as_str().unwrap();
    assert_eq!(r.body["client"]["last_active_session_id"], sid);
    // Over: no more steps.
    let r = b.post(&format!("/v1/client/sign_ups/{sua}?_method=PATCH"), &[("first_name", "Eve")]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "sign_up_status_invalid"));
    let r = b.post(&format!("/v1/client/sign_ups/{sua}/prepare_verification"), &[("strategy", "email_code")]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "sign_up_status_invalid"));
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_number_given_at_sign_up_must_be_verified_by_sms() {
    let t = TestServer::start().await;
    let b = t.browser();
    let r = b
        .post("/v1/client/sign_ups", &[("email_address", "fay@example.com"), ("password", "long-enough-1"), ("phone_number", "+1 555")])
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_param_format_invalid"));
    assert_eq!(r.body["errors"][0]["meta"]["param_name"], "phone_number");
    let r = b
        .post(
            "/v1/client/sign_ups",
            &[("email_address", "fay@example.com"), ("password", "long-enough-1"), ("phone_number", "+1 (201) 555-0177")],
        )
        .await;
    let su = &r.body["response"];
    assert_eq!(su["phone_number"], "+12015550177");
    assert_eq!(su["unverified_fields"], json!(["email_address", "phone_number"]));
    assert_eq!(su["verifications"]["phone_number"]["next_action"], "needs_prepare");
    let sua = id(&r);
    let r = b.post(&format!("/v1/client/sign_ups/{sua}/attempt_verification"), &[("strategy", "phone_code"), ("code", "123456")]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "verification_missing"), "no SMS sent yet");
    b.post(&format!("/v1/client/sign_ups/{sua}/prepare_verification"), &[("strategy", "email_code")]).await;
    let code = t.latest_code("fay@example.com").await;
    let r = b.post(&format!("/v1/client/sign_ups/{sua}/attempt_verification"), &[("strategy", "email_code"), ("code", &code)]).await;
    assert_eq!(r.body["response"]["status"], "missing_requirements", "the number is still unverified");
    assert_eq!(r.body["response"]["unverified_fields"], json!(["phone_number"]));

    let r = b.post(&format!("/v1/client/sign_ups/{sua}/prepare_verification"), &[("strategy", "phone_code")]).await;
    let v = &r.body["response"]["verifications"]["phone_number"];
    assert_eq!((&v["strategy"], &v["next_action"]), (&json!("phone_code"), &json!("needs_attempt")));
    let code = sms(&t, "+12015550177").await;
    let bad = if code == "000000" { "111111" } else { "000000" };
    let r = b.post(&format!("/v1/client/sign_ups/{sua}/attempt_verification"), &[("strategy", "phone_code"), ("code", bad)]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_code_incorrect"));
    let r = b.post(&format!("/v1/client/sign_ups/{sua}/attempt_verification"), &[("strategy", "phone_code"), ("code", &code)]).await;
    let su = &r.body["response"];
    assert_eq!(su["status"], "complete", "{su}");
    assert_eq!(r.body["client"]["last_authentication_strategy"], "phone_code");
    let user = &r.body["client"]["sessions"][0]["user"];
    assert_eq!(user["phone_numbers"][0]["phone_number"], "+12015550177");
    assert_eq!(user["phone_numbers"][0]["verification"]["status"], "verified");
    assert_eq!(user["primary_phone_number_id"], user["phone_numbers"][0]["id"]);

    // The number now signs in, and cannot sign up again.
    let other = t.browser();
    let r = other.post("/v1/client/sign_ins", &[("identifier", "+12015550177"), ("strategy", "phone_code")]).await;
    let sia = id(&r);
    let code = sms(&t, "+12015550177").await;
    let r = other.post(&format!("/v1/client/sign_ins/{sia}/attempt_first_factor"), &[("strategy", "phone_code"), ("code", &code)]).await;
    assert_eq!(r.body["response"]["status"], "complete", "{:?}", r.body);
    let r = t.browser().post("/v1/client/sign_ups", &[("phone_number", "+1 201 555 0177")]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_identifier_exists"));
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_up_left_for_a_day_is_abandoned() {
    let t = TestServer::start().await;
    let b = t.browser();
    let r = b.post("/v1/client/sign_ups", &[("email_address", "gus@example.com"), ("password", "long-enough-1")]).await;
    let sua = id(&r);
    reqwest::Client::new().post(t.url("/__dev/clock?advance_ms=86400000")).send().await.unwrap();
    let r = b.get(&format!("/v1/client/sign_ups/{sua}")).await;
    assert_eq!(r.body["response"]["status"], "abandoned");
    assert_eq!(r.body["client"]["sign_up"]["status"], "abandoned");
    let r = b.post(&format!("/v1/client/sign_ups/{sua}/prepare_verification"), &[("strategy", "email_code")]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "sign_up_status_invalid"));
    t.server.stop().await;
}
