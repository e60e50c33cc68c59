//! Request extractors with Clerk-style errors (axum's own rejections are plain text).

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::errors::ApiError;
use crate::util::sha256_hex;

/// Request bodies larger than this are refused with 413.
pub const BODY_LIMIT: usize = 64 * 1024;

/// A request body: `application/x-www-form-urlencoded` (clerk-js; also assumed when there is
/// no Content-Type) or JSON (the backend SDKs). An empty body counts as no fields at all,
/// whatever the Content-Type says: @clerk/backend sends `Content-Type: application/json` on
/// body-less POSTs. Any other Content-Type with a body is a 415, rather than a body read as
/// no fields. Unknown fields are ignored.
pub struct Input<T>(pub T);

enum BodyKind {
    Form,
    Json,
    Unsupported(String),
}

/// The body's kind from its Content-Type (parameters such as `charset` are ignored).
fn body_kind(content_type: Option<&str>) -> BodyKind {
    let Some(ct) = content_type else { return BodyKind::Form };
    let essence = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => BodyKind::Json,
        "application/x-www-form-urlencoded" => BodyKind::Form,
        _ => BodyKind::Unsupported(essence),
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Input<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let kind = match req.headers().get(header::CONTENT_TYPE) {
            None => BodyKind::Form,
            Some(v) => body_kind(Some(v.to_str().unwrap_or("(not ASCII)"))),
        };
        // Bodies declared too large were refused by the RequestBodyLimit layer; a streamed one
        // fails here when it goes past the limit.
        let bytes = axum::body::to_bytes(req.into_body(), BODY_LIMIT).await.map_err(|_| ApiError::body_too_large(BODY_LIMIT))?;
        let malformed = |what: &str, e: &dyn std::fmt::Display| {
            ApiError::bad_request("malformed_request_body", format!("Malformed {what} body"))
                .long(format!("The request body could not be parsed as {what}: {e}"))
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return serde_json::from_str("{}").map(Input).map_err(|e| malformed("form", &e));
        }
        match kind {
            BodyKind::Json => serde_json::from_slice(&bytes).map(Input).map_err(|e| malformed("JSON", &e)),
            BodyKind::Form => {
                check_urlencoded(&bytes).map_err(|e| malformed("form", &e))?;
                serde_urlencoded::from_bytes(&bytes).map(Input).map_err(|e| malformed("form", &e))
            }
            BodyKind::Unsupported(ct) => Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_content_type",
                format!("Unsupported Content-Type `{ct}`"),
            )
            .long("Request bodies must be `application/x-www-form-urlencoded` or `application/json`.")),
        }
    }
}

/// The form parser is lenient (bad escapes and invalid UTF-8 become U+FFFD); a body that is not
/// exactly well-formed is rejected instead of being half-understood.
pub(crate) fn check_urlencoded(body: &[u8]) -> Result<(), String> {
    for pair in body.split(|b| *b == b'&') {
        let mut decoded = Vec::with_capacity(pair.len());
        let mut i = 0;
        while i < pair.len() {
            match pair[i] {
                b'%' => {
                    let hex = pair.get(i + 1..i + 3).ok_or("truncated percent escape")?;
                    let s = std::str::from_utf8(hex).map_err(|_| "bad percent escape")?;
                    decoded.push(u8::from_str_radix(s, 16).map_err(|_| format!("bad percent escape %{s}"))?);
                    i += 3;
                }
                b => {
                    decoded.push(b);
                    i += 1;
                }
            }
        }
        std::str::from_utf8(&decoded).map_err(|_| "invalid UTF-8 in form field")?;
    }
    Ok(())
}

/// Query parameters as a map, leniently parsed (clerk-js adds several we ignore).
pub struct Params(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Params(parts.uri.query().map(|q| crate::form_pairs(q).collect()).unwrap_or_default()))
    }
}

/// Who is calling the Frontend API: the `__client` cookie and/or the dev-browser token
/// (`__clerk_db_jwt` query parameter), plus the Origin (the token's `azp`).
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub cookie_hash: Option<String>,
    pub dev_browser_hash: Option<String>,
    pub origin: Option<String>,
    /// The peer's IP address (from `ConnectInfo`; absent if the app is served without it).
    pub ip: Option<std::net::IpAddr>,
    /// The server clock when the request arrived (see [`crate::clock`]), in ms.
    pub now: i64,
    /// The browser's User-Agent, kept on its client for the sessions' `latest_activity`.
    pub user_agent: Option<String>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let cookie = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == "__client")
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        let db = parts.uri.query().and_then(|q| crate::form_pairs(q).find(|(k, _)| k == "__clerk_db_jwt").map(|(_, v)| v));
        let origin =
            parts.headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()).filter(|o| !o.is_empty() && *o != "null").map(str::to_owned);
        // The socket's address, never X-Forwarded-For: that header is the client's to forge.
        let ip = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        Ok(Caller {
            cookie_hash: cookie.as_deref().map(sha256_hex),
            dev_browser_hash: db.filter(|v| !v.is_empty()).as_deref().map(sha256_hex),
            origin,
            ip,
            now: state.clock.now_ms(),
            // Capped: it is stored, and nothing needs more than a few hundred bytes of it.
            user_agent: parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(|v| v.chars().take(512).collect()),
        })
    }
}
