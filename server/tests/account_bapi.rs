//! Issue 20's Backend API half over real HTTP: `@clerk/backend`'s `users.updateUser`,
//! `updateUserMetadata` / `replaceUserMetadata`, `deleteUser`, `getUserList` with its filters
//! and `getCount`, with the account's checks and codes.

mod common;

use common::account::{Account, assert_refused};
use common::*;
use serde_json::{Value, json};

async fn send(t: &TestServer, method: reqwest::Method, path: &str, body: Value) -> Resp {
    let r = t.bapi().http.request(method, t.url(path)).bearer_auth(t.sk()).json(&body).send().await.unwrap();
    into_resp(r).await
}

async fn new_user(t: &TestServer, body: Value) -> Value {
    let r = t.bapi().post("/v1/users", Some(body)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap_or("").to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_user_checks_every_field_and_a_refusal_changes_nothing() {
    let t = TestServer::start().await;
    let a = Account::new(&t, "managed@example.com").await;
    let path = format!("/v1/users/{}", a.user_id);
    let r = send(
        &t,
        reqwest::Method::PATCH,
        &path,
        json!({"first_name": "Grace", "last_name": "Hopper", "username": "grace_h",
        "public_metadata": {"plan": "pro"}, "private_metadata": {"stripe": "cus_1"}, "create_organizations_limit": 3}),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!((r.body["first_name"].as_str(), r.body["username"].as_str()), (Some("Grace"), Some("grace_h")));
    assert_eq!(
        (r.body["public_metadata"].clone(), r.body["private_metadata"].clone()),
        (json!({"plan": "pro"}), json!({"stripe": "cus_1"}))
    );
    assert_eq!(r.body["create_organizations_limit"], 3);
    let me = a.me().await;
    assert_eq!((me["first_name"].as_str(), me["public_metadata"].clone()), (Some("Grace"), json!({"plan": "pro"})));
    assert!(me.get("private_metadata").is_none());

    new_user(&t, json!({"email_address": ["holder@example.com"], "username": "held_name", "password": PASSWORD})).await;
    let long = "y".repeat(300);
    let cases = [
        (json!({"first_name": long}), 422, "form_param_max_length_exceeded", Some("first_name")),
        (json!({"last_name": "Ok", "username": "held_name"}), 422, "form_identifier_exists", Some("username")),
        (json!({"username": "x"}), 422, "form_username_invalid_length", Some("username")),
        (json!({"password": "short"}), 422, "form_password_length_too_short", Some("password")),
        (json!({"primary_email_address_id": "idn_missing"}), 422, "form_resource_not_found", Some("primary_email_address_id")),
        (json!({"public_metadata": [1]}), 422, "form_param_format_invalid", Some("public_metadata")),
        (json!({"totp_secret": "not base32!"}), 422, "form_param_value_invalid", Some("totp_secret")),
    ];
    for (body, status, code, param) in cases {
        assert_refused(&send(&t, reqwest::Method::PATCH, &path, body).await, status, code, param);
    }
    let now = t.bapi().get(&path).await.body;
    assert_eq!(
        (now["first_name"].as_str(), now["last_name"].as_str(), now["username"].as_str()),
        (Some("Grace"), Some("Hopper"), Some("grace_h"))
    );
    assert_refused(
        &send(&t, reqwest::Method::PATCH, "/v1/users/user_missing", json!({"first_name": "X"})).await,
        404,
        "resource_not_found",
        None,
    );

    // A new password signs in, and can sign the user out everywhere.
    let r = send(&t, reqwest::Method::PATCH, &path, json!({"password": "brand-new-pass", "sign_out_of_other_sessions": true})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_refused(&a.browser.post(&format!("/v1/client/sessions/{}/tokens", a.sid), &[]).await, 401, "session_not_active", None);
    let r = t.browser().post("/v1/client/sign_ins", &[("identifier", "managed@example.com"), ("password", "brand-new-pass")]).await;
    assert_eq!(r.body["response"]["status"], "complete", "{:?}", r.body);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_is_merged_by_patch_and_replaced_by_put() {
    let t = TestServer::start().await;
    let u = new_user(&t, json!({"email_address": ["md@example.com"], "password": PASSWORD})).await;
    let made =
        new_user(&t, json!({"email_address": ["made@example.com"], "public_metadata": {"p": 1}, "private_metadata": {"s": 2}})).await;
    assert_eq!((made["public_metadata"].clone(), made["private_metadata"].clone()), (json!({"p": 1}), json!({"s": 2})));
    let r = t.bapi().post("/v1/users", Some(json!({"email_address": ["bad-md@example.com"], "unsafe_metadata": "nope"}))).await;
    assert_refused(&r, 422, "form_param_format_invalid", Some("unsafe_metadata"));
    let path = format!("/v1/users/{}/metadata", u["id"].as_str().unwrap());
    let r = send(
        &t,
        reqwest::Method::PATCH,
        &path,
        json!({"public_metadata": {"a": 1, "n": {"x": 1, "y": 2}}, "unsafe_metadata": {"u": true}}),
    )
    .await;
    assert_eq!(r.body["public_metadata"], json!({"a": 1, "n": {"x": 1, "y": 2}}), "{:?}", r.body);
    let r = send(&t, reqwest::Method::PATCH, &path, json!({"public_metadata": {"n": {"x": null, "z": 3}}})).await;
    assert_eq!(r.body["public_metadata"], json!({"a": 1, "n": {"y": 2, "z": 3}}));
    assert_eq!(r.body["unsafe_metadata"], json!({"u": true}), "objects not given are left alone");
    let r = send(&t, reqwest::Method::PUT, &path, json!({"public_metadata": {"only": "this"}})).await;
    assert_eq!((r.body["public_metadata"].clone(), r.body["unsafe_metadata"].clone()), (json!({"only": "this"}), json!({"u": true})));
    assert_refused(
        &send(&t, reqwest::Method::PATCH, &path, json!({"private_metadata": "text"})).await,
        422,
        "form_param_format_invalid",
        Some("private_metadata"),
    );
    assert_refused(&send(&t, reqwest::Method::PUT, "/v1/users/user_missing/metadata", json!({})).await, 404, "resource_not_found", None);
    t.server.stop().await;
}

async fn list(t: &TestServer, q: &str) -> Value {
    let r = t.bapi().get(&format!("/v1/users?{q}")).await;
    assert_eq!(r.status, 200, "{q}: {:?}", r.body);
    r.body
}

async fn count(t: &TestServer, q: &str) -> Value {
    t.bapi().get(&format!("/v1/users/count?{q}")).await.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_user_list_filters_orders_pages_and_counts() {
    let t = TestServer::start().await;
    for (email, username, first, phone) in [
        ("zoe@example.com", "zoe_z", "Zoe", "+12015550101"),
        ("adam@example.com", "adam_a", "Adam", "+12015550102"),
        ("mia@example.org", "mia_m", "Mia", "+12015550103"),
    ] {
        new_user(
            &t,
            json!({"email_address": [email], "username": username, "first_name": first, "phone_number": [phone], "password": PASSWORD}),
        )
        .await;
    }
    // The seed's alice and bob come first in creation order; these three are newest.
    assert_eq!(ids(&list(&t, "limit=3").await), vec!["mia_m", "adam_a", "zoe_z"]);
    assert_eq!(ids(&list(&t, "order_by=%2Busername&limit=2&offset=1").await), vec!["alice", "bob"]);
    assert_eq!(ids(&list(&t, "order_by=-first_name&limit=2").await), vec!["zoe_z", "mia_m"]);
    assert_eq!(
        ids(&list(&t, "email_address=ADAM%40example.com&email_address=mia%40example.org&order_by=%2Bcreated_at").await),
        vec!["adam_a", "mia_m"]
    );
    assert_eq!(ids(&list(&t, "username=zoe_z").await), vec!["zoe_z"]);
    assert_eq!(ids(&list(&t, "phone_number=%2B1%20201%20555%200102").await), vec!["adam_a"]);
    assert_eq!(ids(&list(&t, "query=example.org").await), vec!["mia_m"]);
    assert_eq!(ids(&list(&t, "query=ZOE_").await), vec!["zoe_z"]);
    assert_eq!(list(&t, "email_address=nobody%40example.com").await, json!([]));
    assert_eq!(count(&t, "").await, json!({"object": "total_count", "total_count": 5}));
    assert_eq!(count(&t, "query=example.com").await["total_count"], 4);
    let r = t.bapi().get("/v1/users?order_by=shoe_size").await;
    assert_refused(&r, 422, "form_param_value_invalid", Some("order_by"));
    assert_refused(&t.bapi().get("/v1/users?limit=0").await, 422, "form_param_value_invalid", Some("limit"));
    let zoe = list(&t, "username=zoe_z").await[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(ids(&list(&t, &format!("user_id={zoe}")).await), vec!["zoe_z"]);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_user_removes_the_user_and_their_sessions() {
    let t = TestServer::start().await;
    let a = Account::new(&t, "deleted@example.com").await;
    let path = format!("/v1/users/{}", a.user_id);
    let r = send(&t, reqwest::Method::DELETE, &path, json!({})).await;
    assert_eq!(r.body, json!({"object": "user", "id": a.user_id, "deleted": true}), "{:?}", r.body);
    assert_refused(&t.bapi().get(&path).await, 404, "resource_not_found", None);
    assert_refused(&send(&t, reqwest::Method::DELETE, &path, json!({})).await, 404, "resource_not_found", None);
    assert_refused(&t.bapi().post(&format!("/v1/sessions/{}/tokens", a.sid), None).await, 401, "session_not_active", None);
    let client = a.browser.get("/v1/client").await.body;
    assert_eq!(client["response"]["sessions"], json!([]));
    assert_eq!(t.bapi().get("/v1/users?email_address=deleted%40example.com").await.body, json!([]));
    t.server.stop().await;
}
