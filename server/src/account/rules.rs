//! What a change to an account must satisfy, with Clerk's error codes and `meta.param_name`.
//! Shared by the Frontend API (the user) and the Backend API (the app).

use serde_json::{Map, Value};

use crate::errors::{ApiError, ApiResult};
use crate::store::{EmailAddress, PhoneNumber, Tx, User};

/// Clerk's limit on first and last names.
pub const NAME_MAX_CHARS: usize = 256;
/// Clerk's limit on each metadata object, serialised.
pub const METADATA_MAX_BYTES: usize = 8 * 1024;
/// Clerk's default username length rule.
pub const USERNAME_CHARS: std::ops::RangeInclusive<usize> = 4..=64;

/// A first or last name: trimmed, empty means none, at most [`NAME_MAX_CHARS`].
pub fn name(value: &str, param: &str) -> ApiResult<Option<String>> {
    let v = value.trim();
    if v.chars().count() > NAME_MAX_CHARS {
        return Err(ApiError::unprocessable(
            "form_param_max_length_exceeded",
            format!("{param} must be at most {NAME_MAX_CHARS} characters"),
        )
        .long(format!("`{param}` must be at most {NAME_MAX_CHARS} characters long."))
        .param(param));
    }
    Ok(Some(v.to_owned()).filter(|v| !v.is_empty()))
}

/// A username for `user_id`: empty removes it; otherwise 4-64 letters, digits, `-` or `_`, not
/// only digits, and not another user's.
pub fn username(tx: &mut dyn Tx, user_id: &str, value: &str) -> ApiResult<Option<String>> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let (min, max) = (*USERNAME_CHARS.start(), *USERNAME_CHARS.end());
    if !USERNAME_CHARS.contains(&v.chars().count()) {
        return Err(ApiError::unprocessable(
            "form_username_invalid_length",
            format!("Usernames must be between {min} and {max} characters long."),
        )
        .meta(serde_json::json!({"param_name": "username", "min_length": min, "max_length": max})));
    }
    if !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(ApiError::unprocessable("form_username_invalid_character", "Usernames may contain only letters, digits, - and _.")
            .param("username"));
    }
    if v.chars().all(|c| c.is_ascii_digit()) {
        return Err(ApiError::unprocessable(
            "form_username_needs_non_number_char",
            "Usernames must contain at least one non-numeric character.",
        )
        .param("username"));
    }
    if tx.user_by_username(v)?.is_some_and(|u| u.id != user_id) {
        return Err(ApiError::unprocessable("form_identifier_exists", "That username is taken. Please try another.").param("username"));
    }
    Ok(Some(v.to_owned()))
}

/// A new password under `param`: the rules sign-up and reset use (8 characters or more, at most
/// 128 bytes), reported under the field's own name.
pub fn new_password(password: &str, param: &str) -> ApiResult<()> {
    crate::fapi::check_new_password(password).map_err(|mut e| {
        e.meta = serde_json::json!({ "param_name": param });
        e
    })
}

/// A metadata object sent as JSON text (clerk-js stringifies `unsafeMetadata`), at most
/// [`METADATA_MAX_BYTES`].
pub fn metadata_text(text: &str, param: &str) -> ApiResult<Value> {
    let v: Value = serde_json::from_str(text).map_err(|_| {
        ApiError::unprocessable("form_param_format_invalid", format!("{param} must be a JSON object"))
            .long(format!("`{param}` must be a JSON object."))
            .param(param)
    })?;
    metadata_value(v, param)
}

/// A metadata object already parsed (Backend API JSON bodies).
pub fn metadata_value(v: Value, param: &str) -> ApiResult<Value> {
    if !v.is_object() {
        return Err(ApiError::unprocessable("form_param_format_invalid", format!("{param} must be a JSON object")).param(param));
    }
    if serde_json::to_vec(&v).map_or(0, |b| b.len()) > METADATA_MAX_BYTES {
        return Err(ApiError::unprocessable("form_param_exceeds_allowed_size", format!("{param} exceeds the maximum allowed size"))
            .long(format!("`{param}` must be at most {METADATA_MAX_BYTES} bytes of JSON."))
            .param(param));
    }
    Ok(v)
}

/// RFC 7396 JSON merge patch: objects merge key by key, `null` deletes, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let t = target.as_object_mut().expect("made an object above");
    for (k, v) in p {
        if v.is_null() {
            t.remove(k);
        } else {
            merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

/// Merges `patch` into `metadata`; the result must still be within the size limit.
pub fn merge_metadata(metadata: &Value, patch: &Value, param: &str) -> ApiResult<Value> {
    let mut merged = metadata.clone();
    merge_patch(&mut merged, patch);
    metadata_value(merged, param)
}

/// The user's email address `id`, for a body parameter: unknown or someone else's is 422
/// `form_resource_not_found`; one not verified cannot become primary.
pub fn primary_email(tx: &mut dyn Tx, user: &User, id: &str, param: &str) -> ApiResult<EmailAddress> {
    let e = tx.email_by_id(id)?.filter(|e| e.user_id == user.id).ok_or_else(|| resource_param(param, "email address"))?;
    if !e.verified {
        return Err(unverified_primary(param));
    }
    Ok(e)
}

/// As [`primary_email`], for phone numbers.
pub fn primary_phone(tx: &mut dyn Tx, user: &User, id: &str, param: &str) -> ApiResult<PhoneNumber> {
    let p = tx.phone_by_id(id)?.filter(|p| p.user_id == user.id).ok_or_else(|| resource_param(param, "phone number"))?;
    if !p.verified {
        return Err(unverified_primary(param));
    }
    Ok(p)
}

fn resource_param(param: &str, what: &str) -> ApiError {
    ApiError::unprocessable("form_resource_not_found", format!("No {what} was found with the given `{param}`")).param(param)
}

/// Only a verified identifier can be primary. The code is Clerk's `form_verification_needed`
/// (its error list's "identification needed"); the message is ours.
fn unverified_primary(param: &str) -> ApiError {
    ApiError::unprocessable("form_verification_needed", "Verify this identifier before making it primary")
        .long(format!("The identifier named by `{param}` is not verified yet; verify it first."))
        .param(param)
}

/// The address of a new email identifier, or 422 (format, or taken by anyone).
pub fn new_email(tx: &mut dyn Tx, value: Option<&str>) -> ApiResult<String> {
    let email = value.map(str::trim).filter(|e| !e.is_empty()).ok_or_else(|| ApiError::missing_param("email_address"))?;
    if !crate::util::is_plausible_email(email) {
        return Err(
            ApiError::unprocessable("form_param_format_invalid", "email_address must be a valid email address.").param("email_address")
        );
    }
    if tx.email(email)?.is_some() {
        return Err(
            ApiError::unprocessable("form_identifier_exists", "That email address is taken. Please try another.").param("email_address")
        );
    }
    Ok(email.to_owned())
}

/// A new phone identifier in E.164, or 422 (format, or taken by anyone).
pub fn new_phone(tx: &mut dyn Tx, value: Option<&str>) -> ApiResult<String> {
    let raw = value.map(str::trim).filter(|p| !p.is_empty()).ok_or_else(|| ApiError::missing_param("phone_number"))?;
    let phone = crate::phone::normalize(raw, "phone_number")?;
    if tx.phone(&phone)?.is_some() {
        return Err(
            ApiError::unprocessable("form_identifier_exists", "That phone number is taken. Please try another.").param("phone_number")
        );
    }
    Ok(phone)
}

/// Email is this instance's required identifier: the last verified address cannot go
/// (Clerk's `last_required_identification_deletion_failed`).
pub fn can_delete_email(tx: &mut dyn Tx, user: &User, e: &EmailAddress) -> ApiResult<()> {
    if e.verified && !tx.emails_of(&user.id)?.iter().any(|o| o.id != e.id && o.verified) {
        return Err(ApiError::unprocessable("last_required_identification_deletion_failed", "You cannot delete your last email address")
            .long("An email address is required on this instance: add and verify another one before deleting this one."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut t = json!({"a": "b", "c": {"d": "e", "f": "g"}, "keep": [1]});
        merge_patch(&mut t, &json!({"a": "z", "c": {"f": null, "h": 1}, "new": {"x": null}}));
        assert_eq!(t, json!({"a": "z", "c": {"d": "e", "h": 1}, "keep": [1], "new": {}}));
        let mut t = json!({"a": [1, 2]});
        merge_patch(&mut t, &json!({"a": [3]}));
        assert_eq!(t, json!({"a": [3]}));
    }

    #[test]
    fn names_and_metadata_are_bounded() {
        assert_eq!(name("  Ada ", "first_name").unwrap().as_deref(), Some("Ada"));
        assert_eq!(name("   ", "first_name").unwrap(), None);
        let e = name(&"x".repeat(NAME_MAX_CHARS + 1), "last_name").unwrap_err();
        assert_eq!((e.code, e.meta["param_name"].as_str()), ("form_param_max_length_exceeded", Some("last_name")));
        assert!(metadata_text("[1]", "unsafe_metadata").is_err());
        assert!(metadata_text("{", "unsafe_metadata").is_err());
        let big = json!({"k": "x".repeat(METADATA_MAX_BYTES)});
        assert_eq!(metadata_value(big, "unsafe_metadata").unwrap_err().code, "form_param_exceeds_allowed_size");
    }
}
