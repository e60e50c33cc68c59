//! Backend API: what @clerk/backend and `clerk-backend-api` call, with `Authorization: Bearer
//! <secret key>`. Shares the port with the Frontend API; the paths do not overlap.

mod admin;
mod clients;
pub mod organizations;
mod phone_numbers;
mod refresh;
mod sessions;
mod users;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

pub use admin::{NewUser, OneOrMany, add_member, create_org, create_user, put_template};
pub use phone_numbers::add_phone;

use crate::AppState;
use crate::errors::{ApiError, ApiResult, Json};
use crate::util::ct_eq;

pub fn routes(state: AppState) -> Router<AppState> {
    let protected = Router::new()
        .route("/v1/sessions", get(sessions::list).post(sessions::create))
        .route("/v1/sessions/{id}", get(sessions::get))
        .route("/v1/sessions/{id}/revoke", post(sessions::revoke))
        .route("/v1/sessions/{id}/verify", post(sessions::verify))
        .route("/v1/sessions/{id}/refresh", post(refresh::refresh))
        .route("/v1/sessions/{id}/tokens", post(sessions::token))
        .route("/v1/sessions/{id}/tokens/{template}", post(sessions::template_token))
        .route("/v1/users", get(users::list).post(admin::post_user))
        .route("/v1/users/count", get(users::count))
        .route("/v1/users/{id}", get(users::get).patch(users::update).delete(users::delete))
        .route("/v1/users/{id}/metadata", axum::routing::patch(users::merge_metadata).put(users::replace_metadata))
        .route("/v1/phone_numbers", post(phone_numbers::post_phone))
        .route("/v1/clients/handshake_payload", get(clients::handshake_payload))
        .route("/v1/jwt_templates", get(admin::list_templates).post(admin::post_template))
        .route_layer(middleware::from_fn_with_state(state, require_secret_key));
    // The JWKS is public (as on Clerk's Frontend API); a wrong secret key is still a 401.
    protected.route("/v1/jwks", get(jwks)).route("/.well-known/jwks.json", get(jwks))
}

/// Checks `Authorization: Bearer <secret key>`; `Ok(None)` when there is no header at all.
fn bearer_ok(st: &AppState, headers: &HeaderMap) -> ApiResult<Option<()>> {
    let Some(value) = headers.get(header::AUTHORIZATION) else { return Ok(None) };
    let token = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim);
    match token {
        // Constant-time, so the key cannot be guessed byte by byte from timings.
        Some(t) if ct_eq(t, &st.secret_key) => Ok(Some(())),
        _ => Err(ApiError::unauthorized("authentication_invalid", "Invalid secret key")
            .long("The Authorization header must be `Bearer <secret key>` of this instance.")),
    }
}

pub(crate) async fn require_secret_key(State(st): State<AppState>, req: Request, next: Next) -> Response {
    match bearer_ok(&st, req.headers()) {
        Ok(Some(())) => next.run(req).await,
        Ok(None) => ApiError::unauthorized("authorization_header_missing", "Missing secret key")
            .long("Backend API requests need `Authorization: Bearer <secret key>`.")
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /v1/jwks`: `{keys: [jwk]}` with `kid`, `alg: RS256`, `use: sig`.
async fn jwks(State(st): State<AppState>, headers: HeaderMap) -> ApiResult<Json> {
    bearer_ok(&st, &headers)?;
    let kid = st.key.kid().to_owned();
    Ok(Json(json!({ "keys": [st.key.public_key().jwk(&kid)] })))
}

/// `limit` (1..=500, default 10) and `offset` (>= 0) query parameters.
pub fn pagination(params: &std::collections::HashMap<String, String>) -> ApiResult<(u32, u32)> {
    let limit = match params.get("limit").map(String::as_str) {
        None | Some("") => 10,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if (1..=500).contains(&n) => n as u32,
            _ => {
                return Err(ApiError::invalid_param("limit", "limit must be between 1 and 500")
                    .long(format!("`limit` must be an integer between 1 and 500, got `{v}`.")));
            }
        },
    };
    let offset = match params.get("offset").map(String::as_str) {
        None | Some("") => 0,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if (0..=u32::MAX as i64).contains(&n) => n as u32,
            _ => {
                return Err(ApiError::invalid_param("offset", "offset must be 0 or more")
                    .long(format!("`offset` must be a non-negative integer, got `{v}`.")));
            }
        },
    };
    Ok((limit, offset))
}
