//! `POST /v1/sessions/{id}/refresh`: a fresh session token without a handshake redirect.
//!
//! `@clerk/backend`'s `authenticateRequest` calls it (as `sessions.refreshSession`) on a GET
//! whose `__session` has expired while the request carries a `__refresh` cookie, with the JSON
//! body `{expired_token, refresh_token, request_origin, request_headers, format: "cookie"}` and
//! `?suffixed_cookies=true|false`; it answers `{object: "cookies", cookies: [Set-Cookie…]}`,
//! which the SDK forwards to the browser (`format: "token"`: `{object: "token", jwt}`). When the
//! refresh fails the SDK falls back to the handshake, so every refusal here is a typed error.
//!
//! The refresh token is the one this server's handshake hands the app as `__refresh` (with
//! `--refresh-cookie`, see `crate::handshake::refresh_token`): bound to one session and valid
//! while that session is signed in. clerk-js never writes one; without it, the SDKs take the
//! handshake instead.

use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::errors::{ApiError, ApiResult, Json};
use crate::extract::{Input, Params};
use crate::handshake::{self, AuthState, CookieTarget};
use crate::store::Done;
use crate::tokens::{self, OrgChoice};
use crate::util::ct_eq;

#[derive(Deserialize, Default)]
pub struct RefreshBody {
    expired_token: Option<String>,
    refresh_token: Option<String>,
    request_origin: Option<String>,
    format: Option<String>,
}

pub async fn refresh(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Params(q): Params,
    Input(body): Input<RefreshBody>,
) -> ApiResult<Json> {
    let given = |v: Option<String>, name: &str| v.filter(|v| !v.is_empty()).ok_or_else(|| ApiError::missing_param(name));
    let expired = given(body.expired_token, "expired_token")?;
    let refresh = given(body.refresh_token, "refresh_token")?;
    let origin = given(body.request_origin, "request_origin")?;
    let origin = url::Url::parse(&origin)
        .ok()
        .filter(|u| u.has_host())
        .ok_or_else(|| ApiError::invalid_param("request_origin", "request_origin must be an absolute URL"))?;
    let as_cookies = match body.format.as_deref() {
        None | Some("") | Some("token") => false,
        Some("cookie") => true,
        Some(_) => return Err(ApiError::invalid_param("format", "format must be `token` or `cookie`")),
    };
    // The expired token must be one this instance signed for this session: only its lifetime
    // may be over (checked as of its own issue time).
    let invalid = |why: &str| ApiError::bad_request("token_invalid", format!("Invalid expired_token: {why}")).param("expired_token");
    let unverified = clerk_token::decode_unverified(&expired).map_err(|_| invalid("not a JWT"))?;
    let options = clerk_token::VerifyOptions { now: Some(unverified.iat), ..Default::default() };
    let claims = clerk_token::verify_and_validate(&expired, &st.key.public_key(), &options).map_err(|e| invalid(e.reason()))?;
    if claims.sid.as_deref() != Some(id.as_str()) {
        return Err(invalid("it belongs to another session"));
    }
    if !ct_eq(&refresh, &handshake::refresh_token(&st.secret_key, &id)) {
        // Clerk's code for this case is not documented; named here.
        return Err(ApiError::bad_request("refresh_token_invalid", "Invalid refresh token")
            .long("The refresh token does not belong to this session.")
            .param("refresh_token"));
    }
    let now = st.now();
    let azp = origin.origin().ascii_serialization();
    let (token_claims, client_updated_at_ms) = st
        .db(move |st, tx| {
            let s = tx.session(&id)?.ok_or_else(|| ApiError::not_found("session"))?;
            let status = s.effective_status(now);
            if !status.is_signed_in() {
                return Err(ApiError::new(axum::http::StatusCode::GONE, "session_not_active", format!("Session is {}", status.as_str()))
                    .long(format!("Session {} is {} and cannot be refreshed.", s.id, status.as_str())));
            }
            let client_updated_at = tx.client(&s.client_id)?.map_or(now, |c| c.updated_at);
            let claims = tokens::session_claims(st, tx, &s, &OrgChoice::Active, Some(azp.clone()), st.config.token_ttl, now)?;
            let claims = serde_json::to_value(claims).map_err(|e| ApiError::internal(e.to_string()))?;
            Ok(Done((claims, client_updated_at)))
        })
        .await?;
    let jwt = st.sign(token_claims).await?;
    if !as_cookies {
        return Ok(Json(json!({ "object": "token", "jwt": jwt })));
    }
    let suffixed = q.get("suffixed_cookies").is_some_and(|v| v == "true");
    let suffix = suffixed.then(|| handshake::cookie_suffix(&st.publishable_key));
    let target = CookieTarget::new(&origin, suffix);
    let state = AuthState::SignedIn { token: jwt, client_updated_at_ms };
    let cookies = handshake::directives(&state, &target, None, st.config.production);
    Ok(Json(json!({ "object": "cookies", "cookies": cookies })))
}
