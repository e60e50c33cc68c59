//! The signed-in user's own account (`/v1/me`), as clerk-js's `User` resource calls it:
//! `reload()`, `update()`, `updateMetadata()`, `updatePassword()`, `removePassword()` and
//! `delete()`. The identifiers, second factors, sessions, external accounts and the profile
//! image are in the `me_*` modules and `profile_image`; this one also has what they share
//! (who is signed in, and the `{response, client}` answer) and their routes.
//!
//! Every route needs a signed-in session of the caller's client (`_clerk_session_id`, or else
//! the client's last active one), as `organizations` does: otherwise 401 `signed_out`.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::routing::{get, patch, post};
use serde::Deserialize;
use serde_json::Value;

use super::{Attempt, CookieChange, Fapi, Reply, answer_checked, incorrect_password};
use crate::AppState;
use crate::account::{self, rules};
use crate::checks::Checks;
use crate::errors::{ApiError, ApiResult};
use crate::extract::{Caller, Input};
use crate::limits::Key;
use crate::render;
use crate::store::{Client, Done, Refused, Session, SessionStatus, Tx, TxOutcome, User};
use crate::views;

pub fn routes() -> Router<AppState> {
    use super::{me_external as ext, me_identifiers as ids, me_security as sec, profile_image as img};
    Router::new()
        .route("/v1/me", get(get_me).patch(update).delete(delete_me))
        .route("/v1/me/metadata", patch(update_metadata))
        .route("/v1/me/change_password", post(change_password))
        .route("/v1/me/remove_password", post(remove_password))
        .route(
            "/v1/me/profile_image",
            post(img::upload).delete(img::remove).layer(axum::extract::DefaultBodyLimit::max(crate::images::UPLOAD_LIMIT)),
        )
        // clerk-js creates identifiers at `/me/email_addresses/` (its path root ends in `/`).
        .route("/v1/me/email_addresses", post(ids::create_email))
        .route("/v1/me/email_addresses/", post(ids::create_email))
        .route("/v1/me/email_addresses/{id}", get(ids::get_email).delete(ids::delete_email))
        .route("/v1/me/email_addresses/{id}/prepare_verification", post(ids::prepare_email))
        .route("/v1/me/email_addresses/{id}/attempt_verification", post(ids::attempt_email))
        .route("/v1/me/phone_numbers", post(ids::create_phone))
        .route("/v1/me/phone_numbers/", post(ids::create_phone))
        .route("/v1/me/phone_numbers/{id}", get(ids::get_phone).patch(ids::update_phone).delete(ids::delete_phone))
        .route("/v1/me/phone_numbers/{id}/prepare_verification", post(ids::prepare_phone))
        .route("/v1/me/phone_numbers/{id}/attempt_verification", post(ids::attempt_phone))
        .route("/v1/me/external_accounts", post(ext::create))
        .route("/v1/me/external_accounts/{id}", axum::routing::delete(ext::delete))
        .route("/v1/me/external_accounts/{id}/reauthorize", patch(ext::reauthorize))
        .route("/v1/me/passkeys/{id}", patch(sec::rename_passkey).delete(sec::delete_passkey))
        .route("/v1/me/totp", post(sec::create_totp).delete(sec::delete_totp))
        .route("/v1/me/totp/attempt_verification", post(sec::verify_totp))
        .route("/v1/me/sessions", get(sec::active_sessions))
        .route("/v1/me/sessions/active", get(sec::active_sessions))
        .route("/v1/me/sessions/{id}/revoke", post(sec::revoke_session))
}

/// The signed-in caller.
pub(super) struct Me {
    pub client: Client,
    pub session: Session,
    pub user: User,
    pub caller: Caller,
}

/// `_clerk_session_id` of a raw query string (clerk-js adds it to every request).
pub(super) fn session_param(q: Option<&str>) -> Option<String> {
    q.and_then(|q| crate::form_pairs(q).find(|(k, _)| k == "_clerk_session_id")).map(|(_, v)| v).filter(|v| !v.is_empty())
}

fn me(tx: &mut dyn Tx, caller: &Caller, session_id: Option<&str>) -> ApiResult<Me> {
    let (client, session) = super::organizations::signed_in(tx, caller, session_id, caller.now)?;
    let user = tx.user(&session.user_id)?.ok_or_else(|| ApiError::not_found("user"))?;
    Ok(Me { client, session, user, caller: caller.clone() })
}

/// Runs `f` for the signed-in caller in one transaction (argon2 and TOTP work between runs,
/// see `checks`) and answers `{response: f's value, client}`. `f`'s `Err` rolls everything
/// back; `Refused` keeps the writes (a failed attempt that must count) and answers the error.
pub(super) async fn with_me<F>(st: AppState, caller: Caller, q: Option<String>, f: F) -> ApiResult<Fapi>
where
    F: Fn(&AppState, &mut dyn Tx, &Checks, &mut Me) -> TxOutcome<Value, ApiError> + Send + Sync + 'static,
{
    let session_id = session_param(q.as_deref());
    answer_checked(&st, move |st, tx, checks| {
        let mut me = me(tx, &caller, session_id.as_deref())?;
        match f(st, tx, checks, &mut me)? {
            Done(v) => {
                // The body may have changed the client (a deleted user's sessions are gone).
                let client = tx.client(&me.client.id)?.unwrap_or(me.client);
                Ok(Done(Reply::new(&caller).envelope(st, tx, &client, move |_| v, CookieChange::Keep)?))
            }
            Refused(e) => Ok(Refused(e)),
        }
    })
    .await
}

/// The user as the Frontend API shows it (with organization memberships).
pub(super) fn user_value(tx: &mut dyn Tx, user: &User) -> ApiResult<Value> {
    Ok(render::user_json(&views::user(tx, user, true)?))
}

/// Saves the user, stamped now, and answers it.
pub(super) fn save_user(tx: &mut dyn Tx, user: &mut User, now: i64) -> TxOutcome<Value, ApiError> {
    user.updated_at = now;
    tx.put_user(user)?;
    Ok(Done(user_value(tx, user)?))
}

/// `GET /v1/me` (clerk-js's `user.reload()`).
pub async fn get_me(State(st): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> ApiResult<Fapi> {
    with_me(st, caller, q, |_, tx, _, me| Ok(Done(user_value(tx, &me.user)?))).await
}

#[derive(Deserialize, Default)]
pub struct UpdateForm {
    first_name: Option<String>,
    last_name: Option<String>,
    username: Option<String>,
    primary_email_address_id: Option<String>,
    primary_phone_number_id: Option<String>,
    /// JSON text (clerk-js stringifies it); replaces the whole object.
    unsafe_metadata: Option<String>,
}

/// `PATCH /v1/me` (`user.update()`): every field is checked before anything is saved.
pub async fn update(State(st): State<AppState>, caller: Caller, RawQuery(q): RawQuery, Input(form): Input<UpdateForm>) -> ApiResult<Fapi> {
    with_me(st, caller, q, move |_, tx, _, me| {
        let u = &mut me.user;
        if let Some(v) = &form.first_name {
            u.first_name = rules::name(v, "first_name")?;
        }
        if let Some(v) = &form.last_name {
            u.last_name = rules::name(v, "last_name")?;
        }
        if let Some(v) = &form.username {
            u.username = rules::username(tx, &u.id, v)?;
        }
        if let Some(id) = &form.primary_email_address_id {
            u.primary_email_address_id = Some(rules::primary_email(tx, u, id, "primary_email_address_id")?.id);
        }
        if let Some(id) = &form.primary_phone_number_id {
            u.primary_phone_number_id = Some(rules::primary_phone(tx, u, id, "primary_phone_number_id")?.id);
        }
        if let Some(m) = &form.unsafe_metadata {
            u.profile.unsafe_metadata = rules::metadata_text(m, "unsafe_metadata")?;
        }
        save_user(tx, u, me.caller.now)
    })
    .await
}

#[derive(Deserialize, Default)]
pub struct MetadataForm {
    unsafe_metadata: Option<String>,
}

/// `PATCH /v1/me/metadata` (`user.updateMetadata()`, and `user.update({unsafeMetadata})` in
/// clerk-js 6.40): an RFC 7396 merge patch of `unsafe_metadata` (`null` deletes a key).
pub async fn update_metadata(
    State(st): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
    Input(form): Input<MetadataForm>,
) -> ApiResult<Fapi> {
    let text = form.unsafe_metadata.ok_or_else(|| ApiError::missing_param("unsafe_metadata"))?;
    with_me(st, caller, q, move |_, tx, _, me| {
        let patch = rules::metadata_text(&text, "unsafe_metadata")?;
        me.user.profile.unsafe_metadata = rules::merge_metadata(&me.user.profile.unsafe_metadata, &patch, "unsafe_metadata")?;
        save_user(tx, &mut me.user, me.caller.now)
    })
    .await
}

#[derive(Deserialize, Default)]
pub struct PasswordForm {
    current_password: Option<String>,
    new_password: Option<String>,
    /// clerk-js sends the boolean as `true` / `false`.
    sign_out_of_other_sessions: Option<String>,
}

fn flag(v: Option<&str>, param: &str) -> ApiResult<bool> {
    match v {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApiError::invalid_param(param, format!("{param} must be true or false"))),
    }
}

/// Checks `current_password` of a user who has a password. A wrong one counts as a failed
/// attempt against the user and the IP (a stolen session must not be a password oracle):
/// `Some(refusal)` then, to be answered as `Refused` so that the count is kept.
fn check_current(st: &AppState, tx: &mut dyn Tx, checks: &Checks, me: &Me, current: Option<&str>) -> ApiResult<Option<ApiError>> {
    let current = current.filter(|p| !p.is_empty()).ok_or_else(|| ApiError::missing_param("current_password"))?;
    let attempt = Attempt::begin(st, tx, &me.caller, None, Key::User(me.user.id.clone()))?;
    if attempt.password(checks, &me.user, current)? {
        return Ok(None);
    }
    attempt.failed(st, tx, &mut 0, &mut None)?;
    Ok(Some(incorrect_password().param("current_password")))
}

/// `POST /v1/me/change_password` (`user.updatePassword()`): a user with a password proves it
/// first; one without sets their first. Other sessions are revoked when asked.
pub async fn change_password(
    State(st): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
    Input(form): Input<PasswordForm>,
) -> ApiResult<Fapi> {
    let new = form.new_password.clone().ok_or_else(|| ApiError::missing_param("new_password"))?;
    rules::new_password(&new, "new_password")?;
    let sign_out_others = flag(form.sign_out_of_other_sessions.as_deref(), "sign_out_of_other_sessions")?;
    with_me(st, caller, q, move |st, tx, checks, me| {
        if me.user.password_hash.is_some() {
            if let Some(refused) = check_current(st, tx, checks, me, form.current_password.as_deref())? {
                return Ok(Refused(refused));
            }
            if form.current_password.as_deref() == Some(new.as_str()) {
                return Err(ApiError::unprocessable(
                    "form_new_password_matches_current",
                    "New password cannot be the same as the current password.",
                )
                .param("new_password"));
            }
        }
        me.user.password_hash = Some(checks.hash_password(&new)?);
        if sign_out_others {
            account::end_sessions(tx, &me.user.id, Some(&me.session.id), SessionStatus::Revoked, me.caller.now)?;
        }
        save_user(tx, &mut me.user, me.caller.now)
    })
    .await
}

/// `POST /v1/me/remove_password` (`user.removePassword()`): with the current password; the
/// user signs in with email codes or links afterwards.
pub async fn remove_password(
    State(st): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
    Input(form): Input<PasswordForm>,
) -> ApiResult<Fapi> {
    with_me(st, caller, q, move |st, tx, checks, me| {
        if me.user.password_hash.is_none() {
            return Err(ApiError::unprocessable("no_password_set", "This account has no password").param("current_password"));
        }
        if let Some(refused) = check_current(st, tx, checks, me, form.current_password.as_deref())? {
            return Ok(Refused(refused));
        }
        me.user.password_hash = None;
        save_user(tx, &mut me.user, me.caller.now)
    })
    .await
}

/// `DELETE /v1/me` (`user.delete()`): the user and all that is theirs goes; their sessions
/// leave every client, so each browser shows them signed out.
pub async fn delete_me(State(st): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> ApiResult<Fapi> {
    with_me(st, caller, q, |_, tx, _, me| {
        if !account::delete_self_enabled(&me.user) {
            return Err(ApiError::new(axum::http::StatusCode::FORBIDDEN, "user_delete_self_not_enabled", "You cannot delete your account")
                .long("Deleting their own account is switched off for this user."));
        }
        account::delete_user(tx, &me.user, me.caller.now)?;
        Ok(Done(account::deleted("user", &me.user.id)))
    })
    .await
}
