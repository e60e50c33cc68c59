//! Password reset, the last step of a sign-in whose first factor was
//! `reset_password_email_code`: `POST /v1/client/sign_ins/{id}/reset_password` with `password`
//! and `sign_out_of_other_sessions` (clerk-js's `signIn.resetPassword`). The new password is
//! set, then the sign-in goes on as after any first factor: to `needs_second_factor` for a user
//! with one, else to `complete` with a new session.

use axum::extract::{Path, State};
use serde::Deserialize;

use super::sign_ins::{RESET, client_sign_in, expect_status, first_factor_passed, respond};
use super::{CookieChange, Fapi, answer_checked};
use crate::AppState;
use crate::errors::{ApiError, ApiResult};
use crate::extract::Caller;
use crate::extract::Input;
use crate::store::{Done, SessionFilter, SessionStatus, Tx};

#[derive(Deserialize, Default)]
pub struct ResetForm {
    password: Option<String>,
    /// clerk-js sends the JS boolean as `true` / `false`.
    sign_out_of_other_sessions: Option<String>,
}

/// Clerk's length rule for new passwords (sign-up and reset): 8 characters or more; at most 128
/// bytes, which bounds the argon2 input.
pub fn check_new_password(password: &str) -> ApiResult<()> {
    if password.chars().count() < 8 {
        return Err(ApiError::unprocessable("form_password_length_too_short", "Passwords must be 8 characters or more.").param("password"));
    }
    if password.len() > 128 {
        return Err(ApiError::invalid_param("password", "Passwords must be at most 128 characters."));
    }
    Ok(())
}

/// Revokes every signed-in session of the user, on every client: a reset after a leaked
/// password must shut out whoever used it. They stay listed as `revoked`, as BAPI's revoke does.
fn revoke_sessions_of(tx: &mut dyn Tx, user_id: &str, now: i64) -> ApiResult<()> {
    let filter = SessionFilter { user_id: Some(user_id.to_owned()), ..SessionFilter::default() };
    let (sessions, _) = tx.list_sessions(&filter, u32::MAX, 0)?;
    for mut s in sessions {
        if s.effective_status(now).is_signed_in() {
            s.status = SessionStatus::Revoked;
            s.updated_at = now;
            tx.put_session(&s)?;
        }
    }
    Ok(())
}

pub async fn reset(State(st): State<AppState>, caller: Caller, Path(id): Path<String>, Input(form): Input<ResetForm>) -> ApiResult<Fapi> {
    let password = form.password.clone().ok_or_else(|| ApiError::missing_param("password"))?;
    check_new_password(&password)?;
    let sign_out_others = match form.sign_out_of_other_sessions.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::invalid_param("sign_out_of_other_sessions", "sign_out_of_other_sessions must be true or false")),
    };
    answer_checked(&st, move |st, tx, checks| {
        let now = caller.now;
        let (mut client, mut si) = client_sign_in(tx, &caller, &id)?;
        expect_status(&si, "needs_new_password")?;
        let mut user = tx.user(si.user_id.as_deref().unwrap_or_default())?.ok_or_else(|| ApiError::not_found("user"))?;
        user.password_hash = Some(checks.hash_password(&password)?);
        user.updated_at = now;
        tx.put_user(&user)?;
        if sign_out_others {
            // Before the new session exists, so that it is not among them.
            revoke_sessions_of(tx, &user.id, now)?;
        }
        first_factor_passed(tx, &mut client, &mut si, &mut user, RESET, now)?;
        Ok(Done(respond(st, tx, &mut client, &mut si, &caller, CookieChange::Keep)?))
    })
    .await
}
