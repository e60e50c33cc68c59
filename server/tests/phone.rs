//! Phone numbers and SMS codes over real HTTP: numbers normalised to E.164 and validated with
//! typed errors, `phone_code` as a first and as a second factor, the development SMS outbox,
//! and the failure paths (wrong, expired and reused codes, the lockout).

mod common;

use common::*;
use serde_json::{Value, json};

const NUMBER: &str = "+12015550123";

async fn new_user(t: &TestServer, email: &str, phone: Option<&str>) -> Value {
    let mut body = json!({"email_address": [email], "password": PASSWORD});
    if let Some(p) = phone {
        body["phone_number"] = json!([p]);
    }
    let r = t.bapi().post("/v1/users", Some(body)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

async fn latest_sms(t: &TestServer, to: &str) -> String {
    let v: Value = reqwest::get(t.url(&format!("/__dev/sms?to={}", urlencode(to)))).await.unwrap().json().await.unwrap();
    v["latest_code"].as_str().expect("an SMS was sent").to_owned()
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(' ', "%20")
}

fn wrong(code: &str) -> String {
    if code == "000000" { "111111".into() } else { "000000".into() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_are_stored_in_e164_and_bad_ones_get_typed_errors() {
    let t = TestServer::start().await;
    let user = new_user(&t, "carol@example.com", Some("+1 (201) 555-0123")).await;
    let phone = &user["phone_numbers"][0];
    assert_eq!(phone["object"], "phone_number");
    assert_eq!(phone["phone_number"], NUMBER);
    assert_eq!(phone["verification"]["status"], "verified");
    assert_eq!(user["primary_phone_number_id"], phone["id"]);

    for bad in ["2015550123", "+1 555", "+999 1234567", "call me"] {
        let r = t.bapi().post("/v1/users", Some(json!({"email_address": ["x@example.com"], "phone_number": [bad]}))).await;
        assert_eq!((r.status.as_u16(), r.code()), (422, "form_param_format_invalid"), "{bad}: {:?}", r.body);
        assert_eq!(r.body["errors"][0]["meta"]["param_name"], "phone_number");
        assert!(r.body["errors"][0]["long_message"].as_str().unwrap().contains("E.164"));
    }
    assert_eq!(t.bapi().get("/v1/users?email_address=x@example.com").await.body, json!([]), "nothing written");
    let r = t.bapi().post("/v1/users", Some(json!({"email_address": ["y@example.com"], "phone_number": ["+1 201 555 0123"]}))).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_identifier_exists"), "the same number in another spelling");

    let b = t.browser();
    let r = b.post("/v1/client/sign_ins", &[("identifier", "+1 555")]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_param_format_invalid"));
    assert_eq!(r.body["errors"][0]["meta"]["param_name"], "identifier");
    let r = b.post("/v1/client/sign_ins", &[("identifier", "+12015550199")]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_identifier_not_found"));
    let r = reqwest::get(t.url("/__dev/sms?to=nope")).await.unwrap();
    assert_eq!(r.status(), 422);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_code_is_a_first_factor() {
    let t = TestServer::start().await;
    new_user(&t, "carol@example.com", Some(NUMBER)).await;
    let b = t.browser();
    // Any spelling of the number finds the user.
    let r = b.post("/v1/client/sign_ins", &[("identifier", "+1 201-555-0123")]).await;
    assert_eq!(r.body["response"]["status"], "needs_first_factor", "{:?}", r.body);
    let sia = r.body["response"]["id"].as_str().unwrap().to_owned();
    let factor = r.body["response"]["supported_first_factors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["strategy"] == "phone_code")
        .expect("a phone_code factor")
        .clone();
    assert_eq!((&factor["safe_identifier"], &factor["primary"]), (&json!(NUMBER), &json!(true)));
    let attempt = |code: String| {
        let b = &b;
        let sia = sia.clone();
        async move { b.post(&format!("/v1/client/sign_ins/{sia}/attempt_first_factor"), &[("strategy", "phone_code"), ("code", &code)]).await }
    };
    let r = attempt("123456".into()).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "verification_missing"), "nothing prepared yet");
    let id = factor["phone_number_id"].as_str().unwrap();
    let r =
        b.post(&format!("/v1/client/sign_ins/{sia}/prepare_first_factor"), &[("strategy", "phone_code"), ("phone_number_id", id)]).await;
    assert_eq!(r.body["response"]["first_factor_verification"]["strategy"], "phone_code", "{:?}", r.body);
    let code = latest_sms(&t, NUMBER).await;
    assert_eq!(latest_sms(&t, "+1 (201) 555-0123").await, code, "the outbox reads any spelling");
    assert!(!r.body.to_string().contains(&code), "the code is only in the SMS");
    let r = attempt(wrong(&code)).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_code_incorrect"));
    let r = attempt(code.clone()).await;
    assert_eq!(r.body["response"]["status"], "complete", "{:?}", r.body);
    assert_eq!(r.body["client"]["last_authentication_strategy"], "phone_code");
    let user = &r.body["client"]["sessions"][0]["user"];
    assert_eq!(user["phone_numbers"][0]["phone_number"], NUMBER);
    assert_eq!(user["two_factor_enabled"], false);

    // Reused on a new sign-in (created with the strategy: the code goes out at once).
    let other = t.browser();
    let r = other.post("/v1/client/sign_ins", &[("identifier", NUMBER), ("strategy", "phone_code")]).await;
    assert_eq!(r.body["response"]["first_factor_verification"]["status"], "unverified", "{:?}", r.body);
    let sia2 = r.body["response"]["id"].as_str().unwrap().to_owned();
    let fresh = latest_sms(&t, NUMBER).await;
    if fresh != code {
        let r =
            other.post(&format!("/v1/client/sign_ins/{sia2}/attempt_first_factor"), &[("strategy", "phone_code"), ("code", &code)]).await;
        assert_eq!((r.status.as_u16(), r.code()), (422, "form_code_incorrect"), "a used code");
    }
    // Expired: ten minutes on the server's clock.
    reqwest::Client::new().post(t.url("/__dev/clock?advance_ms=600001")).send().await.unwrap();
    let r = other.post(&format!("/v1/client/sign_ins/{sia2}/attempt_first_factor"), &[("strategy", "phone_code"), ("code", &fresh)]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "verification_expired"));
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_code_is_a_second_factor_and_guessing_locks_it() {
    let t = TestServer::start().await;
    let user = new_user(&t, "dave@example.com", None).await;
    let r = t
        .bapi()
        .post(
            "/v1/phone_numbers",
            Some(json!({"user_id": user["id"], "phone_number": "+44 20 7946 0958", "reserved_for_second_factor": true})),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!((&r.body["phone_number"], &r.body["reserved_for_second_factor"]), (&json!("+442079460958"), &json!(true)));
    let r = t.bapi().post("/v1/phone_numbers", Some(json!({"user_id": user["id"]}))).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_param_missing"));

    let b = t.browser();
    let r = b.post("/v1/client/sign_ins", &[("identifier", "dave@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(r.body["response"]["status"], "needs_second_factor", "{:?}", r.body);
    let second = &r.body["response"]["supported_second_factors"];
    assert_eq!(second[0]["strategy"], "phone_code");
    assert_eq!((&second[0]["safe_identifier"], &second[0]["default"]), (&json!("+442079460958"), &json!(true)));
    let sia = r.body["response"]["id"].as_str().unwrap().to_owned();
    let attempt = |code: String| {
        let b = &b;
        let sia = sia.clone();
        async move { b.post(&format!("/v1/client/sign_ins/{sia}/attempt_second_factor"), &[("strategy", "phone_code"), ("code", &code)]).await }
    };
    let r = attempt("123456".into()).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "verification_missing"), "nothing sent yet");
    let r = b.post(&format!("/v1/client/sign_ins/{sia}/prepare_second_factor"), &[("strategy", "phone_code")]).await;
    assert_eq!(r.body["response"]["second_factor_verification"]["strategy"], "phone_code", "{:?}", r.body);
    let code = latest_sms(&t, "+442079460958").await;
    let r = attempt(wrong(&code)).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_code_incorrect"));
    let r = attempt(code.clone()).await;
    assert_eq!(r.body["response"]["status"], "complete", "{:?}", r.body);
    let session = &r.body["client"]["sessions"][0];
    assert_eq!(session["factor_verification_age"], json!([0, 0]));
    assert_eq!(session["user"]["two_factor_enabled"], true);
    assert_eq!(session["user"]["phone_numbers"][0]["default_second_factor"], true);

    // The lockout: five wrong codes, then even the right one is refused.
    let other = t.browser();
    let r = other.post("/v1/client/sign_ins", &[("identifier", "dave@example.com"), ("password", PASSWORD)]).await;
    let sia2 = r.body["response"]["id"].as_str().unwrap().to_owned();
    other.post(&format!("/v1/client/sign_ins/{sia2}/prepare_second_factor"), &[("strategy", "phone_code")]).await;
    let code = latest_sms(&t, "+442079460958").await;
    for i in 0..5 {
        let r = other
            .post(&format!("/v1/client/sign_ins/{sia2}/attempt_second_factor"), &[("strategy", "phone_code"), ("code", &wrong(&code))])
            .await;
        assert_eq!((r.status.as_u16(), r.code()), (422, "form_code_incorrect"), "attempt {i}");
    }
    let r = other.post(&format!("/v1/client/sign_ins/{sia2}/attempt_second_factor"), &[("strategy", "phone_code"), ("code", &code)]).await;
    assert_eq!((r.status.as_u16(), r.code()), (429, "too_many_requests"));
    t.server.stop().await;
}
