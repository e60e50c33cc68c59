//! Passkeys over plain HTTP: what the server refuses before any authenticator is involved (the
//! full ceremonies run in Chromium with a virtual authenticator: clerk_js_passkeys.rs and
//! tests/js/passkeys.mjs). The options it hands out are checked too.

mod common;

use common::*;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_needs_a_signed_in_user_on_an_allowed_origin() {
    let t = TestServer::start().await;
    let r = t.browser().post("/v1/me/passkeys", &[]).await;
    assert_eq!((r.status.as_u16(), r.code()), (401, "signed_out"));

    let mut b = t.browser();
    b.sign_in("bob@example.com").await;
    for origin in [None, Some("http://evil.example")] {
        let other = Browser { http: b.http.clone(), base: b.base.clone(), origin: origin.map(str::to_owned), extra_query: None };
        let r = other.post("/v1/me/passkeys", &[]).await;
        assert_eq!((r.status.as_u16(), r.code()), (422, "passkey_invalid_origin"), "{origin:?}");
    }
    // An allowed page on an IP address: browsers would refuse it as an RP ID, so the server
    // says how to open the page instead.
    let r = b.post("/v1/me/passkeys", &[]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "passkey_invalid_origin"));
    assert!(r.body["errors"][0]["long_message"].as_str().unwrap().contains("http://localhost:3000"), "{:?}", r.body);
    b.origin = Some("http://localhost:3000".into());

    let r = b.post("/v1/me/passkeys", &[]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let pk = &r.body["response"];
    assert_eq!((&pk["object"], &pk["name"]), (&json!("passkey"), &json!("Passkey 1")));
    assert_eq!(pk["verification"]["status"], "unverified");
    let options: Value = serde_json::from_str(pk["verification"]["nonce"].as_str().unwrap()).unwrap();
    assert_eq!(options["rp"]["id"], "localhost", "the page's host is the RP ID: {options}");
    assert!(options["challenge"].as_str().is_some_and(|c| c.len() >= 43), "a base64url challenge of 32 bytes or more");
    assert_eq!(options["user"]["name"], "bob@example.com");
    assert_eq!(options["authenticatorSelection"]["userVerification"], "required");
    // Not listed until verified.
    assert_eq!(r.body["client"]["sessions"][0]["user"]["passkeys"], json!([]));

    let id = pk["id"].as_str().unwrap();
    let attempt = |form: Vec<(&'static str, String)>| {
        let b = &b;
        let path = format!("/v1/me/passkeys/{id}/attempt_verification");
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            b.post(&path, &form).await
        }
    };
    let r = attempt(vec![("strategy", "passkey".into())]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_param_missing"));
    let r = attempt(vec![("strategy", "passkey".into()), ("public_key_credential", "{not json".into())]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "passkey_invalid"));
    assert_eq!(r.body["errors"][0]["meta"]["param_name"], "public_key_credential");
    let forged = json!({"id": "AA", "rawId": "AA", "type": "public-key",
        "response": {"clientDataJSON": "e30", "attestationObject": "oA"}});
    let r = attempt(vec![("strategy", "passkey".into()), ("public_key_credential", forged.to_string())]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "passkey_invalid"));
    let r = b.post("/v1/me/passkeys/pk_nope/attempt_verification", &[("public_key_credential", "{}")]).await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "resource_not_found"));
    // A registration lives ten minutes.
    reqwest::Client::new().post(t.url("/__dev/clock?advance_ms=600001")).send().await.unwrap();
    let r = attempt(vec![("strategy", "passkey".into()), ("public_key_credential", forged.to_string())]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "verification_expired"));
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passkey_sign_in_needs_a_passkey_and_a_prepared_challenge() {
    let t = TestServer::start().await;
    let b = t.browser();
    let r = b.post("/v1/client/sign_ins", &[("identifier", "bob@example.com")]).await;
    let factors = r.body["response"]["supported_first_factors"].as_array().unwrap();
    assert!(!factors.iter().any(|f| f["strategy"] == "passkey"), "no passkey, no factor");
    let sia = r.body["response"]["id"].as_str().unwrap().to_owned();
    let r = b.post(&format!("/v1/client/sign_ins/{sia}/prepare_first_factor"), &[("strategy", "passkey")]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_param_value_invalid"));
    let r = b
        .post(&format!("/v1/client/sign_ins/{sia}/attempt_first_factor"), &[("strategy", "passkey"), ("public_key_credential", "{}")])
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "verification_missing"));
    let r = b.post(&format!("/v1/client/sign_ins/{sia}/attempt_first_factor"), &[("strategy", "passkey")]).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "form_param_missing"));
    t.server.stop().await;
}
