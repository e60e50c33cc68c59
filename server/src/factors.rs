//! What a user can sign in with, as a sign-in offers it (`supported_first_factors` and
//! `supported_second_factors`). Reverification offers only what `fapi::verify` can check:
//! `render::first_factors` and `render::second_factors`.

use serde_json::{Value, json};

use crate::errors::ApiResult;
use crate::render;
use crate::AppState;
use crate::strategies::is_enabled;
use crate::store::{PhoneNumber, Tx, User};

/// The phone number that is the user's second factor, if any (the first one reserved for it).
pub fn second_factor_phone(tx: &mut dyn Tx, u: &User) -> ApiResult<Option<PhoneNumber>> {
    Ok(tx.phones_of(&u.id)?.into_iter().find(|p| p.verified && p.reserved_for_second_factor))
}

/// Whether a sign-in needs a second factor after the first: an authenticator app or an SMS
/// second factor. Backup codes stand in for those; alone they ask for nothing.
pub fn has_second_factor(tx: &mut dyn Tx, u: &User) -> ApiResult<bool> {
    Ok(u.totp_secret.is_some() || second_factor_phone(tx, u)?.is_some())
}

/// Password, email codes, passkeys and SMS codes, then (as Clerk lists them) a password-reset code for
/// each address of a user who has a password.
pub fn sign_in_first_factors(st: &AppState, tx: &mut dyn Tx, u: &User) -> ApiResult<Vec<Value>> {
    let mut f = render::first_factors(st, tx, u)?;
    let on = |strategy: &str| is_enabled(&st.config, strategy);
    if crate::passkeys::has_passkeys(u) && on("passkey") {
        f.push(json!({"strategy": "passkey"}));
    }
    for p in tx.phones_of(&u.id)?.into_iter().filter(|p| p.verified && on("phone_code")) {
        f.push(json!({
            "strategy": "phone_code",
            "safe_identifier": p.phone,
            "phone_number_id": p.id,
            "primary": u.primary_phone_number_id.as_deref() == Some(p.id.as_str()),
            "default": false,
        }));
    }
    if u.password_hash.is_some() && on("reset_password_email_code") {
        for e in tx.emails_of(&u.id)? {
            f.push(json!({
                "strategy": "reset_password_email_code",
                "safe_identifier": e.email,
                "email_address_id": e.id,
                "primary": u.primary_email_address_id.as_deref() == Some(e.id.as_str()),
            }));
        }
    }
    Ok(f)
}

/// TOTP, the SMS second factor, and backup codes when the user has another second factor.
pub fn sign_in_second_factors(st: &AppState, tx: &mut dyn Tx, u: &User) -> ApiResult<Vec<Value>> {
    let mut f = render::second_factors(st, u);
    if let Some(p) = second_factor_phone(tx, u)?.filter(|_| is_enabled(&st.config, "phone_code")) {
        f.push(json!({
            "strategy": "phone_code",
            "safe_identifier": p.phone,
            "phone_number_id": p.id,
            // The app's code is the default where there is one, as Clerk's UI picks it first.
            "default": u.totp_secret.is_none(),
        }));
    }
    if !f.is_empty() && !u.backup_codes.is_empty() && is_enabled(&st.config, "backup_code") {
        f.push(json!({"strategy": "backup_code"}));
    }
    Ok(f)
}
