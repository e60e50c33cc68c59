//! Development-only endpoints (`--dev`): the email outbox, request counters, failure
//! injection (targeted with `fail_next`, random with `faults`) and the server clock.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::AppState;
use crate::errors::{ApiError, ApiResult, Json};
use crate::extract::Params;
use crate::faults::FaultKind;
use crate::store::Done;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/__dev/emails", get(emails))
        .route("/__dev/backup_codes", post(backup_codes))
        .route("/__dev/sms", get(sms))
        .route("/__dev/requests", get(requests))
        .route("/__dev/requests/reset", post(reset_requests))
        .route("/__dev/instance", get(instance))
        .route("/__dev/fail_next", post(fail_next))
        .route("/__dev/faults", get(faults).post(set_faults))
        .route("/__dev/clock", get(clock).post(advance_clock))
}

/// `GET /__dev/clock`: `{now, offset_ms}`, the server's time and how far it is ahead of the
/// wall clock.
async fn clock(State(st): State<AppState>) -> Json {
    Json(json!({ "now": st.now(), "offset_ms": st.clock.offset_ms() }))
}

/// `POST /__dev/clock?advance_ms=N`: moves the server's clock N ms on (never back), then runs
/// the session sweep at once, so that what a test reads next (even straight from the
/// database) is what a server would show N ms later.
async fn advance_clock(State(st): State<AppState>, Params(q): Params) -> ApiResult<Json> {
    let ms = q.get("advance_ms").ok_or_else(|| ApiError::missing_param("advance_ms"))?;
    let ms: i64 = ms
        .parse()
        .ok()
        .filter(|ms| *ms >= 0)
        .ok_or_else(|| ApiError::invalid_param("advance_ms", "advance_ms must be a non-negative integer"))?;
    st.clock.advance(ms);
    st.sweep_sessions().await?;
    Ok(clock(State(st)).await)
}

/// `GET /__dev/faults`: settings, FAPI requests seen while on, and faults injected per kind.
async fn faults(State(st): State<AppState>) -> Json {
    Json(st.faults.snapshot())
}

/// `POST /__dev/faults?rate=0.2&seed=42&kinds=500,429,delay,drop,malformed&reset=true`: each
/// parameter is optional and keeps its value when absent; every call re-seeds, `rate=0` turns
/// injection off, and the counters run on unless `reset=true`.
async fn set_faults(State(st): State<AppState>, Params(q): Params) -> ApiResult<Json> {
    let mut settings = st.faults.settings();
    if let Some(r) = q.get("rate") {
        settings.rate = r
            .parse::<f64>()
            .ok()
            .filter(|r| (0.0..=1.0).contains(r))
            .ok_or_else(|| ApiError::invalid_param("rate", "rate must be a number from 0 to 1"))?;
    }
    if let Some(s) = q.get("seed") {
        settings.seed = s.parse().map_err(|_| ApiError::invalid_param("seed", "seed must be an unsigned integer"))?;
    }
    if let Some(k) = q.get("kinds") {
        settings.kinds = FaultKind::parse_list(k).map_err(|e| ApiError::invalid_param("kinds", e))?;
    }
    st.faults.configure(settings, q.get("reset").is_some_and(|v| v == "true" || v == "1"));
    Ok(Json(st.faults.snapshot()))
}

/// `POST /__dev/fail_next?route=POST%20/v1/client/sessions/{id}/tokens&status=500[&times=N]`:
/// the next N requests to that route (as `/__dev/requests` names it) get that error status.
async fn fail_next(State(st): State<AppState>, Params(q): Params) -> ApiResult<Json> {
    let route = q.get("route").ok_or_else(|| ApiError::missing_param("route"))?.clone();
    let status: u16 = q
        .get("status")
        .and_then(|s| s.parse().ok())
        .filter(|s| (400..600).contains(s))
        .ok_or_else(|| ApiError::invalid_param("status", "status must be an HTTP error status (400-599)"))?;
    let times: usize = q.get("times").and_then(|t| t.parse().ok()).unwrap_or(1).min(100);
    st.injected_failures
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(route.clone())
        .or_default()
        .extend(std::iter::repeat_n(status, times));
    Ok(Json(json!({ "route": route, "status": status, "times": times })))
}

/// `GET /__dev/emails?to=ADDRESS`: emails sent to that address, newest first, with `latest_code`.
async fn emails(State(st): State<AppState>, Params(q): Params) -> ApiResult<Json> {
    let to = q.get("to").ok_or_else(|| ApiError::missing_param("to"))?.to_lowercase();
    let outbox = st.outbox.lock().unwrap_or_else(|p| p.into_inner());
    let mut msgs: Vec<Value> = outbox.get(&to).cloned().unwrap_or_default();
    msgs.reverse();
    // Newest first; codes and links are separate kinds of email, each with its latest.
    let latest = |k: &str| msgs.iter().find_map(|m| m.get(k).filter(|v| !v.is_null()).cloned()).unwrap_or(Value::Null);
    let (code, link) = (latest("code"), latest("link"));
    Ok(Json(json!({ "to": to, "latest_code": code, "latest_link": link, "emails": msgs })))
}

/// `GET /__dev/sms?to=NUMBER`: SMS sent to that number (any spelling; E.164 in the answer),
/// newest first, with `latest_code`, shaped like `/__dev/emails`.
async fn sms(State(st): State<AppState>, Params(q): Params) -> ApiResult<Json> {
    let to = crate::phone::normalize(q.get("to").ok_or_else(|| ApiError::missing_param("to"))?, "to")?;
    let outbox = st.outbox.lock().unwrap_or_else(|p| p.into_inner());
    let mut msgs: Vec<Value> = outbox.get(&to).cloned().unwrap_or_default();
    msgs.reverse();
    let latest = msgs.first().map(|m| m["code"].clone()).unwrap_or(Value::Null);
    Ok(Json(json!({ "to": to, "latest_code": latest, "messages": msgs })))
}

/// `POST /__dev/backup_codes?identifier=EMAIL_OR_USERNAME`: a fresh set of backup codes for that
/// user, replacing the old one, as `{user_id, codes}`. The plaintext is shown once, as Clerk's
/// `createBackupCode` does; tests use it to get codes to type.
async fn backup_codes(State(st): State<AppState>, Params(q): Params) -> ApiResult<Json> {
    let identifier = q.get("identifier").ok_or_else(|| ApiError::missing_param("identifier"))?.trim().to_owned();
    let now = st.now();
    st.db(move |_, tx| {
        let user = match tx.email(&identifier)? {
            Some(e) => tx.user(&e.user_id)?,
            None => tx.user_by_username(&identifier)?,
        };
        let mut user = user.ok_or_else(|| ApiError::not_found("user"))?;
        let codes = crate::fapi::backup_codes::regenerate(&mut user);
        user.updated_at = now;
        tx.put_user(&user)?;
        Ok(Done(Json(json!({ "user_id": user.id, "codes": codes }))))
    })
    .await
}

/// `GET /__dev/requests`: request counts keyed by `METHOD /route/{template}`.
async fn requests(State(st): State<AppState>) -> Json {
    let c = st.counters.lock().unwrap_or_else(|p| p.into_inner());
    Json(serde_json::to_value(&*c).unwrap_or_default())
}

async fn reset_requests(State(st): State<AppState>) -> Json {
    st.counters.lock().unwrap_or_else(|p| p.into_inner()).clear();
    Json(json!({ "reset": true }))
}

/// Public facts about the instance (never the secret key).
async fn instance(State(st): State<AppState>) -> Json {
    Json(json!({
        "publishable_key": st.publishable_key,
        "frontend_api": st.issuer,
        "public_key_pem": st.public_key_pem,
        "kid": st.key.kid(),
        "token_ttl": st.config.token_ttl,
    }))
}
