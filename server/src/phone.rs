//! Phone numbers: parsed and validated with the `phonenumber` crate (a port of Google's
//! libphonenumber, which Clerk's own validation follows) and stored in E.164 form, so that
//! `+1 (201) 555-0123` and `+12015550123` are one number. SMS codes go to a development outbox
//! beside the email one (`GET /__dev/sms?to=`).

use phonenumber::Mode;
use serde_json::json;

use crate::AppState;
use crate::errors::{ApiError, ApiResult};

/// `input` in E.164 (`+` and digits), or a 422 `form_param_format_invalid` naming `param`.
/// A number must carry its country code: with no default region there is no other way to read
/// it, and Clerk asks clients for the international form too.
pub fn normalize(input: &str, param: &str) -> ApiResult<String> {
    let invalid = |why: &str| {
        ApiError::unprocessable("form_param_format_invalid", format!("{param} must be a valid phone number in international format"))
            .long(format!("`{}` {why}. Use the E.164 form, for example +12015550123.", input.trim()))
            .param(param)
    };
    let trimmed = input.trim();
    if !trimmed.starts_with('+') {
        return Err(invalid("has no country code"));
    }
    let parsed = phonenumber::parse(None, trimmed).map_err(|_| invalid("is not a phone number"))?;
    if !phonenumber::is_valid(&parsed) {
        return Err(invalid("is not a valid number for its country"));
    }
    Ok(parsed.format().mode(Mode::E164).to_string())
}

/// Whether a sign-in identifier is meant as a phone number (emails and usernames never start
/// with `+`).
pub fn looks_like_phone(identifier: &str) -> bool {
    identifier.trim_start().starts_with('+')
}

/// Records an SMS in the development outbox (keyed by the E.164 number, which no email address
/// can equal) and prints it.
pub fn send_sms(st: &AppState, to: &str, code: &str) {
    if st.config.verbose || st.config.dev {
        tracing::info!(to, code, "[sms] sent (development outbox)");
    }
    let msg =
        json!({ "to": to, "channel": "sms", "message": format!("{code} is your verification code"), "code": code, "sent_at": st.now() });
    st.outbox.lock().unwrap_or_else(|p| p.into_inner()).entry(to.to_owned()).or_default().push(msg);
}

/// The `phone_number` object of the Frontend API (clerk-js's `PhoneNumber`).
pub fn phone_json(p: &crate::store::PhoneNumber, default_second_factor: bool) -> serde_json::Value {
    json!({
        "object": "phone_number",
        "id": p.id,
        "phone_number": p.phone,
        "reserved_for_second_factor": p.reserved_for_second_factor,
        "default_second_factor": default_second_factor,
        "verification": match &p.verification {
            Some(v) => v.clone(),
            None if p.verified => json!({"status": "verified", "strategy": "phone_code", "attempts": null, "expire_at": null}),
            None => serde_json::Value::Null,
        },
        "linked_to": [],
        "backup_codes": null,
        "created_at": p.created_at,
        "updated_at": p.created_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_normalised_to_e164_and_bad_ones_refused() {
        assert_eq!(normalize("+1 (201) 555-0123", "phone_number").unwrap(), "+12015550123");
        assert_eq!(normalize(" +44 20 7946 0958 ", "phone_number").unwrap(), "+442079460958");
        for bad in ["2015550123", "+1 555", "+999 1234567", "+1 201 555 0123 4567 8", "hello", "+"] {
            let e = normalize(bad, "phone_number").unwrap_err();
            assert_eq!((e.status.as_u16(), e.code), (422, "form_param_format_invalid"), "{bad}");
            assert_eq!(e.meta["param_name"], "phone_number");
        }
    }
}
