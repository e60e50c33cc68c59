//! Helpers of the organization tests (`organizations.rs`, `org_invitations.rs`,
//! `org_domains.rs`, `org_bapi.rs`): users made through the Backend API, signed in on their own
//! browser, and the Frontend API's tunnelled methods as clerk-js sends them.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Bapi, Browser, PASSWORD, Resp, TestServer, into_resp};

/// A user with a verified `email` and the demo password, made through the Backend API.
pub async fn new_user(t: &TestServer, email: &str) -> String {
    let r = t.bapi().post("/v1/users", Some(json!({"email_address": [email], "password": PASSWORD}))).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

/// A browser signed in as `email` (password), and its session id.
pub async fn signed_in(t: &TestServer, email: &str) -> (Browser, String) {
    let b = t.browser();
    let sid = b.sign_in(email).await;
    (b, sid)
}

/// clerk-js's `PATCH`/`DELETE`/`PUT`: a POST with `_method`.
pub async fn tunnelled(b: &Browser, method: &str, path: &str, form: &[(&str, &str)]) -> Resp {
    let sep = if path.contains('?') { '&' } else { '?' };
    b.post(&format!("{path}{sep}_method={method}"), form).await
}

/// `clerk.createOrganization({name, slug})`; asserts success and returns the organization.
pub async fn create_org(b: &Browser, name: &str, slug: &str) -> Value {
    let r = b.post("/v1/organizations", &[("name", name), ("slug", slug)]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["response"].clone()
}

/// The answer's single error: `(status, code, meta.param_name)`.
pub fn error(r: &Resp) -> (u16, String, Option<String>) {
    let e = &r.body["errors"][0];
    (r.status.as_u16(), e["code"].as_str().unwrap_or("").to_owned(), e["meta"]["param_name"].as_str().map(str::to_owned))
}

/// A Backend API request with any method and a JSON body.
pub async fn bapi_send(api: &Bapi, method: Method, path: &str, body: Option<Value>) -> Resp {
    let mut rb = api.http.request(method, format!("{}{path}", api.base)).bearer_auth(&api.key);
    if let Some(b) = body {
        rb = rb.header("content-type", "application/json").body(serde_json::to_vec(&b).unwrap());
    }
    into_resp(rb.send().await.unwrap()).await
}

/// The claims of a fresh session token of `sid`.
pub async fn claims(b: &Browser, sid: &str) -> Value {
    super::jwt_part(&b.token(sid, &[]).await, 1)
}
