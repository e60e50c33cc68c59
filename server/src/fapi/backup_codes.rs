//! Backup codes: ten single-use codes a user keeps for when the authenticator app is gone. Only
//! a SHA-256 of each, bound to the user id, is stored (on the user); a code is removed when it is
//! used, so it works once. `POST /v1/me/backup_codes` (clerk-js's `user.createBackupCode()`)
//! replaces the set, and so does the development endpoint `POST /__dev/backup_codes`, which is
//! how tests get codes to type.

use axum::extract::{RawQuery, State};
use rand::Rng;
use rand::rngs::OsRng;
use serde_json::{Value, json};

use super::{CookieChange, Fapi, Reply, answer};
use crate::AppState;
use crate::errors::ApiResult;
use crate::extract::Caller;
use crate::store::{Done, User};
use crate::util::{code_hash, ct_eq, new_id};

/// Clerk issues ten.
pub const COUNT: usize = 10;
/// Lowercase letters and digits without look-alikes (0/o, 1/l), so codes read back from paper.
const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
const LEN: usize = 8;

/// A fresh set for `user`, replacing any earlier one; returns the plaintext codes (shown once).
pub fn regenerate(user: &mut User) -> Vec<String> {
    let codes: Vec<String> = (0..COUNT).map(|_| (0..LEN).map(|_| ALPHABET[OsRng.gen_range(0..ALPHABET.len())] as char).collect()).collect();
    user.backup_codes = codes.iter().map(|c| code_hash(&user.id, c)).collect();
    codes
}

/// Uses `code` if it is one of the user's unused codes (case and surrounding spaces ignored).
/// Every stored hash is compared, so the time taken does not tell which one matched.
pub fn consume(user: &mut User, code: &str) -> bool {
    let wanted = code_hash(&user.id, &code.trim().to_ascii_lowercase());
    let mut found = None;
    for (i, h) in user.backup_codes.iter().enumerate() {
        if ct_eq(h, &wanted) {
            found = Some(i);
        }
    }
    match found {
        Some(i) => {
            user.backup_codes.remove(i);
            true
        }
        None => false,
    }
}

/// The `backup_code` resource clerk-js's `BackupCode` reads.
pub fn resource_json(codes: &[String], now: i64) -> Value {
    json!({ "object": "backup_code", "id": new_id("bc"), "codes": codes, "created_at": now, "updated_at": now })
}

/// `POST /v1/me/backup_codes`: a new set for the signed-in user.
pub async fn create(State(st): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> ApiResult<Fapi> {
    let session_id = q.as_deref().and_then(|q| crate::form_pairs(q).find(|(k, _)| k == "_clerk_session_id")).map(|(_, v)| v);
    answer(&st, move |st, tx| {
        let now = caller.now;
        let (client, session) = super::organizations::signed_in(tx, &caller, session_id.as_deref().filter(|s| !s.is_empty()), now)?;
        let mut user = tx.user(&session.user_id)?.ok_or_else(|| crate::errors::ApiError::not_found("user"))?;
        let codes = regenerate(&mut user);
        user.updated_at = now;
        tx.put_user(&user)?;
        let v = resource_json(&codes, now);
        Ok(Done(Reply::new(&caller).envelope(st, tx, &client, move |_| v, CookieChange::Keep)?))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        User {
            id: "user_1".into(),
            first_name: None,
            last_name: None,
            username: None,
            primary_email_address_id: None,
            password_hash: None,
            totp_secret: None,
            created_at: 0,
            updated_at: 0,
            last_sign_in_at: None,
            backup_codes: Vec::new(),
            primary_phone_number_id: None,
            passkeys: Vec::new(),
            profile: Default::default(),
        }
    }

    #[test]
    fn each_code_works_once_and_a_new_set_replaces_the_old() {
        let mut u = user();
        let codes = regenerate(&mut u);
        assert_eq!(codes.len(), COUNT);
        assert!(codes.iter().all(|c| c.len() == LEN && c.bytes().all(|b| ALPHABET.contains(&b))));
        assert!(!u.backup_codes.iter().any(|h| codes.contains(h)), "only hashes are kept");
        assert!(consume(&mut u, &format!(" {} ", codes[3].to_uppercase())));
        assert!(!consume(&mut u, &codes[3]), "used once");
        assert_eq!(u.backup_codes.len(), COUNT - 1);
        assert!(!consume(&mut u, "zzzzzzzz"));
        let fresh = regenerate(&mut u);
        assert!(!consume(&mut u, &codes[0]), "the old set is gone");
        assert!(consume(&mut u, &fresh[0]));
    }
}
