//! Environment, dev browser and the client resource.

use axum::extract::State;
use serde_json::{Value, json};

use super::{CookieChange, Fapi, ctx, ensure_client, find_client};
use crate::AppState;
use crate::errors::{ApiResult, Json};
use crate::extract::Caller;
use crate::render;
use crate::store::SessionStatus;
use crate::util::{now_ms, random_string, sha256_hex};

/// `GET` and `PATCH /v1/environment` (clerk-js "touches" it with an empty form in development).
pub async fn environment(State(st): State<AppState>) -> Json {
    let ttl = st.config.token_ttl;
    Json(json!({
        "object": "environment",
        "id": "env_local",
        "auth_config": {
            "object": "auth_config",
            "id": "aac_local",
            "single_session_mode": false,
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
            "attributes": {
                "email_address": {"enabled": true, "required": true, "used_for_first_factor": true,
                                  "first_factors": ["email_code"], "verifications": ["email_code"],
                                  "verify_at_sign_up": true},
                "password": {"enabled": true, "required": true},
                "username": {"enabled": true, "required": false, "used_for_first_factor": true},
                "first_name": {"enabled": true, "required": false},
                "last_name": {"enabled": true, "required": false},
                "authenticator_app": {"enabled": true, "required": false, "used_for_second_factor": true,
                                      "second_factors": ["totp"]},
            },
            "sign_in": {"second_factor": {"required": false}},
            "sign_up": {"progressive": true, "mode": "public"},
            "password_settings": {"min_length": 8, "max_length": 128},
            "social": {},
        },
        "organization_settings": {
            "enabled": true,
            "max_allowed_memberships": 100,
            "force_organization_selection": false,
            "domains": {"enabled": false},
        },
        "maintenance_mode": false,
    }))
}

/// `POST /v1/dev_browser`: a new dev-browser token; clerk-js sends it back as `__clerk_db_jwt`.
pub async fn create_dev_browser(State(st): State<AppState>) -> ApiResult<Json> {
    let token = format!("dvb_{}", random_string(40));
    let hash = sha256_hex(&token);
    st.db(move |tx| {
        tx.put_dev_browser(&hash, now_ms())?;
        Ok(Ok(()))
    })
    .await?;
    Ok(Json(json!({ "object": "dev_browser", "id": token })))
}

/// `GET /v1/client`: `{response: client|null, client: null}`; never creates a client.
pub async fn get_client(State(st): State<AppState>, caller: Caller) -> ApiResult<Json> {
    let st2 = st.clone();
    st.db(move |tx| {
        let ctx = ctx(&caller);
        let response = match find_client(tx, &caller)? {
            Some(c) => render::client_json(&st2, tx, &c, &ctx)?,
            None => Value::Null,
        };
        Ok(Ok(Json(json!({ "response": response, "client": null }))))
    })
    .await
}

/// `POST`/`PUT /v1/client`: the caller's client, created if needed.
pub async fn create_client(State(st): State<AppState>, caller: Caller) -> ApiResult<Fapi> {
    let st2 = st.clone();
    st.db(move |tx| {
        let ctx = ctx(&caller);
        let (client, cookie) = ensure_client(tx, &caller, ctx.now)?;
        let c = render::client_json(&st2, tx, &client, &ctx)?;
        Ok(Ok(Fapi::new(json!({ "response": c, "client": c }), cookie)))
    })
    .await
}

/// `DELETE /v1/client` (also `POST ?_method=DELETE`): ends every session and forgets the client.
pub async fn destroy_client(State(st): State<AppState>, caller: Caller) -> ApiResult<Fapi> {
    st.db(move |tx| {
        let now = now_ms();
        let Some(client) = find_client(tx, &caller)? else {
            return Ok(Ok(Fapi::new(json!({ "response": null, "client": null }), CookieChange::Clear)));
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
        Ok(Ok(Fapi::new(json!({ "response": response, "client": null }), CookieChange::Clear)))
    })
    .await
}
