//! The user's own account, shared by the Frontend API (`fapi::me*`, what clerk-js's `User`,
//! `EmailAddress`, `PhoneNumber`, … call) and the Backend API (`bapi::users`): the rules a
//! change must pass (names, usernames, passwords, metadata, identifiers), deleting a user,
//! profile images, and the devices behind sessions. Handlers validate everything before they
//! write, and answer a refusal with an `Err`, which rolls the whole request back.

pub mod activity;
pub mod rules;

use serde_json::{Value, json};

use crate::errors::{ApiError, ApiResult};
use crate::store::{SessionFilter, SessionStatus, Tx, User};

/// `{object, id, deleted: true}`, Clerk's deleted object.
pub fn deleted(object: &str, id: &str) -> Value {
    json!({ "object": object, "id": id, "deleted": true })
}

/// Every signed-in session of `user_id`, on every client (newest first).
pub fn signed_in_sessions(tx: &mut dyn Tx, user_id: &str, now: i64) -> ApiResult<Vec<crate::store::Session>> {
    let filter = SessionFilter { user_id: Some(user_id.to_owned()), ..SessionFilter::default() };
    let (sessions, _) = tx.list_sessions(&filter, u32::MAX, 0)?;
    Ok(sessions.into_iter().filter(|s| s.effective_status(now).is_signed_in()).collect())
}

/// Ends every signed-in session of the user but `keep` with `status`, on every client; each
/// client that had one as its active session has none any more.
pub fn end_sessions(tx: &mut dyn Tx, user_id: &str, keep: Option<&str>, status: SessionStatus, now: i64) -> ApiResult<()> {
    for mut s in signed_in_sessions(tx, user_id, now)? {
        if Some(s.id.as_str()) == keep {
            continue;
        }
        s.status = status;
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
    Ok(())
}

/// Deletes the user: their sessions are removed from every client (so that each browser shows
/// them signed out), then the user and all that is theirs goes.
pub fn delete_user(tx: &mut dyn Tx, user: &User, now: i64) -> ApiResult<()> {
    end_sessions(tx, &user.id, None, SessionStatus::Removed, now)?;
    tx.delete_user(&user.id)?;
    Ok(())
}

/// 404 for an id that is not the user's, the same answer as for one that does not exist.
pub fn not_found(what: &str) -> ApiError {
    ApiError::not_found(what)
}

/// Whether the user may delete their own account from the Frontend API.
pub fn delete_self_enabled(user: &User) -> bool {
    user.profile.delete_self_enabled.unwrap_or(true)
}
