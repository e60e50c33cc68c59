//! SMS codes of a sign-in (`phone_code`), as a first and as a second factor. They are stored and
//! checked like email codes (`issue`/`consume_email_code`: hashed, 10 minutes, single use); the
//! second factor's code is kept under its own owner id, so that a first-factor code sent earlier
//! can never pass as the second factor.

use super::sign_ins::verification;
use crate::AppState;
use crate::errors::{ApiError, ApiResult};
use crate::store::{PhoneNumber, SignIn, Tx};

/// Where the second factor's code of sign-in `id` is kept.
pub fn second_owner(sign_in_id: &str) -> String {
    format!("{sign_in_id}:second_factor")
}

/// The user's verified number `phone_number_id`, or else the primary (or first) one; for the
/// second factor, only numbers reserved for it.
fn pick(tx: &mut dyn Tx, si: &SignIn, phone_number_id: Option<&str>, second: bool) -> ApiResult<PhoneNumber> {
    let user_id = si.user_id.as_deref().unwrap_or_default();
    let user = tx.user(user_id)?.ok_or_else(|| ApiError::not_found("user"))?;
    let phones: Vec<PhoneNumber> =
        tx.phones_of(user_id)?.into_iter().filter(|p| p.verified && (!second || p.reserved_for_second_factor)).collect();
    let found = match phone_number_id {
        Some(id) => phones.into_iter().find(|p| p.id == id),
        None => {
            let primary = user.primary_phone_number_id.clone();
            let first = phones.first().cloned();
            phones.into_iter().find(|p| Some(&p.id) == primary.as_ref()).or(first)
        }
    };
    found.ok_or_else(|| {
        let what = if second { "This account has no phone number as a second factor" } else { "Unknown phone number" };
        ApiError::invalid_param(if phone_number_id.is_some() { "phone_number_id" } else { "strategy" }, what)
    })
}

fn issue(st: &AppState, tx: &mut dyn Tx, owner_id: &str, phone: &str, now: i64) -> ApiResult<i64> {
    super::issue_email_code_as(tx, owner_id, phone, now, |code| crate::phone::send_sms(st, phone, code))
}

/// `prepare_first_factor` with `phone_code`.
pub fn send_first(st: &AppState, tx: &mut dyn Tx, si: &mut SignIn, phone_number_id: Option<&str>, now: i64) -> ApiResult<()> {
    let phone = pick(tx, si, phone_number_id, false)?;
    let expire_at = issue(st, tx, &si.id, &phone.phone, now)?;
    si.first_factor_verification = Some(verification("unverified", "phone_code", Some(expire_at)));
    Ok(())
}

/// `prepare_second_factor` with `phone_code`.
pub fn send_second(st: &AppState, tx: &mut dyn Tx, si: &mut SignIn, phone_number_id: Option<&str>, now: i64) -> ApiResult<()> {
    let phone = pick(tx, si, phone_number_id, true)?;
    let expire_at = issue(st, tx, &second_owner(&si.id), &phone.phone, now)?;
    si.second_factor_verification = Some(verification("unverified", "phone_code", Some(expire_at)));
    Ok(())
}
