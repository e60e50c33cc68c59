//! What a user can sign in with, as a sign-in offers it (`supported_first_factors` and
//! `supported_second_factors`). Reverification offers only what `fapi::verify` can check:
//! [`first_factors`] and [`second_factors`]. The lists are computed from a loaded user
//! (`views::UserView`) with no database reads, inside the transaction, into the views.

use serde_json::{Value, json};

use crate::config::Config;
use crate::errors::ApiResult;
use crate::store::{PhoneNumber, Tx, User};
use crate::strategies::is_enabled;
use crate::views::UserView;

/// The phone number that is the user's second factor, if any (the first one reserved for it).
pub fn second_factor_phone(tx: &mut dyn Tx, u: &User) -> ApiResult<Option<PhoneNumber>> {
    Ok(tx.phones_of(&u.id)?.into_iter().find(|p| p.verified && p.reserved_for_second_factor))
}

/// Whether a sign-in needs a second factor after the first: an authenticator app or an SMS
/// second factor. Backup codes stand in for those; alone they ask for nothing.
pub fn has_second_factor(tx: &mut dyn Tx, u: &User) -> ApiResult<bool> {
    Ok(u.totp_secret.is_some() || second_factor_phone(tx, u)?.is_some())
}

/// Factors a user can sign in with (password, email codes and links): those the user has,
/// among the instance's enabled strategies.
pub fn first_factors(config: &Config, v: &UserView) -> Vec<Value> {
    let u = &v.user;
    let on = |s: &str| is_enabled(config, s);
    let mut f = Vec::new();
    if u.password_hash.is_some() && on("password") {
        f.push(json!({"strategy": "password"}));
    }
    for e in v.emails.iter().filter(|e| e.verified) {
        for strategy in ["email_code", "email_link"].into_iter().filter(|s| on(s)) {
            f.push(json!({
                "strategy": strategy,
                "safe_identifier": e.email,
                "email_address_id": e.id,
                "primary": u.primary_email_address_id.as_deref() == Some(e.id.as_str()),
            }));
        }
    }
    f
}

/// Second factors reverification offers (sign-ins offer more), those enabled.
pub fn second_factors(config: &Config, u: &User) -> Vec<Value> {
    if u.totp_secret.is_some() && is_enabled(config, "totp") { vec![json!({"strategy": "totp"})] } else { vec![] }
}

/// Password, email codes, passkeys and SMS codes, then (as Clerk lists them) a password-reset code for
/// each address of a user who has a password.
pub fn sign_in_first_factors(config: &Config, v: &UserView) -> Vec<Value> {
    let u = &v.user;
    let mut f = first_factors(config, v);
    let on = |strategy: &str| is_enabled(config, strategy);
    if crate::passkeys::has_passkeys(u) && on("passkey") {
        f.push(json!({"strategy": "passkey"}));
    }
    for p in v.phones.iter().filter(|p| p.verified && on("phone_code")) {
        f.push(json!({
            "strategy": "phone_code",
            "safe_identifier": p.phone,
            "phone_number_id": p.id,
            "primary": u.primary_phone_number_id.as_deref() == Some(p.id.as_str()),
            "default": false,
        }));
    }
    if u.password_hash.is_some() && on("reset_password_email_code") {
        for e in v.emails.iter().filter(|e| e.verified) {
            f.push(json!({
                "strategy": "reset_password_email_code",
                "safe_identifier": e.email,
                "email_address_id": e.id,
                "primary": u.primary_email_address_id.as_deref() == Some(e.id.as_str()),
            }));
        }
    }
    f
}

/// TOTP, the SMS second factor, and backup codes when the user has another second factor.
pub fn sign_in_second_factors(config: &Config, v: &UserView) -> Vec<Value> {
    let u = &v.user;
    let mut f = second_factors(config, u);
    if let Some(p) = v.second_factor_phone().filter(|_| is_enabled(config, "phone_code")) {
        f.push(json!({
            "strategy": "phone_code",
            "safe_identifier": p.phone,
            "phone_number_id": p.id,
            // The app's code is the default where there is one, as Clerk's UI picks it first.
            "default": u.totp_secret.is_none(),
        }));
    }
    if !f.is_empty() && !u.backup_codes.is_empty() && is_enabled(config, "backup_code") {
        f.push(json!({"strategy": "backup_code"}));
    }
    f
}
