//! `GET /v1/clients/handshake_payload?nonce=…`: the handshake directives the Frontend API left
//! behind a nonce (see `crate::handshake`), as `@clerk/backend`'s `getHandshakePayload` reads
//! them: `{directives: [...]}`. A nonce answers once; unknown or expired ones are a 404.

use axum::extract::State;
use serde_json::json;

use crate::AppState;
use crate::errors::{ApiError, ApiResult, Json};
use crate::extract::Params;

pub async fn handshake_payload(State(st): State<AppState>, Params(q): Params) -> ApiResult<Json> {
    let nonce = q.get("nonce").filter(|n| !n.is_empty()).ok_or_else(|| ApiError::missing_param("nonce"))?;
    let directives = st.handshakes.take(nonce, st.now()).ok_or_else(|| ApiError::not_found("handshake payload").param("nonce"))?;
    Ok(Json(json!({ "directives": directives })))
}
