//! The signed-in user's passkeys, as clerk-js's `user.createPasskey()` makes them:
//! `POST /v1/me/passkeys` starts a registration (the creation options in
//! `verification.nonce`), and `POST /v1/me/passkeys/{id}/attempt_verification` with
//! `strategy=passkey&public_key_credential=<JSON>` verifies the attestation
//! (`crate::passkeys`). Signing in with one is a sign-in first factor (`sign_ins`).

use axum::extract::{Path, RawQuery, State};
use serde::Deserialize;
use serde_json::json;

use super::{CookieChange, Fapi, Reply, answer};
use crate::AppState;
use crate::errors::{ApiError, ApiResult};
use crate::extract::{Caller, Input};
use crate::passkeys;
use crate::store::{Done, StoredPasskey, Tx, User};
use crate::util::new_id;

#[derive(Deserialize, Default)]
pub struct AttemptForm {
    strategy: Option<String>,
    public_key_credential: Option<String>,
}

fn session_id(q: &Option<String>) -> Option<String> {
    q.as_deref().and_then(|q| crate::form_pairs(q).find(|(k, _)| k == "_clerk_session_id")).map(|(_, v)| v).filter(|v| !v.is_empty())
}

fn signed_in_user(tx: &mut dyn Tx, caller: &Caller, q: &Option<String>, now: i64) -> ApiResult<(crate::store::Client, User)> {
    let (client, session) = super::organizations::signed_in(tx, caller, session_id(q).as_deref(), now)?;
    let user = tx.user(&session.user_id)?.ok_or_else(|| ApiError::not_found("user"))?;
    Ok((client, user))
}

/// `POST /v1/me/passkeys`.
pub async fn create(State(st): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> ApiResult<Fapi> {
    answer(&st, move |st, tx| {
        let now = caller.now;
        let (client, mut user) = signed_in_user(tx, &caller, &q, now)?;
        let name = format!("Passkey {}", user.passkeys.iter().filter(|p| p.credential.is_some()).count() + 1);
        let label =
            crate::render::public_user_data(&crate::views::user(tx, &user, false)?)["identifier"].as_str().unwrap_or(&user.id).to_owned();
        let (nonce, state) = passkeys::start_registration(st, caller.origin.as_deref(), &user, &label)?;
        // Registrations never finished are dropped when a new one starts.
        user.passkeys.retain(|p| p.credential.is_some());
        let p = StoredPasskey {
            id: new_id("pk"),
            name,
            credential: None,
            registration: Some(state),
            created_at: now,
            updated_at: now,
            last_used_at: None,
        };
        let v = passkeys::passkey_json(
            &p,
            json!({"object": "verification", "status": "unverified", "strategy": "passkey", "nonce": nonce, "attempts": null,
                   "expire_at": now + super::CODE_TTL_MS}),
        );
        user.passkeys.push(p);
        tx.put_user(&user)?;
        Ok(Done(Reply::new(&caller).envelope(st, tx, &client, move |_| v, CookieChange::Keep)?))
    })
    .await
}

/// `POST /v1/me/passkeys/{id}/attempt_verification`.
pub async fn attempt(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    Input(form): Input<AttemptForm>,
) -> ApiResult<Fapi> {
    if form.strategy.as_deref().is_some_and(|s| s != "passkey") {
        return Err(ApiError::invalid_param("strategy", "strategy must be passkey"));
    }
    let credential = form.public_key_credential.clone().ok_or_else(|| ApiError::missing_param("public_key_credential"))?;
    answer(&st, move |st, tx| {
        let now = caller.now;
        let (client, mut user) = signed_in_user(tx, &caller, &q, now)?;
        let i = user.passkeys.iter().position(|p| p.id == id).ok_or_else(|| ApiError::not_found("passkey"))?;
        let state = user.passkeys[i].registration.clone().ok_or_else(|| {
            ApiError::unprocessable("verification_already_verified", "This passkey is already verified").param("public_key_credential")
        })?;
        if user.passkeys[i].created_at + super::CODE_TTL_MS <= now {
            return Err(
                ApiError::unprocessable("verification_expired", "This passkey registration has expired").param("public_key_credential")
            );
        }
        let stored = passkeys::finish_registration(st, caller.origin.as_deref(), &state, &credential)?;
        let p = &mut user.passkeys[i];
        p.credential = Some(stored);
        p.registration = None;
        p.updated_at = now;
        let v = passkeys::passkey_json(
            p,
            json!({"object": "verification", "status": "verified", "strategy": "passkey", "attempts": 1, "expire_at": null}),
        );
        user.updated_at = now;
        tx.put_user(&user)?;
        Ok(Done(Reply::new(&caller).envelope(st, tx, &client, move |_| v, CookieChange::Keep)?))
    })
    .await
}
