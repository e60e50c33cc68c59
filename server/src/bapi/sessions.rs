//! `/v1/sessions` of the Backend API.

use axum::extract::{Path, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use clerk_token::VerifyOptions;
use serde::Deserialize;
use serde_json::{Value, json};

use super::pagination;
use crate::AppState;
use crate::errors::{ApiError, ApiResult, Json};
use crate::extract::{Input, Params};
use crate::fapi;
use crate::render::bapi_session_json;
use crate::store::{Client, Done, SessionFilter, SessionStatus};
use crate::tokens::{self, Mint, OrgChoice};
use crate::util::{new_id, random_string, sha256_hex};

/// `GET /v1/sessions`: newest first; a bare array unless `paginated=true` (the Python SDK
/// only understands the array, @clerk/backend asks for `{data, total_count}`). Since Clerk's
/// 2024-01-01 deprecation, `client_id` or `user_id` is required: without both, a 400 that
/// names the two.
pub async fn list(State(st): State<AppState>, Params(q): Params) -> ApiResult<Json> {
    let given = |name: &str| q.get(name).is_some_and(|v| !v.is_empty());
    if !given("client_id") && !given("user_id") {
        let mut e = ApiError::bad_request("form_param_missing", "client_id or user_id is missing")
            .long("Listing sessions requires either `client_id` or `user_id` (required since the 2024-01-01 deprecation).");
        e.meta = json!({ "param_names": ["client_id", "user_id"] });
        return Err(e);
    }
    let (limit, offset) = pagination(&q)?;
    let status = match q.get("status").map(String::as_str).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(SessionStatus::parse(s).ok_or_else(|| ApiError::invalid_param("status", format!("Unknown session status `{s}`")))?),
    };
    let filter = SessionFilter {
        client_id: q.get("client_id").filter(|v| !v.is_empty()).cloned(),
        user_id: q.get("user_id").filter(|v| !v.is_empty()).cloned(),
        status,
    };
    let paginated = q.get("paginated").is_some_and(|v| v == "true");
    let now = st.now();
    st.db(move |_, tx| {
        tx.expire_sessions(now)?;
        let (page, total) = tx.list_sessions(&filter, limit, offset)?;
        let data: Vec<Value> = page.iter().map(|s| bapi_session_json(s, now)).collect();
        Ok(Done(Json(if paginated { json!({ "data": data, "total_count": total }) } else { Value::Array(data) })))
    })
    .await
}

pub async fn get(State(st): State<AppState>, Path(id): Path<String>) -> ApiResult<Json> {
    let now = st.now();
    st.db(move |_, tx| {
        let s = tx.session(&id)?.ok_or_else(|| ApiError::not_found("session"))?;
        Ok(Done(Json(bapi_session_json(&s, now))))
    })
    .await
}

#[derive(Deserialize, Default)]
pub struct CreateSession {
    user_id: Option<String>,
    /// Impersonation (our extension, for testing): `{"sub": "user_..."}`; becomes the `act` claim.
    actor: Option<Value>,
}

/// `POST /v1/sessions {user_id}`: a session for the user on a new (cookie-less) client.
pub async fn create(State(st): State<AppState>, Input(body): Input<CreateSession>) -> ApiResult<Json> {
    let user_id = body.user_id.filter(|u| !u.is_empty()).ok_or_else(|| ApiError::missing_param("user_id"))?;
    let actor = match body.actor {
        None | Some(Value::Null) => None,
        Some(a) if a.get("sub").is_some_and(Value::is_string) => Some(a),
        Some(_) => return Err(ApiError::invalid_param("actor", "actor must be an object with a `sub`")),
    };
    let now = st.now();
    st.db(move |_, tx| {
        let mut user = tx.user(&user_id)?.ok_or_else(|| ApiError::not_found("user").param("user_id"))?;
        // A client no browser holds the cookie of: the Backend API's sessions live on their own.
        let mut client = Client::new(new_id("client"), sha256_hex(&random_string(48)), None, now);
        tx.put_client(&client)?;
        let mut s = fapi::create_session(tx, &mut client, &mut user, now, false)?;
        if let Some(actor) = actor.clone() {
            s.actor = Some(actor);
            tx.put_session(&s)?;
        }
        Ok(Done(Json(bapi_session_json(&s, now))))
    })
    .await
}

/// `POST /v1/sessions/{id}/revoke`: the session stays on its client with status `revoked`
/// ("a revoked session will still be returned along with its client object").
pub async fn revoke(State(st): State<AppState>, Path(id): Path<String>) -> ApiResult<Json> {
    let now = st.now();
    st.db(move |_, tx| {
        let mut s = tx.session(&id)?.ok_or_else(|| ApiError::not_found("session"))?;
        if s.effective_status(now).is_signed_in() {
            s.status = SessionStatus::Revoked;
            s.updated_at = now;
            tx.put_session(&s)?;
        }
        Ok(Done(Json(bapi_session_json(&s, now))))
    })
    .await
}

#[derive(Deserialize, Default)]
pub struct VerifyBody {
    token: Option<String>,
}

/// `POST /v1/sessions/{id}/verify {token}`, deprecated upstream (every answer says so in a
/// `Deprecation` header): the session, if `token` is a valid token of it. As documented: 400
/// for a missing or malformed token, 404 for an unknown session, 410 for a session that is
/// over (ended, removed, revoked, expired, abandoned, replaced), and 400 for a token that
/// fails verification or belongs to another session. Only the caller's own credentials get a
/// 401 (in `require_secret_key`). A gone session is 410 even when its token has expired too.
pub async fn verify(State(st): State<AppState>, Path(id): Path<String>, body: Result<Input<VerifyBody>, ApiError>) -> Response {
    let result = match body {
        Ok(Input(body)) => verify_session(st, id, body).await,
        Err(e) => Err(e),
    };
    let mut resp = match result {
        Ok(json) => json.into_response(),
        Err(e) => e.into_response(),
    };
    resp.headers_mut().insert(HeaderName::from_static("deprecation"), HeaderValue::from_static("true"));
    resp
}

async fn verify_session(st: AppState, id: String, body: VerifyBody) -> ApiResult<Json> {
    let token = body.token.filter(|t| !t.is_empty()).ok_or_else(|| {
        ApiError::bad_request("form_param_missing", "token is missing").long("The `token` parameter is required.").param("token")
    })?;
    let invalid = |why: String| ApiError::bad_request("token_invalid", format!("Invalid token: {why}")).param("token");
    clerk_token::decode_unverified(&token).map_err(|e| invalid(format!("{e:?}")))?;
    let now = st.now();
    let s = st.db(move |_, tx| Ok(Done(tx.session(&id)?.ok_or_else(|| ApiError::not_found("session"))?))).await?;
    let status = s.effective_status(now);
    if !status.is_signed_in() {
        return Err(ApiError::new(StatusCode::GONE, "session_not_active", format!("Session is {}", status.as_str())).long(format!(
            "Session {} is {} and can no longer be verified.",
            s.id,
            status.as_str()
        )));
    }
    // The server's clock, not the system's: tokens age with `/__dev/clock` like everything else.
    let options = VerifyOptions { now: Some(now.div_euclid(1000)), ..VerifyOptions::default() };
    let claims = clerk_token::verify_and_validate(&token, &st.key.public_key(), &options).map_err(|e| invalid(e.reason().to_owned()))?;
    if claims.sid.as_deref() != Some(s.id.as_str()) {
        return Err(ApiError::bad_request("token_invalid", "The token belongs to another session").param("token"));
    }
    Ok(Json(bapi_session_json(&s, now)))
}

#[derive(Deserialize, Default)]
pub struct TokenBody {
    expires_in_seconds: Option<i64>,
}

fn lifetime(body: &TokenBody) -> ApiResult<Option<i64>> {
    match body.expires_in_seconds {
        Some(n) if !(1..=10 * 365 * 24 * 3600).contains(&n) => {
            Err(ApiError::invalid_param("expires_in_seconds", "expires_in_seconds must be positive"))
        }
        other => Ok(other),
    }
}

/// `POST /v1/sessions/{id}/tokens` (optional `{expires_in_seconds}`; empty bodies welcome).
pub async fn token(State(st): State<AppState>, Path(id): Path<String>, Input(body): Input<TokenBody>) -> ApiResult<Json> {
    let ttl = lifetime(&body)?.unwrap_or(st.config.token_ttl);
    mint(st, id, Mint::Session { ttl }).await
}

pub async fn template_token(
    State(st): State<AppState>,
    Path((id, template)): Path<(String, String)>,
    Input(body): Input<TokenBody>,
) -> ApiResult<Json> {
    let lifetime = lifetime(&body)?;
    mint(st, id, Mint::Template { name: template, lifetime }).await
}

/// The Backend API mints for any session, for the session's active organization, with no `azp`.
async fn mint(st: AppState, id: String, what: Mint) -> ApiResult<Json> {
    let now = st.now();
    tokens::mint(&st, what, OrgChoice::Active, None, now, move |tx| tx.session(&id)?.ok_or_else(|| ApiError::not_found("session"))).await
}
