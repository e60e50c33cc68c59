//! Helpers for the conformance tests (issue 16): the development clock, stored state, strict
//! error checks, and where a session's state shows.

use clerk_server::errors::ApiError;
use clerk_server::store::{Done, Session, TxOutcome};
use serde_json::{Value, json};

use super::*;

pub const DAY_MS: i64 = 24 * 3600 * 1000;

/// Moves the server's clock `ms` on; returns the server's new "now".
pub async fn advance(t: &TestServer, ms: i64) -> i64 {
    let r = into_resp(reqwest::Client::new().post(t.url(&format!("/__dev/clock?advance_ms={ms}"))).send().await.unwrap()).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(r.body["offset_ms"].as_i64().unwrap() >= ms);
    r.body["now"].as_i64().unwrap()
}

pub async fn server_now(t: &TestServer) -> i64 {
    reqwest::get(t.url("/__dev/clock")).await.unwrap().json::<Value>().await.unwrap()["now"].as_i64().unwrap()
}

/// The session as stored (what the sweeper wrote), bypassing every computed status.
pub fn stored(t: &TestServer, id: &str) -> Session {
    let id = id.to_owned();
    // On a plain thread, as the server runs its transactions: PostgreSQL's blocking client cannot
    // run on an async worker.
    let store = t.server.state.store.clone();
    std::thread::spawn(move || store.run(move |tx| -> TxOutcome<Session, ApiError> { Ok(Done(tx.session(&id)?.unwrap())) }).unwrap())
        .join()
        .unwrap()
}

/// A browser that does not follow redirects, so that a 307 and its `Location` can be read.
pub fn browser_no_redirects(t: &TestServer) -> Browser {
    let http = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    Browser { http, base: t.server.url(), origin: Some(ORIGIN.into()), extra_query: None }
}

pub fn session_in<'a>(client: &'a Value, id: &str) -> Option<&'a Value> {
    client["sessions"].as_array().unwrap().iter().find(|s| s["id"] == id)
}

pub fn assert_error(r: &Resp, status: u16, code: &str) {
    assert_eq!((r.status.as_u16(), r.code()), (status, code), "{:?}", r.body);
    assert_eq!(r.content_type, "application/json");
    let e = &r.body["errors"][0];
    assert!(e["message"].is_string() && e["long_message"].is_string() && e["meta"].is_object(), "{e}");
}

/// `status` in each place a session's state shows: FAPI session, FAPI client, BAPI session,
/// BAPI list filtered by that status; and no token on either API.
pub async fn assert_session_state(t: &TestServer, b: &Browser, sid: &str, status: &str, listed_on_client: bool) {
    let api = t.bapi();
    let r = b.get(&format!("/v1/client/sessions/{sid}")).await;
    assert_eq!((r.status.as_u16(), &r.body["response"]["status"]), (200, &json!(status)), "{:?}", r.body);
    let client = b.get("/v1/client").await.body["response"].clone();
    match session_in(&client, sid) {
        Some(s) => {
            assert!(listed_on_client, "{status}: listed on the client");
            assert_eq!(s["status"], status);
            assert_eq!(s["last_active_token"], Value::Null);
        }
        None => assert!(!listed_on_client, "{status}: not listed on the client"),
    }
    assert_ne!(client["last_active_session_id"], sid);
    assert_eq!(api.get(&format!("/v1/sessions/{sid}")).await.body["status"], status);
    let user = api.get(&format!("/v1/sessions/{sid}")).await.body["user_id"].as_str().unwrap().to_owned();
    let listed = api.get(&format!("/v1/sessions?user_id={user}&status={status}&limit=500")).await;
    assert!(listed.body.as_array().unwrap().iter().any(|s| s["id"] == sid), "{status}: BAPI status filter");
    for path in ["tokens", "tokens/demo", "touch"] {
        let r = b.post(&format!("/v1/client/sessions/{sid}/{path}"), &[]).await;
        assert_error(&r, 401, "session_not_active");
    }
    for path in ["tokens", "tokens/demo"] {
        assert_error(&api.post(&format!("/v1/sessions/{sid}/{path}"), None).await, 401, "session_not_active");
    }
}

/// `s` percent-encoded for a query string.
pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).unwrap()[1..].to_owned()
}
