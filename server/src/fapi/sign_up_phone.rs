//! The phone number of a sign-up: optional here (the instance requires an email address and a
//! password), but once given it is an identifier, so it must be verified with an SMS code
//! (`prepare_verification` / `attempt_verification` with `strategy=phone_code`) before the
//! sign-up can complete. The code is kept apart from the email code of the same sign-up.

use serde_json::json;

use super::issue_email_code_as;
use crate::AppState;
use crate::errors::{ApiError, ApiResult};
use crate::store::{SignUp, Tx};

/// Where the sign-up's SMS code is kept (its email code is under the sign-up's own id).
pub fn owner(sign_up_id: &str) -> String {
    format!("{sign_up_id}:phone_number")
}

/// Sets the sign-up's number (normalised); a new number needs verifying again.
pub fn apply(tx: &mut dyn Tx, su: &mut SignUp, input: &str) -> ApiResult<()> {
    let phone = crate::phone::normalize(input, "phone_number")?;
    if tx.phone(&phone)?.is_some() {
        return Err(
            ApiError::unprocessable("form_identifier_exists", "That identifier is taken. Please try another.").param("phone_number")
        );
    }
    if su.phone_number.as_deref() != Some(phone.as_str()) {
        su.phone_number = Some(phone);
        su.phone_verified = false;
        su.phone_verification = None;
    }
    Ok(())
}

/// `prepare_verification` with `phone_code`: an SMS to the sign-up's number.
pub fn prepare(st: &AppState, tx: &mut dyn Tx, su: &mut SignUp, now: i64) -> ApiResult<()> {
    let phone = su.phone_number.clone().ok_or_else(|| ApiError::missing_param("phone_number"))?;
    let expire_at = issue_email_code_as(tx, &owner(&su.id), &phone, now, |code| crate::phone::send_sms(st, &phone, code))?;
    su.phone_verification = Some(verification("unverified", Some(expire_at)));
    Ok(())
}

/// Marks the number verified (the code was checked by the caller).
pub fn verified(su: &mut SignUp) {
    su.phone_verified = true;
    su.phone_verification = Some(verification("verified", None));
}

fn verification(status: &str, expire_at: Option<i64>) -> serde_json::Value {
    json!({ "object": "verification", "status": status, "strategy": "phone_code", "attempts": null, "expire_at": expire_at })
}
