//! Production instances: the Frontend API keeps the `__client_uat` cookie, as Clerk's does
//! (clerk-js writes it itself only on development instances; docs/dropin.md (b)). It tells the
//! app's server, through `@clerk/backend`, when the client last signed in or out, so a session
//! token older than that is not trusted. Without it, the first request after a sign-in would
//! take a handshake.
//!
//! A response layer on the Frontend API routes: every JSON answer that carries the client
//! (`{response, client}`, or `GET /v1/client`'s `{response: client}`) sets it to the client's
//! `updated_at` in seconds while the client has signed-in sessions, else to `0`. The cookie is
//! for this server's host (Domain = the host for localhost/127.0.0.1/0.0.0.0, like the
//! handshake's directives), where the app's pages live too in local setups.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::AppState;
use crate::handshake::{CookieTarget, client_uat_cookies, cookie_suffix};

/// Frontend API answers are a few KiB; a body that may be larger is passed through untouched.
const MAX_INSPECTED: usize = 1024 * 1024;

/// The value `__client_uat` should hold after a response with this body, if it names a client.
fn client_uat(body: &Value) -> Option<String> {
    let client = [&body["client"], &body["response"]].into_iter().find(|c| c["object"] == "client")?;
    // Ended, revoked and replaced sessions stay listed on the client: only an active or pending
    // one makes it signed in.
    let signed_in = client["sessions"].as_array().is_some_and(|s| s.iter().any(|s| s["status"] == "active" || s["status"] == "pending"));
    let updated_at = client["updated_at"].as_i64()?;
    Some(if signed_in { (updated_at / 1000).to_string() } else { "0".to_owned() })
}

pub async fn set_client_uat(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let is_json = resp.headers().get(header::CONTENT_TYPE).is_some_and(|v| v == "application/json");
    if !st.config.production || !is_json {
        return resp;
    }
    // Only bodies known to be small are read (Frontend API answers are); others pass as they are.
    let small = http_body::Body::size_hint(resp.body()).upper().is_some_and(|n| n <= MAX_INSPECTED as u64);
    if !small {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let bytes = match to_bytes(body, MAX_INSPECTED).await {
        Ok(b) => b,
        Err(e) => {
            return crate::errors::ApiError::internal(format!("reading the response: {e}")).into_response();
        }
    };
    let value = serde_json::from_slice::<Value>(&bytes).ok().as_ref().and_then(client_uat);
    if let Some(value) = value
        && let Ok(issuer) = url::Url::parse(&st.issuer)
    {
        let target = CookieTarget::new(&issuer, Some(cookie_suffix(&st.publishable_key)));
        for c in client_uat_cookies(&value, &target, true) {
            if let Ok(v) = HeaderValue::from_str(&c) {
                parts.headers.append(header::SET_COOKIE, v);
            }
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_value_follows_the_client_in_either_envelope() {
        let signed_in = json!({"object": "client", "sessions": [{"status": "active"}], "updated_at": 1_700_000_000_999_i64});
        let signed_out = json!({"object": "client", "sessions": [{"status": "ended"}], "updated_at": 1_700_000_000_999_i64});
        assert_eq!(client_uat(&json!({"response": {}, "client": signed_in})).as_deref(), Some("1700000000"));
        assert_eq!(client_uat(&json!({"response": signed_out, "client": null})).as_deref(), Some("0"));
        assert_eq!(client_uat(&json!({"object": "token", "jwt": "x"})), None);
        assert_eq!(client_uat(&json!({"response": null, "client": null})), None);
    }
}
