//! The account's security page, as clerk-js calls it: an authenticator app
//! (`user.createTOTP()` → `verifyTOTP({code})` → `disableTOTP()`), the user's signed-in
//! devices (`user.getSessions()` → `session.revoke()`), and renaming or deleting passkeys
//! (`passkey.update({name})`, `passkey.delete()`).

use axum::extract::{Path, RawQuery, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::me::{Me, save_user, session_param, with_me};
use super::{Attempt, CookieChange, Fapi, incorrect_code};
use crate::AppState;
use crate::account::{self, activity, rules};
use crate::errors::{ApiError, ApiResult};
use crate::extract::{Caller, Input};
use crate::limits::Key;
use crate::store::{Done, PendingTotp, Refused, SessionStatus};
use crate::util::new_id;

// TOTP.

/// The `otpauth://` URI authenticator apps scan (Key Uri Format: label `issuer:account`).
fn otpauth_uri(secret: &str, account: &str) -> String {
    let label: String = url::form_urlencoded::byte_serialize(format!("clerk-server:{account}").as_bytes()).collect();
    format!("otpauth://totp/{label}?secret={secret}&issuer=clerk-server&algorithm=SHA1&digits=6&period=30")
}

fn totp_json(
    id: &str,
    secret: Option<&str>,
    uri: Option<&str>,
    verified: bool,
    codes: Option<&[String]>,
    created_at: i64,
    now: i64,
) -> Value {
    let mut v = json!({"object": "totp", "id": id, "verified": verified, "created_at": created_at, "updated_at": now});
    if let Some(s) = secret {
        v["secret"] = json!(s);
    }
    if let Some(u) = uri {
        v["uri"] = json!(u);
    }
    if let Some(c) = codes {
        v["backup_codes"] = json!(c);
    }
    v
}

fn totp_already_enabled() -> ApiError {
    ApiError::unprocessable("totp_already_enabled", "An authenticator app is already set up")
        .long("Disable the current authenticator app before setting up another.")
}

/// `POST /v1/me/totp`: a new secret waiting for its first code (a new call replaces it).
pub async fn create_totp(State(st): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> ApiResult<Fapi> {
    with_me(st, caller, q, |_, tx, _, me| {
        if me.user.totp_secret.is_some() {
            return Err(totp_already_enabled());
        }
        let now = me.caller.now;
        let pending = PendingTotp { id: new_id("totp"), secret: crate::util::new_totp_secret(), created_at: now };
        let view = crate::views::user(tx, &me.user, false)?;
        let account = crate::render::public_user_data(&view)["identifier"].as_str().unwrap_or(&me.user.id).to_owned();
        let uri = otpauth_uri(&pending.secret, &account);
        let v = totp_json(&pending.id, Some(&pending.secret), Some(&uri), false, None, now, now);
        me.user.profile.pending_totp = Some(pending);
        save_user(tx, &mut me.user, now)?;
        Ok(Done(v))
    })
    .await
}

#[derive(Deserialize, Default)]
pub struct CodeForm {
    code: Option<String>,
}

/// `POST /v1/me/totp/attempt_verification` with the app's `code`: the app becomes the user's
/// second factor; a user without backup codes gets a set, shown once as `backup_codes`.
pub async fn verify_totp(
    State(st): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
    Input(form): Input<CodeForm>,
) -> ApiResult<Fapi> {
    let code = form.code.filter(|c| !c.trim().is_empty()).ok_or_else(|| ApiError::missing_param("code"))?;
    with_me(st, caller, q, move |st, tx, checks, me| {
        let Some(pending) = me.user.profile.pending_totp.clone() else {
            if me.user.totp_secret.is_some() {
                return Err(totp_already_enabled());
            }
            return Err(ApiError::unprocessable("verification_missing", "Set up the authenticator app first").param("code"));
        };
        let attempt = Attempt::begin(st, tx, &me.caller, None, Key::User(me.user.id.clone()))?;
        // A code is good once (the replay guard of sign-ins).
        let ok = match checks.totp_step(&pending.secret, &code)? {
            Some(step) => tx.use_totp_step(&me.user.id, step as i64, step as i64 - 2)?,
            None => false,
        };
        if !ok {
            attempt.failed(st, tx, &mut 0, &mut None)?;
            return Ok(Refused(incorrect_code()));
        }
        let now = me.caller.now;
        me.user.totp_secret = Some(pending.secret.clone());
        me.user.profile.pending_totp = None;
        let codes = me.user.backup_codes.is_empty().then(|| super::backup_codes::regenerate(&mut me.user));
        save_user(tx, &mut me.user, now)?;
        Ok(Done(totp_json(&pending.id, None, None, true, codes.as_deref(), pending.created_at, now)))
    })
    .await
}

/// `DELETE /v1/me/totp` (`user.disableTOTP()`). Backup codes go too when no other second
/// factor is left (they stand in for one; alone they would be a second factor of their own).
pub async fn delete_totp(State(st): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> ApiResult<Fapi> {
    with_me(st, caller, q, |_, tx, _, me| {
        if me.user.totp_secret.is_none() && me.user.profile.pending_totp.is_none() {
            return Err(account::not_found("totp"));
        }
        me.user.totp_secret = None;
        me.user.profile.pending_totp = None;
        if crate::factors::second_factor_phone(tx, &me.user)?.is_none() {
            me.user.backup_codes.clear();
        }
        save_user(tx, &mut me.user, me.caller.now)?;
        Ok(Done(json!({"object": "totp", "deleted": true})))
    })
    .await
}

// Sessions.

/// `GET /v1/me/sessions/active` (`user.getSessions()`): the user's signed-in sessions on every
/// client, newest first, each with its device. A bare array, as clerk-js reads it
/// (`res.payload.map(…)`); Clerk answers this one without the `{response, client}` envelope.
pub async fn active_sessions(State(st): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> ApiResult<Fapi> {
    let session_id = session_param(q.as_deref());
    let list = st
        .db(move |_, tx| {
            let now = caller.now;
            let (_, current) = super::organizations::signed_in(tx, &caller, session_id.as_deref(), now)?;
            let mut out = Vec::new();
            for s in account::signed_in_sessions(tx, &current.user_id, now)? {
                let device = tx.client(&s.client_id)?.and_then(|c| c.activity);
                out.push(activity::session_with_activity_json(&s, device.as_ref(), now));
            }
            Ok(Done(out))
        })
        .await?;
    Ok(Fapi::new(Value::Array(list), CookieChange::Keep))
}

/// `POST /v1/me/sessions/{id}/revoke` (`sessionWithActivities.revoke()`): one of the user's
/// sessions, on any client, becomes `revoked` and mints nothing any more. Another user's
/// session is a 404.
pub async fn revoke_session(State(st): State<AppState>, caller: Caller, Path(id): Path<String>, RawQuery(q): RawQuery) -> ApiResult<Fapi> {
    with_me(st, caller, q, move |_, tx, _, me| {
        let now = me.caller.now;
        let mut s = tx.session(&id)?.filter(|s| s.user_id == me.user.id).ok_or_else(|| account::not_found("session"))?;
        if s.effective_status(now).is_signed_in() {
            s.status = SessionStatus::Revoked;
            s.updated_at = now;
            tx.put_session(&s)?;
            if let Some(mut c) = tx.client(&s.client_id)?
                && c.last_active_session_id.as_deref() == Some(s.id.as_str())
            {
                c.last_active_session_id = None;
                c.updated_at = now;
                tx.put_client(&c)?;
            }
        }
        let device = tx.client(&s.client_id)?.and_then(|c| c.activity);
        Ok(Done(activity::session_with_activity_json(&s, device.as_ref(), now)))
    })
    .await
}

// Passkeys.

#[derive(Deserialize, Default)]
pub struct PasskeyForm {
    name: Option<String>,
}

/// The index of the user's verified passkey `id` (one still being registered is not listed).
fn own_passkey(me: &Me, id: &str) -> ApiResult<usize> {
    me.user.passkeys.iter().position(|p| p.id == id && p.credential.is_some()).ok_or_else(|| account::not_found("passkey"))
}

/// `PATCH /v1/me/passkeys/{id}` with `name`.
pub async fn rename_passkey(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    Input(form): Input<PasskeyForm>,
) -> ApiResult<Fapi> {
    with_me(st, caller, q, move |_, tx, _, me| {
        let i = own_passkey(me, &id)?;
        let name = rules::name(form.name.as_deref().unwrap_or_default(), "name")?.ok_or_else(|| ApiError::missing_param("name"))?;
        let now = me.caller.now;
        let p = &mut me.user.passkeys[i];
        p.name = name;
        p.updated_at = now;
        let v = crate::passkeys::passkey_json(
            p,
            json!({"object": "verification", "status": "verified", "strategy": "passkey", "attempts": null, "expire_at": null}),
        );
        save_user(tx, &mut me.user, now)?;
        Ok(Done(v))
    })
    .await
}

/// `DELETE /v1/me/passkeys/{id}`: it can no longer sign in.
pub async fn delete_passkey(State(st): State<AppState>, caller: Caller, Path(id): Path<String>, RawQuery(q): RawQuery) -> ApiResult<Fapi> {
    with_me(st, caller, q, move |_, tx, _, me| {
        let i = own_passkey(me, &id)?;
        me.user.passkeys.remove(i);
        save_user(tx, &mut me.user, me.caller.now)?;
        Ok(Done(account::deleted("passkey", &id)))
    })
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_otpauth_uri_names_the_account_and_the_secret() {
        assert_eq!(
            super::otpauth_uri("JBSWY3DP", "a+b@example.com"),
            "otpauth://totp/clerk-server%3Aa%2Bb%40example.com?secret=JBSWY3DP&issuer=clerk-server&algorithm=SHA1&digits=6&period=30"
        );
    }
}
