//! Helpers of the account tests (`account*.rs`): a fresh signed-in user, `/v1/me` requests as
//! clerk-js sends them (`?_method=`, `_clerk_session_id`), and error checks.

use serde_json::{Value, json};

use super::{Browser, PASSWORD, Resp, TestServer};

/// A user made through the Backend API (verified email, the demo password), and a browser
/// signed in as them.
pub struct Account {
    pub browser: Browser,
    pub sid: String,
    pub user_id: String,
    pub email: String,
}

impl Account {
    pub async fn new(t: &TestServer, email: &str) -> Self {
        let r = t.bapi().post("/v1/users", Some(json!({"email_address": [email], "password": PASSWORD}))).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let user_id = r.body["id"].as_str().unwrap().to_owned();
        let browser = t.browser();
        let sid = browser.sign_in(email).await;
        Account { browser, sid, user_id, email: email.to_owned() }
    }

    /// `path` with this session's `_clerk_session_id` (and `_method` when not GET/POST).
    pub fn path(&self, path: &str, method: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        let m = if matches!(method, "GET" | "POST") { String::new() } else { format!("&_method={method}") };
        format!("{path}{sep}_clerk_session_id={}{m}", self.sid)
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.browser.get(&self.path(path, "GET")).await
    }

    pub async fn send(&self, method: &str, path: &str, form: &[(&str, &str)]) -> Resp {
        self.browser.post(&self.path(path, method), form).await
    }

    /// `GET /v1/me`'s user.
    pub async fn me(&self) -> Value {
        let r = self.get("/v1/me").await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        r.body["response"].clone()
    }
}

/// A Clerk error: status, code and `meta.param_name` (`None`: no parameter named).
pub fn assert_refused(r: &Resp, status: u16, code: &str, param: Option<&str>) {
    super::lifecycle::assert_error(r, status, code);
    assert_eq!(r.body["errors"][0]["meta"]["param_name"].as_str(), param, "{:?}", r.body);
}

pub async fn latest_sms(t: &TestServer, phone: &str) -> String {
    let v: Value =
        reqwest::get(t.url(&format!("/__dev/sms?to={}", super::lifecycle::urlencode(phone)))).await.unwrap().json().await.unwrap();
    v["latest_code"].as_str().expect("an SMS code was sent").to_owned()
}

/// A code that is not `code` (a wrong guess).
pub fn wrong(code: &str) -> String {
    let first = if code.starts_with('0') { '1' } else { '0' };
    format!("{first}{}", &code[1..])
}
