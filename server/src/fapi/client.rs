//! Environment, dev browser and the client resource.

use axum::extract::State;
use serde_json::json;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{CookieChange, Fapi, Reply, answer, ctx, detach_client, ensure_client, find_client, new_client};
use crate::AppState;
use crate::errors::{ApiError, ApiResult, Json};
use crate::extract::{Caller, Params};
use crate::store::{Client, Done, SessionStatus, Tx};
use crate::util::{random_string, sha256_hex};

/// `GET` and `PATCH /v1/environment` (clerk-js "touches" it with an empty form in development).
pub async fn environment(State(st): State<AppState>) -> Json {
    let ttl = st.config.token_ttl;
    let (attributes, social) = crate::strategies::user_settings(&st.config);
    Json(json!({
        "object": "environment",
        "id": "env_local",
        "auth_config": {
            "object": "auth_config",
            "id": "aac_local",
            "single_session_mode": st.config.single_session,
            "claimed_at": null,
            "reverification": true,
        },
        "display_config": {
            "object": "display_config",
            "id": "display_config_local",
            "instance_environment_type": if st.config.production { "production" } else { "development" },
            "application_name": "clerk-server (local)",
            "captcha_heartbeat": false,
            "home_url": st.issuer,
            "sign_in_url": format!("{}/sign-in", st.issuer),
            "sign_up_url": format!("{}/sign-up", st.issuer),
            "after_sign_in_url": st.issuer,
            "after_sign_up_url": st.issuer,
            "session_token_ttl_seconds": ttl,
        },
        "user_settings": {
            "attributes": attributes,
            "sign_in": {"second_factor": {"required": false}},
            "sign_up": {"progressive": true, "mode": "public"},
            "password_settings": {"min_length": 8, "max_length": 128},
            "social": social,
        },
        "organization_settings": {
            "enabled": st.config.organizations,
            "max_allowed_memberships": 0,
            "force_organization_selection": false,
            "actions": {"admin_delete": true},
            "domains": {"enabled": true, "enrollment_modes": crate::orgs::domains::ENROLLMENT_MODES, "default_role": "org:member"},
            "slug": {"disabled": false},
        },
        "maintenance_mode": false,
    }))
}

/// `POST /v1/dev_browser`: a new dev-browser token; clerk-js sends it back as `__clerk_db_jwt`.
pub async fn create_dev_browser(State(st): State<AppState>) -> ApiResult<Json> {
    let token = format!("dvb_{}", random_string(40));
    let hash = sha256_hex(&token);
    let now = st.now();
    st.db(move |_, tx| {
        tx.put_dev_browser(&hash, now)?;
        Ok(Done(()))
    })
    .await?;
    Ok(Json(json!({ "object": "dev_browser", "id": token })))
}

/// `GET /v1/client`: `{response: client|null, client: null}`; never creates a client.
///
/// clerk-js's `client.reload({rotatingTokenNonce})` sends `rotating_token_nonce` (its only
/// parameter besides the dev-browser token): the client's token is rotated, so the answer sets
/// a new `__client` cookie and the old one stops working. An empty nonce is refused.
pub async fn get_client(State(st): State<AppState>, caller: Caller, Params(q): Params) -> ApiResult<Fapi> {
    let rotate = match q.get("rotating_token_nonce") {
        None => false,
        Some(n) if n.is_empty() => {
            return Err(ApiError::invalid_param("rotating_token_nonce", "rotating_token_nonce must not be empty"));
        }
        Some(_) => true,
    };
    answer(&st, move |st, tx| {
        let mut cookie = CookieChange::Keep;
        let mut client = find_client(tx, &caller)?;
        if let Some(c) = client.as_mut().filter(|_| rotate) {
            cookie = rotate_cookie(tx, c, caller.now)?;
        }
        Ok(Done(Reply::new(&caller).client_only(st, tx, client.as_ref(), cookie)?))
    })
    .await
}

/// A new `__client` cookie value for `client`; the old value no longer finds it.
fn rotate_cookie(tx: &mut dyn Tx, client: &mut Client, now: i64) -> ApiResult<CookieChange> {
    let cookie = random_string(48);
    client.cookie_hash = sha256_hex(&cookie);
    client.updated_at = now;
    tx.put_client(client)?;
    Ok(CookieChange::Set(cookie))
}

/// `POST /v1/client`: the caller's client, created if needed.
pub async fn create_client(State(st): State<AppState>, caller: Caller) -> ApiResult<Fapi> {
    answer(&st, move |st, tx| {
        let ctx = ctx(&caller);
        let (client, cookie) = ensure_client(tx, &caller, ctx.now)?;
        Ok(Done(Reply::new(&caller).client(st, tx, &client, cookie)?))
    })
    .await
}

/// `PUT /v1/client` (clerk-js's `Client.create()`, through `_basePut`): always a new client,
/// with a new id and a new `__client` cookie, which also takes over the caller's dev browser.
/// The previous client is detached from the caller; its sessions are left as they are.
pub async fn replace_client(State(st): State<AppState>, caller: Caller) -> ApiResult<Fapi> {
    answer(&st, move |st, tx| {
        let ctx = ctx(&caller);
        if let Some(old) = find_client(tx, &caller)? {
            detach_client(tx, old, ctx.now)?;
        }
        let (client, cookie) = new_client(tx, &caller, ctx.now)?;
        Ok(Done(Reply::new(&caller).client(st, tx, &client, cookie)?))
    })
    .await
}

/// `GET /v1/client/touch?redirect_url=URL` (clerk-js's `client.buildTouchUrl()`, opened as a
/// top-level navigation when `isEligibleForTouch()`): the client lives another
/// `Client::LIFETIME_MS` from now, gets a freshly issued cookie, and the browser is sent on to
/// `redirect_url` with a 307. The URL must be on an allowed origin (the CORS allow-list, the
/// server's own origin, and in `--dev` any loopback origin), so that the endpoint is no open
/// redirect.
pub async fn touch_client(State(st): State<AppState>, caller: Caller, Params(q): Params) -> ApiResult<Response> {
    let redirect = q.get("redirect_url").filter(|u| !u.is_empty()).ok_or_else(|| ApiError::missing_param("redirect_url"))?;
    let target =
        url::Url::parse(redirect).ok().filter(|u| crate::is_allowed_origin(&st, &u.origin().ascii_serialization())).ok_or_else(|| {
            ApiError::invalid_param("redirect_url", "redirect_url is not an allowed URL")
                .long("`redirect_url` must be an absolute URL on one of this instance's allowed origins.")
        })?;
    let location =
        HeaderValue::from_str(target.as_str()).map_err(|_| ApiError::invalid_param("redirect_url", "redirect_url is not a valid URL"))?;
    let fapi = st
        .db(move |st, tx| {
            let ctx = ctx(&caller);
            let (mut client, _) = ensure_client(tx, &caller, ctx.now)?;
            client.expire_at = Some(ctx.now + Client::LIFETIME_MS);
            let cookie = rotate_cookie(tx, &mut client, ctx.now)?;
            Ok(Done(Reply::new(&caller).client(st, tx, &client, cookie)?))
        })
        .await?
        .finish(&st)
        .await?;
    let mut resp = fapi.into_response();
    *resp.status_mut() = StatusCode::TEMPORARY_REDIRECT;
    resp.headers_mut().insert(header::LOCATION, location);
    Ok(resp)
}

/// `DELETE /v1/client` (also `POST ?_method=DELETE`): ends every session and forgets the client.
pub async fn destroy_client(State(st): State<AppState>, caller: Caller) -> ApiResult<Fapi> {
    st.db(move |_, tx| {
        let now = caller.now;
        let Some(client) = find_client(tx, &caller)? else {
            return Ok(Done(Fapi::new(json!({ "response": null, "client": null }), CookieChange::Clear)));
        };
        for mut s in tx.sessions_of_client(&client.id)? {
            if s.effective_status(now).is_signed_in() {
                s.status = SessionStatus::Ended;
                s.updated_at = now;
                tx.put_session(&s)?;
            }
        }
        tx.delete_client(&client.id)?;
        let response = json!({
            "object": "client", "id": client.id, "sessions": [], "sign_in": null, "sign_up": null,
            "last_active_session_id": null, "created_at": client.created_at, "updated_at": now,
        });
        Ok(Done(Fapi::new(json!({ "response": response, "client": null }), CookieChange::Clear)))
    })
    .await
}
