//! Issue 20 over real HTTP: the account's email addresses (codes and links), phone numbers
//! (codes, second factor) and external accounts (through the development OAuth provider),
//! each bad input with Clerk's code, another user's ids as 404, and refusals writing nothing.

mod common;

use common::account::{Account, assert_refused, latest_sms, wrong};
use common::lifecycle::{advance, browser_no_redirects};
use common::*;
use serde_json::{Value, json};

const REDIRECT: &str = "http://127.0.0.1:3000/account";

fn location(r: &Resp) -> String {
    assert!(r.status.is_redirection(), "{} {:?}", r.status, r.body);
    r.headers["location"].to_str().unwrap().to_owned()
}

fn query(url: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(url).unwrap().query_pairs().into_owned().collect()
}

fn emails(user: &Value) -> Vec<(String, String)> {
    user["email_addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["email_address"].as_str().unwrap().to_owned(), e["verification"]["status"].as_str().unwrap_or("none").to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_addresses_are_added_verified_by_code_made_primary_and_deleted() {
    let t = TestServer::start().await;
    let a = Account::new(&t, "first@example.com").await;
    assert_refused(&a.send("POST", "/v1/me/email_addresses/", &[]).await, 422, "form_param_missing", Some("email_address"));
    assert_refused(
        &a.send("POST", "/v1/me/email_addresses/", &[("email_address", "not-an-email")]).await,
        422,
        "form_param_format_invalid",
        Some("email_address"),
    );
    let r = a.send("POST", "/v1/me/email_addresses/", &[("email_address", "BOB@example.com")]).await;
    assert_refused(&r, 422, "form_identifier_exists", Some("email_address"));
    assert_eq!(emails(&a.me().await).len(), 1, "refusals add nothing");

    let r = a.send("POST", "/v1/me/email_addresses/", &[("email_address", "second@example.com")]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let e = r.body["response"].clone();
    assert_eq!((e["object"].as_str(), e["email_address"].as_str()), (Some("email_address"), Some("second@example.com")));
    assert!(e["verification"].is_null(), "{e}");
    let id = e["id"].as_str().unwrap().to_owned();
    assert_eq!(
        emails(&r.body["client"]["sessions"][0]["user"]),
        vec![("first@example.com".into(), "verified".into()), ("second@example.com".into(), "none".into())]
    );
    let path = |action: &str| format!("/v1/me/email_addresses/{id}{action}");
    // Not the user's until verified: it signs nobody in, and offers no sign-in code.
    let r = t.browser().post("/v1/client/sign_ins", &[("identifier", "second@example.com")]).await;
    assert_refused(&r, 422, "form_identifier_not_found", Some("identifier"));
    let r = t.browser().post("/v1/client/sign_ins", &[("identifier", "first@example.com")]).await;
    let offered: Vec<&str> =
        r.body["response"]["supported_first_factors"].as_array().unwrap().iter().filter_map(|f| f["safe_identifier"].as_str()).collect();
    assert!(!offered.contains(&"second@example.com"), "{offered:?}");

    assert_refused(&a.send("POST", &path("/attempt_verification"), &[("code", "123456")]).await, 422, "verification_missing", Some("code"));
    assert_refused(&a.send("POST", &path("/prepare_verification"), &[]).await, 422, "form_param_missing", Some("strategy"));
    assert_refused(
        &a.send("POST", &path("/prepare_verification"), &[("strategy", "phone_code")]).await,
        422,
        "form_param_value_invalid",
        Some("strategy"),
    );
    let r = a.send("POST", &path("/prepare_verification"), &[("strategy", "email_code")]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let v = &r.body["response"]["verification"];
    assert_eq!((v["status"].as_str(), v["strategy"].as_str(), v["attempts"].as_i64()), (Some("unverified"), Some("email_code"), Some(0)));
    let code = t.latest_code("second@example.com").await;
    let r = a.send("POST", &path("/attempt_verification"), &[("code", &wrong(&code))]).await;
    assert_refused(&r, 422, "form_code_incorrect", Some("code"));
    assert_eq!(a.get(&path("")).await.body["response"]["verification"]["attempts"], 1, "the failed attempt is counted");
    let r = a.send("POST", &path("/attempt_verification"), &[("code", &code)]).await;
    assert_eq!(r.body["response"]["verification"]["status"], "verified", "{:?}", r.body);
    assert_refused(
        &a.send("POST", &path("/attempt_verification"), &[("code", &code)]).await,
        422,
        "verification_already_verified",
        Some("code"),
    );

    // The new address signs in, becomes primary, and the old one can go.
    let r = a.send("PATCH", "/v1/me", &[("primary_email_address_id", &id)]).await;
    assert_eq!(r.body["response"]["primary_email_address_id"], id.as_str(), "{:?}", r.body);
    t.browser().sign_in("second@example.com").await;
    let first_id = a.me().await["email_addresses"][0]["id"].as_str().unwrap().to_owned();
    let first_id = if first_id == id { a.me().await["email_addresses"][1]["id"].as_str().unwrap().to_owned() } else { first_id };
    let r = a.send("DELETE", &format!("/v1/me/email_addresses/{first_id}"), &[]).await;
    assert_eq!(r.body["response"], json!({"object": "email_address", "id": first_id, "deleted": true}), "{:?}", r.body);
    let r = a.send("DELETE", &path(""), &[]).await;
    assert_refused(&r, 422, "last_required_identification_deletion_failed", None);
    assert_eq!(emails(&a.me().await), vec![("second@example.com".into(), "verified".into())]);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_users_identifiers_are_not_found_and_codes_expire() {
    let t = TestServer::start().await;
    let a = Account::new(&t, "mine@example.com").await;
    let bob = t.bapi().get(&format!("/v1/users/{}", t.seeded.bob_id)).await.body;
    let bobs_email = bob["email_addresses"][0]["id"].as_str().unwrap().to_owned();
    for (method, action) in [("GET", ""), ("POST", "/prepare_verification"), ("POST", "/attempt_verification"), ("DELETE", "")] {
        let p = format!("/v1/me/email_addresses/{bobs_email}{action}");
        let r = if method == "GET" { a.get(&p).await } else { a.send(method, &p, &[("strategy", "email_code"), ("code", "1")]).await };
        assert_refused(&r, 404, "resource_not_found", None);
    }
    assert_eq!(t.bapi().get(&format!("/v1/users/{}", t.seeded.bob_id)).await.body["email_addresses"], bob["email_addresses"]);

    let r = a.send("POST", "/v1/me/email_addresses", &[("email_address", "late@example.com")]).await;
    let id = r.body["response"]["id"].as_str().unwrap().to_owned();
    a.send("POST", &format!("/v1/me/email_addresses/{id}/prepare_verification"), &[("strategy", "email_code")]).await;
    let code = t.latest_code("late@example.com").await;
    advance(&t, 11 * 60 * 1000).await;
    let r = a.send("POST", &format!("/v1/me/email_addresses/{id}/attempt_verification"), &[("code", &code)]).await;
    assert_refused(&r, 422, "verification_expired", Some("code"));
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_link_verifies_an_added_address_once() {
    let t = TestServer::start().await;
    let a = Account::new(&t, "linker@example.com").await;
    let r = a.send("POST", "/v1/me/email_addresses", &[("email_address", "linked@example.com")]).await;
    let id = r.body["response"]["id"].as_str().unwrap().to_owned();
    let prepare = format!("/v1/me/email_addresses/{id}/prepare_verification");
    let r = a.send("POST", &prepare, &[("strategy", "email_link"), ("redirect_url", "https://evil.example/")]).await;
    assert_refused(&r, 422, "form_param_value_invalid", Some("redirect_url"));
    let r = a.send("POST", &prepare, &[("strategy", "email_link"), ("redirect_url", REDIRECT)]).await;
    assert_eq!(r.body["response"]["verification"]["strategy"], "email_link", "{:?}", r.body);
    let emails: Value = reqwest::get(t.url("/__dev/emails?to=linked@example.com")).await.unwrap().json().await.unwrap();
    let link = emails["latest_link"].as_str().unwrap().to_owned();
    let nav = browser_no_redirects(&t);
    let landed = location(&into_resp(nav.http.get(&link).send().await.unwrap()).await);
    assert_eq!(query(&landed)["__clerk_status"], "verified", "{landed}");
    assert!(landed.starts_with(REDIRECT));
    assert_eq!(a.get(&format!("/v1/me/email_addresses/{id}")).await.body["response"]["verification"]["status"], "verified");
    let again = location(&into_resp(nav.http.get(&link).send().await.unwrap()).await);
    assert_eq!(query(&again)["__clerk_status"], "failed");
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_numbers_are_verified_by_sms_and_become_a_second_factor() {
    let t = TestServer::start().await;
    let a = Account::new(&t, "phone@example.com").await;
    assert_refused(
        &a.send("POST", "/v1/me/phone_numbers/", &[("phone_number", "2015550123")]).await,
        422,
        "form_param_format_invalid",
        Some("phone_number"),
    );
    assert_refused(
        &a.send("POST", "/v1/me/phone_numbers/", &[("phone_number", "+1 555")]).await,
        422,
        "form_param_format_invalid",
        Some("phone_number"),
    );
    let r = a.send("POST", "/v1/me/phone_numbers/", &[("phone_number", "+1 (201) 555-0142")]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let p = r.body["response"].clone();
    assert_eq!((p["phone_number"].as_str(), p["reserved_for_second_factor"].as_bool()), (Some("+12015550142"), Some(false)));
    let id = p["id"].as_str().unwrap().to_owned();
    let other = Account::new(&t, "other-phone@example.com").await;
    assert_refused(
        &other.send("POST", "/v1/me/phone_numbers", &[("phone_number", "+12015550142")]).await,
        422,
        "form_identifier_exists",
        Some("phone_number"),
    );
    assert_refused(&other.get(&format!("/v1/me/phone_numbers/{id}")).await, 404, "resource_not_found", None);

    let path = |action: &str| format!("/v1/me/phone_numbers/{id}{action}");
    let r = a.send("PATCH", &path(""), &[("reserved_for_second_factor", "true")]).await;
    assert_refused(&r, 422, "identification_update_second_factor_unverified", Some("reserved_for_second_factor"));
    let r = a.send("POST", &path("/prepare_verification"), &[("strategy", "phone_code")]).await;
    assert_eq!(r.body["response"]["verification"]["strategy"], "phone_code", "{:?}", r.body);
    let code = latest_sms(&t, "+12015550142").await;
    assert_refused(
        &a.send("POST", &path("/attempt_verification"), &[("code", &wrong(&code))]).await,
        422,
        "form_code_incorrect",
        Some("code"),
    );
    let r = a.send("POST", &path("/attempt_verification"), &[("code", &code)]).await;
    assert_eq!(r.body["response"]["verification"]["status"], "verified", "{:?}", r.body);
    assert_eq!(r.body["client"]["sessions"][0]["user"]["primary_phone_number_id"], id.as_str(), "the first verified number is primary");

    assert_refused(
        &a.send("PATCH", &path(""), &[("reserved_for_second_factor", "yes")]).await,
        422,
        "form_param_value_invalid",
        Some("reserved_for_second_factor"),
    );
    let r = a.send("PATCH", &path(""), &[("reserved_for_second_factor", "true")]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let p = &r.body["response"];
    assert_eq!((p["reserved_for_second_factor"].as_bool(), p["default_second_factor"].as_bool()), (Some(true), Some(true)));
    assert_eq!(p["backup_codes"].as_array().map(Vec::len), Some(10), "the first second factor comes with backup codes");
    let r = a.send("PATCH", &path(""), &[("default_second_factor", "true")]).await;
    assert_eq!(r.body["response"]["default_second_factor"], true, "{:?}", r.body);
    assert!(r.body["response"]["backup_codes"].is_null(), "shown once only");
    let me = a.me().await;
    assert_eq!((me["two_factor_enabled"].as_bool(), me["backup_code_enabled"].as_bool()), (Some(true), Some(true)));

    // A sign-in now asks for an SMS code.
    let b = t.browser();
    let r = b.post("/v1/client/sign_ins", &[("identifier", "phone@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(r.body["response"]["status"], "needs_second_factor", "{:?}", r.body);

    let r = a.send("DELETE", &path(""), &[]).await;
    assert_eq!(r.body["response"], json!({"object": "phone_number", "id": id, "deleted": true}), "{:?}", r.body);
    let me = a.me().await;
    assert!(me["primary_phone_number_id"].is_null() && me["phone_numbers"] == json!([]) && me["two_factor_enabled"] == false);
    t.server.stop().await;
}

/// Runs the development provider's consent for `email` from the account's authorize URL and
/// follows its callback; where the browser lands.
async fn connect(t: &TestServer, authorize_url: &str, email: &str) -> String {
    let nav = browser_no_redirects(t);
    let mut form: Vec<(String, String)> = query(authorize_url).into_iter().collect();
    form.push(("decision".into(), "allow".into()));
    form.push(("email".into(), email.into()));
    let callback = location(&into_resp(nav.http.post(t.url("/oauth/dev/authorize")).form(&form).send().await.unwrap()).await);
    location(&into_resp(nav.http.get(&callback).send().await.unwrap()).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_accounts_are_connected_through_the_provider_and_disconnected() {
    let t = TestServer::start().await;
    let a = Account::new(&t, "social@example.com").await;
    assert_refused(
        &a.send("POST", "/v1/me/external_accounts", &[("redirect_url", REDIRECT)]).await,
        422,
        "form_param_missing",
        Some("strategy"),
    );
    assert_refused(
        &a.send("POST", "/v1/me/external_accounts", &[("strategy", "oauth_myspace"), ("redirect_url", REDIRECT)]).await,
        422,
        "form_param_value_invalid",
        Some("strategy"),
    );
    assert_refused(
        &a.send("POST", "/v1/me/external_accounts", &[("strategy", "oauth_google")]).await,
        422,
        "form_param_missing",
        Some("redirect_url"),
    );
    let r = a.send("POST", "/v1/me/external_accounts", &[("strategy", "oauth_google"), ("redirect_url", REDIRECT)]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let v = &r.body["response"]["verification"];
    assert_eq!((v["status"].as_str(), v["strategy"].as_str()), (Some("unverified"), Some("oauth_google")));
    let url = v["external_verification_redirect_url"].as_str().unwrap().to_owned();
    let landed = connect(&t, &url, "social.google@example.com").await;
    assert_eq!(landed, REDIRECT);
    let me = a.me().await;
    let accounts = me["external_accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 1);
    let acct = &accounts[0];
    assert_eq!(
        (acct["provider"].as_str(), acct["email_address"].as_str(), acct["verification"]["status"].as_str()),
        (Some("google"), Some("social.google@example.com"), Some("verified"))
    );
    let acct_id = acct["id"].as_str().unwrap().to_owned();

    // The same identity cannot be connected to another user.
    let other = Account::new(&t, "other-social@example.com").await;
    let r = other.send("POST", "/v1/me/external_accounts", &[("strategy", "oauth_google"), ("redirect_url", REDIRECT)]).await;
    let url = r.body["response"]["verification"]["external_verification_redirect_url"].as_str().unwrap().to_owned();
    let landed = connect(&t, &url, "social.google@example.com").await;
    let q = query(&landed);
    assert_eq!((q["__clerk_status"].as_str(), q["__clerk_error_code"].as_str()), ("failed", "external_account_exists"));
    assert_eq!(other.me().await["external_accounts"], json!([]));
    assert_refused(&other.send("DELETE", &format!("/v1/me/external_accounts/{acct_id}"), &[]).await, 404, "resource_not_found", None);

    // Reauthorizing runs the flow again for the same identity.
    let r = a.send("PATCH", &format!("/v1/me/external_accounts/{acct_id}/reauthorize"), &[("redirect_url", REDIRECT)]).await;
    assert_eq!(r.body["response"]["id"], acct_id.as_str(), "{:?}", r.body);
    let url = r.body["response"]["verification"]["external_verification_redirect_url"].as_str().unwrap().to_owned();
    assert_eq!(connect(&t, &url, "social.google@example.com").await, REDIRECT);
    assert_eq!(a.me().await["external_accounts"].as_array().unwrap().len(), 1);

    let r = a.send("DELETE", &format!("/v1/me/external_accounts/{acct_id}"), &[]).await;
    assert_eq!(r.body["response"], json!({"object": "external_account", "id": acct_id, "deleted": true}), "{:?}", r.body);
    assert_eq!(a.me().await["external_accounts"], json!([]));
    t.server.stop().await;
}
