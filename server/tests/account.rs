//! Issue 20, the user's own account over real HTTP, as clerk-js sends it (`/v1/me`,
//! `?_method=`, `_clerk_session_id`): profile updates and metadata, passwords, deleting the
//! account, the devices list and revoking, TOTP enrolment, profile images, passkeys; each bad
//! input with Clerk's code and `meta.param_name`, and a refused request changes nothing.

mod common;

/// A refused form: its fields, the error code, and the `meta.param_name`.
type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, Option<&'a str>);

use common::account::{Account, assert_refused, wrong};
use common::*;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_updates_are_checked_and_a_refused_one_changes_nothing() {
    let t = TestServer::start().await;
    let a = Account::new(&t, "ada@example.com").await;
    let me = a.me().await;
    for (key, want) in [
        ("create_organization_enabled", json!(true)),
        ("create_organizations_limit", Value::Null),
        ("delete_self_enabled", json!(true)),
        ("password_enabled", json!(true)),
        ("two_factor_enabled", json!(false)),
        ("totp_enabled", json!(false)),
        ("backup_code_enabled", json!(false)),
        ("has_image", json!(false)),
        ("unsafe_metadata", json!({})),
        ("public_metadata", json!({})),
    ] {
        assert_eq!(me[key], want, "{key}");
    }
    assert!(me.get("private_metadata").is_none(), "the Frontend API never shows private metadata");

    let r = a.send("PATCH", "/v1/me", &[("first_name", "Ada"), ("last_name", "Lovelace"), ("username", "ada_l")]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!((r.body["response"]["first_name"].as_str(), r.body["response"]["username"].as_str()), (Some("Ada"), Some("ada_l")));
    let on_client = &r.body["client"]["sessions"][0]["user"];
    assert_eq!(on_client["last_name"], "Lovelace", "the envelope's client shows the change");
    let bapi = t.bapi().get(&format!("/v1/users/{}", a.user_id)).await;
    assert_eq!(bapi.body["first_name"], "Ada");

    let long = "x".repeat(257);
    t.bapi().post("/v1/users", Some(json!({"email_address": ["taken@example.com"], "username": "taken_name", "password": PASSWORD}))).await;
    let cases: &[Case] = &[
        (&[("first_name", "Ok"), ("last_name", &long)], "form_param_max_length_exceeded", Some("last_name")),
        (&[("first_name", &long)], "form_param_max_length_exceeded", Some("first_name")),
        (&[("username", "ab")], "form_username_invalid_length", Some("username")),
        (&[("username", "has space")], "form_username_invalid_character", Some("username")),
        (&[("username", "123456")], "form_username_needs_non_number_char", Some("username")),
        (&[("first_name", "Changed"), ("username", "taken_name")], "form_identifier_exists", Some("username")),
        (&[("primary_email_address_id", "idn_nope")], "form_resource_not_found", Some("primary_email_address_id")),
        (&[("primary_phone_number_id", "idn_nope")], "form_resource_not_found", Some("primary_phone_number_id")),
        (&[("unsafe_metadata", "[1, 2]")], "form_param_format_invalid", Some("unsafe_metadata")),
        (&[("unsafe_metadata", "{not json")], "form_param_format_invalid", Some("unsafe_metadata")),
    ];
    for (form, code, param) in cases {
        let r = a.send("PATCH", "/v1/me", form).await;
        assert_refused(&r, 422, code, *param);
    }
    let me = a.me().await;
    assert_eq!(
        (me["first_name"].as_str(), me["last_name"].as_str(), me["username"].as_str()),
        (Some("Ada"), Some("Lovelace"), Some("ada_l"))
    );

    // An unverified address cannot become primary.
    let r = a.send("POST", "/v1/me/email_addresses", &[("email_address", "second@example.com")]).await;
    let unverified = r.body["response"]["id"].as_str().unwrap().to_owned();
    let r = a.send("PATCH", "/v1/me", &[("primary_email_address_id", &unverified)]).await;
    assert_refused(&r, 422, "form_verification_needed", Some("primary_email_address_id"));
    // Another user's address is not found either.
    let bobs = t.bapi().get(&format!("/v1/users/{}", t.seeded.bob_id)).await.body["primary_email_address_id"].as_str().unwrap().to_owned();
    let r = a.send("PATCH", "/v1/me", &[("primary_email_address_id", &bobs)]).await;
    assert_refused(&r, 422, "form_resource_not_found", Some("primary_email_address_id"));

    // An empty name or username removes it.
    let r = a.send("PATCH", "/v1/me", &[("last_name", ""), ("username", "")]).await;
    assert!(r.body["response"]["last_name"].is_null() && r.body["response"]["username"].is_null(), "{:?}", r.body);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsafe_metadata_is_replaced_by_update_and_merged_by_update_metadata() {
    let t = TestServer::start().await;
    let a = Account::new(&t, "meta@example.com").await;
    let r = a.send("PATCH", "/v1/me", &[("unsafe_metadata", r#"{"theme":"dark","nested":{"a":1,"b":2}}"#)]).await;
    assert_eq!(r.body["response"]["unsafe_metadata"], json!({"theme": "dark", "nested": {"a": 1, "b": 2}}));
    let r = a.send("PATCH", "/v1/me/metadata", &[("unsafe_metadata", r#"{"nested":{"a":null,"c":3},"lang":"fr"}"#)]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["response"]["unsafe_metadata"], json!({"theme": "dark", "nested": {"b": 2, "c": 3}, "lang": "fr"}));
    let r = a.send("PATCH", "/v1/me/metadata", &[]).await;
    assert_refused(&r, 422, "form_param_missing", Some("unsafe_metadata"));
    let big = format!(r#"{{"k":"{}"}}"#, "x".repeat(9000));
    let r = a.send("PATCH", "/v1/me/metadata", &[("unsafe_metadata", &big)]).await;
    assert_refused(&r, 422, "form_param_exceeds_allowed_size", Some("unsafe_metadata"));
    let bapi = t.bapi().get(&format!("/v1/users/{}", a.user_id)).await;
    assert_eq!(bapi.body["unsafe_metadata"], json!({"theme": "dark", "nested": {"b": 2, "c": 3}, "lang": "fr"}));
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_out_callers_get_401_signed_out() {
    let t = TestServer::start().await;
    let b = t.browser();
    for (path, form) in [("/v1/me", vec![]), ("/v1/me?_method=PATCH", vec![("first_name", "X")]), ("/v1/me/totp", vec![])] {
        let r = if form.is_empty() && path == "/v1/me" { b.get(path).await } else { b.post(path, &form).await };
        assert_refused(&r, 401, "signed_out", None);
    }
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_are_changed_with_the_current_one_and_can_sign_out_other_devices() {
    let t = TestServer::start().await;
    let a = Account::new(&t, "pw@example.com").await;
    let other = t.browser();
    let other_sid = other.sign_in("pw@example.com").await;

    let cases: &[Case] = &[
        (&[("current_password", PASSWORD)], "form_param_missing", Some("new_password")),
        (&[("new_password", "new-password-2")], "form_param_missing", Some("current_password")),
        (&[("current_password", PASSWORD), ("new_password", "short")], "form_password_length_too_short", Some("new_password")),
        (&[("current_password", PASSWORD), ("new_password", PASSWORD)], "form_new_password_matches_current", Some("new_password")),
        (
            &[("current_password", PASSWORD), ("new_password", "new-password-2"), ("sign_out_of_other_sessions", "maybe")],
            "form_param_value_invalid",
            Some("sign_out_of_other_sessions"),
        ),
    ];
    for (form, code, param) in cases {
        assert_refused(&a.send("POST", "/v1/me/change_password", form).await, 422, code, *param);
    }
    let r = a.send("POST", "/v1/me/change_password", &[("current_password", "wrong-password"), ("new_password", "new-password-2")]).await;
    assert_refused(&r, 422, "form_password_incorrect", Some("current_password"));
    // Nothing changed: the old password still signs in.
    t.browser().sign_in("pw@example.com").await;

    let r = a
        .send(
            "POST",
            "/v1/me/change_password",
            &[("current_password", PASSWORD), ("new_password", "new-password-2"), ("sign_out_of_other_sessions", "true")],
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["response"]["password_enabled"], true);
    let r = other.post(&format!("/v1/client/sessions/{other_sid}/tokens"), &[]).await;
    assert_refused(&r, 401, "session_not_active", None);
    a.browser.token(&a.sid, &[]).await;
    let b = t.browser();
    let r = b.post("/v1/client/sign_ins", &[("identifier", "pw@example.com"), ("password", "new-password-2")]).await;
    assert_eq!(r.body["response"]["status"], "complete", "{:?}", r.body);
    let r = t.browser().post("/v1/client/sign_ins", &[("identifier", "pw@example.com"), ("password", PASSWORD)]).await;
    assert_refused(&r, 422, "form_password_incorrect", Some("password"));

    // Removing it needs it too; then the account has none.
    let r = a.send("POST", "/v1/me/remove_password", &[("current_password", PASSWORD)]).await;
    assert_refused(&r, 422, "form_password_incorrect", Some("current_password"));
    let r = a.send("POST", "/v1/me/remove_password", &[("current_password", "new-password-2")]).await;
    assert_eq!((r.status.as_u16(), &r.body["response"]["password_enabled"]), (200, &json!(false)), "{:?}", r.body);
    let r = a.send("POST", "/v1/me/remove_password", &[("current_password", "new-password-2")]).await;
    assert_refused(&r, 422, "no_password_set", Some("current_password"));
    // A user without a password sets one without a current one.
    let r = a.send("POST", "/v1/me/change_password", &[("new_password", "third-password")]).await;
    assert_eq!(r.body["response"]["password_enabled"], true, "{:?}", r.body);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_account_signs_it_out_everywhere() {
    let t = TestServer::start().await;
    let a = Account::new(&t, "gone@example.com").await;
    let other = t.browser();
    let other_sid = other.sign_in("gone@example.com").await;
    let r = a.send("DELETE", "/v1/me", &[]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["response"], json!({"object": "user", "id": a.user_id, "deleted": true}));
    assert_eq!(r.body["client"]["sessions"], json!([]));
    assert!(r.body["client"]["last_active_session_id"].is_null());
    assert_eq!(t.bapi().get(&format!("/v1/users/{}", a.user_id)).await.status, 404);
    let r = other.post(&format!("/v1/client/sessions/{other_sid}/tokens"), &[]).await;
    assert_refused(&r, 401, "session_not_active", None);
    let r = t.browser().post("/v1/client/sign_ins", &[("identifier", "gone@example.com")]).await;
    assert_refused(&r, 422, "form_identifier_not_found", Some("identifier"));
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_the_app_forbids_to_delete_themselves_is_refused() {
    let t = TestServer::start().await;
    let a = Account::new(&t, "keep@example.com").await;
    let r = t
        .bapi()
        .http
        .patch(t.url(&format!("/v1/users/{}", a.user_id)))
        .bearer_auth(t.sk())
        .json(&json!({"delete_self_enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(a.me().await["delete_self_enabled"], false);
    assert_refused(&a.send("DELETE", "/v1/me", &[]).await, 403, "user_delete_self_not_enabled", None);
    assert_eq!(t.bapi().get(&format!("/v1/users/{}", a.user_id)).await.status, 200);
    t.server.stop().await;
}

fn chrome(t: &TestServer) -> Browser {
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .user_agent("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
        .build()
        .unwrap();
    Browser { http, base: t.server.url(), origin: Some(ORIGIN.into()), extra_query: None }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_devices_list_shows_each_session_and_a_revoked_one_mints_nothing() {
    let t = TestServer::start().await;
    let mut a = Account::new(&t, "devices@example.com").await;
    let laptop = chrome(&t);
    let laptop_sid = laptop.sign_in("devices@example.com").await;
    a.browser = chrome(&t);
    a.sid = a.browser.sign_in("devices@example.com").await;

    let r = a.get("/v1/me/sessions/active").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let list = r.body.as_array().expect("a bare array, as clerk-js reads it").clone();
    assert_eq!(list.len(), 3, "{list:?}");
    let laptop_entry = list.iter().find(|s| s["id"] == laptop_sid.as_str()).unwrap();
    let act = &laptop_entry["latest_activity"];
    assert_eq!(
        (act["object"].as_str(), act["browser_name"].as_str(), act["browser_version"].as_str()),
        (Some("session_activity"), Some("Chrome"), Some("131.0.0.0"))
    );
    assert_eq!(
        (act["device_type"].as_str(), act["is_mobile"].as_bool(), act["ip_address"].as_str()),
        (Some("Linux"), Some(false), Some("127.0.0.1"))
    );
    assert!(act["city"].is_null() && act["country"].is_null() && laptop_entry["user"].is_null());
    assert_eq!(laptop_entry["status"], "active");

    // Another user's session is not found; the user's own on another client is revoked.
    let bob = t.browser();
    let bob_sid = bob.sign_in("bob@example.com").await;
    assert_refused(&a.send("POST", &format!("/v1/me/sessions/{bob_sid}/revoke"), &[]).await, 404, "resource_not_found", None);
    bob.token(&bob_sid, &[]).await;
    let r = a.send("POST", &format!("/v1/me/sessions/{laptop_sid}/revoke"), &[]).await;
    assert_eq!((r.status.as_u16(), r.body["response"]["status"].as_str()), (200, Some("revoked")), "{:?}", r.body);
    let r = laptop.post(&format!("/v1/client/sessions/{laptop_sid}/tokens"), &[]).await;
    assert_refused(&r, 401, "session_not_active", None);
    let r = t.bapi().post(&format!("/v1/sessions/{laptop_sid}/tokens"), None).await;
    assert_refused(&r, 401, "session_not_active", None);
    let list = a.get("/v1/me/sessions/active").await.body;
    assert_eq!(list.as_array().unwrap().len(), 2);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authenticator_app_is_enrolled_with_a_code_and_then_asked_for_at_sign_in() {
    let t = TestServer::start().await;
    let a = Account::new(&t, "totp@example.com").await;
    let r = a.send("POST", "/v1/me/totp", &[]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let totp = r.body["response"].clone();
    assert_eq!((totp["object"].as_str(), totp["verified"].as_bool()), (Some("totp"), Some(false)));
    let secret = totp["secret"].as_str().unwrap().to_owned();
    assert!(totp["uri"].as_str().unwrap().starts_with("otpauth://totp/clerk-server%3Atotp%40example.com?secret="), "{totp}");
    assert_eq!(a.me().await["totp_enabled"], false, "not before a code proves it");

    let code = clerk_server::util::totp_now(&secret).unwrap();
    assert_refused(&a.send("POST", "/v1/me/totp/attempt_verification", &[]).await, 422, "form_param_missing", Some("code"));
    let r = a.send("POST", "/v1/me/totp/attempt_verification", &[("code", &wrong(&code))]).await;
    assert_refused(&r, 422, "form_code_incorrect", Some("code"));
    let r = a.send("POST", "/v1/me/totp/attempt_verification", &[("code", &code)]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let done = &r.body["response"];
    assert_eq!((done["verified"].as_bool(), done["backup_codes"].as_array().map(Vec::len)), (Some(true), Some(10)), "{done}");
    assert!(done.get("secret").is_none());
    let me = &r.body["client"]["sessions"][0]["user"];
    assert_eq!(
        (me["totp_enabled"].as_bool(), me["two_factor_enabled"].as_bool(), me["backup_code_enabled"].as_bool()),
        (Some(true), Some(true), Some(true))
    );
    assert_refused(&a.send("POST", "/v1/me/totp", &[]).await, 422, "totp_already_enabled", None);

    // A sign-in now asks for the app's code (a code of the next step: this one was used).
    let b = t.browser();
    let r = b.post("/v1/client/sign_ins", &[("identifier", "totp@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(r.body["response"]["status"], "needs_second_factor", "{:?}", r.body);
    let si = r.body["response"]["id"].as_str().unwrap().to_owned();
    let next = clerk_server::util::totp_at(&secret, (clerk_server::util::now_ms() / 1000) as u64 + 30).unwrap();
    let r = b.post(&format!("/v1/client/sign_ins/{si}/attempt_second_factor"), &[("strategy", "totp"), ("code", &next)]).await;
    assert_eq!(r.body["response"]["status"], "complete", "{:?}", r.body);

    let r = a.send("DELETE", "/v1/me/totp", &[]).await;
    assert_eq!(r.body["response"], json!({"object": "totp", "deleted": true}), "{:?}", r.body);
    let me = a.me().await;
    assert_eq!(
        (me["totp_enabled"].as_bool(), me["two_factor_enabled"].as_bool(), me["backup_code_enabled"].as_bool()),
        (Some(false), Some(false), Some(false))
    );
    assert_refused(&a.send("DELETE", "/v1/me/totp", &[]).await, 404, "resource_not_found", None);
    let r = t.browser().post("/v1/client/sign_ins", &[("identifier", "totp@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(r.body["response"]["status"], "complete", "{:?}", r.body);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_enrolment_code_window_and_no_enrolment_are_refused() {
    let t = TestServer::start().await;
    let a = Account::new(&t, "nototp@example.com").await;
    let r = a.send("POST", "/v1/me/totp/attempt_verification", &[("code", "123456")]).await;
    assert_refused(&r, 422, "verification_missing", Some("code"));
    t.server.stop().await;
}

fn png(extra: usize) -> Vec<u8> {
    let mut b = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R'];
    b.resize(b.len() + extra, 0);
    b
}

async fn upload(a: &Account, bytes: Vec<u8>, mime: &str) -> Resp {
    // multipart/form-data as a browser's FormData sends it, with one `file` part.
    let boundary = "----clerk-server-test-boundary";
    let mut body =
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"me.png\"\r\nContent-Type: {mime}\r\n\r\n")
            .into_bytes();
    body.extend_from_slice(&bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    a.browser.post_raw(&a.path("/v1/me/profile_image", "POST"), &format!("multipart/form-data; boundary={boundary}"), body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_images_are_checked_stored_served_and_removed() {
    let t = TestServer::start().await;
    let a = Account::new(&t, "image@example.com").await;
    let r = upload(&a, b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec(), "image/png").await;
    assert_refused(&r, 422, "form_param_format_invalid", Some("file"));
    let r = upload(&a, png(10 * 1024 * 1024), "image/png").await;
    assert_refused(&r, 413, "image_too_large", Some("file"));
    assert_eq!(a.me().await["has_image"], false, "refused uploads change nothing");

    let r = upload(&a, png(100_000), "application/x-whatever").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let image = r.body["response"].clone();
    assert_eq!((image["object"].as_str(), image["name"].as_str()), (Some("image"), Some("me.png")));
    let url = image["public_url"].as_str().unwrap().to_owned();
    let user = &r.body["client"]["sessions"][0]["user"];
    assert_eq!((user["has_image"].as_bool(), user["image_url"].as_str()), (Some(true), Some(url.as_str())));
    let served = reqwest::get(&url).await.unwrap();
    assert_eq!(served.headers()["content-type"], "image/png", "the type is the content's, not the upload's claim");
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");
    assert_eq!(served.bytes().await.unwrap().to_vec(), png(100_000));

    // Raw bytes (clerk-js's string `file`): a data URL.
    use base64::Engine;
    let data_url = format!("data:image/gif;base64,{}", base64::engine::general_purpose::STANDARD.encode(b"GIF89a\x01\x00\x01\x00"));
    let r = a.browser.post_raw(&a.path("/v1/me/profile_image", "POST"), "application/octet-stream", data_url.into_bytes()).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let second = r.body["response"]["public_url"].as_str().unwrap().to_owned();
    assert_eq!(reqwest::get(&second).await.unwrap().headers()["content-type"], "image/gif");
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 404, "the replaced image is gone");
    assert_eq!(t.bapi().get(&format!("/v1/users/{}", a.user_id)).await.body["image_url"], second.as_str());

    let r = a.send("DELETE", "/v1/me/profile_image", &[]).await;
    assert_eq!((r.status.as_u16(), r.body["response"]["deleted"].as_bool()), (200, Some(true)), "{:?}", r.body);
    assert_eq!(
        (r.body["client"]["sessions"][0]["user"]["has_image"].as_bool(), r.body["client"]["sessions"][0]["user"]["image_url"].as_str()),
        (Some(false), Some(""))
    );
    assert_eq!(reqwest::get(&second).await.unwrap().status(), 404);
    assert_refused(&a.send("DELETE", "/v1/me/profile_image", &[]).await, 404, "image_not_found", None);
    // Other routes keep the small body limit.
    let r = a.browser.post_raw(&a.path("/v1/me", "PATCH"), "application/x-www-form-urlencoded", vec![b'a'; 200_000]).await;
    assert_eq!(r.status, 413);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_passkeys_are_not_found() {
    let t = TestServer::start().await;
    let a = Account::new(&t, "pk@example.com").await;
    assert_refused(&a.send("PATCH", "/v1/me/passkeys/pk_nope", &[("name", "Laptop")]).await, 404, "resource_not_found", None);
    assert_refused(&a.send("DELETE", "/v1/me/passkeys/pk_nope", &[]).await, 404, "resource_not_found", None);
    t.server.stop().await;
}
