//! The user's email addresses and phone numbers, as clerk-js's `EmailAddress` and
//! `PhoneNumber` resources manage them: `user.createEmailAddress()` / `createPhoneNumber()`
//! add an unverified one, `prepareVerification()` sends a code (email: `email_code` to the
//! development outbox, or an `email_link`; phone: `phone_code` to the SMS outbox),
//! `attemptVerification({code})` verifies it, `destroy()` deletes it, and a phone number's
//! `setReservedForSecondFactor()` / `makeDefaultSecondFactor()` make it a second factor.
//!
//! Another user's identifier is a 404, the same answer as one that does not exist. Codes are
//! the sign-in ones (`issue_email_code`: 6 digits, hashed, 10 minutes, single use); a wrong one
//! counts against the user's and the IP's attempt limits.

use axum::extract::{Path, RawQuery, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::me::{Me, with_me};
use super::{Attempt, Fapi, consume_email_code, incorrect_code, issue_email_code, issue_email_code_as};
use crate::AppState;
use crate::account::{self, rules};
use crate::errors::{ApiError, ApiResult};
use crate::extract::{Caller, Input};
use crate::limits::Key;
use crate::render;
use crate::store::{Done, EmailAddress, PhoneNumber, Refused, Tx, TxOutcome};
use crate::util::new_id;

#[derive(Deserialize, Default)]
pub struct IdentifierForm {
    email_address: Option<String>,
    phone_number: Option<String>,
    strategy: Option<String>,
    redirect_url: Option<String>,
    code: Option<String>,
    reserved_for_second_factor: Option<String>,
    default_second_factor: Option<String>,
}

fn pending(strategy: &str, expire_at: i64) -> Value {
    json!({"object": "verification", "status": "unverified", "strategy": strategy, "attempts": 0,
           "expire_at": expire_at, "verified_at_client": null, "error": null})
}

/// A verification done, kept so that the identifier shows which strategy verified it.
fn verified(strategy: &str) -> Value {
    json!({"object": "verification", "status": "verified", "strategy": strategy, "attempts": null, "expire_at": null})
}

fn already_verified() -> ApiError {
    ApiError::unprocessable("verification_already_verified", "This identifier is already verified")
}

/// The prepared verification, if it is for `strategy`; otherwise Clerk's `verification_missing`.
fn expect_prepared(v: &Option<Value>, strategy: &str) -> ApiResult<()> {
    if v.as_ref().is_some_and(|v| v["strategy"] == strategy) {
        return Ok(());
    }
    Err(ApiError::unprocessable("verification_missing", format!("No {strategy} was prepared for this identifier"))
        .long("Call prepare_verification first; codes can be used once.")
        .param("code"))
}

/// One more failed guess on a stored verification (`attempts`, as Clerk counts them).
fn count_attempt(v: &mut Option<Value>) {
    if let Some(v) = v.as_mut() {
        v["attempts"] = json!(v["attempts"].as_i64().unwrap_or(0) + 1);
    }
}

fn own_email(tx: &mut dyn Tx, me: &Me, id: &str) -> ApiResult<EmailAddress> {
    tx.email_by_id(id)?.filter(|e| e.user_id == me.user.id).ok_or_else(|| account::not_found("email address"))
}

fn own_phone(tx: &mut dyn Tx, me: &Me, id: &str) -> ApiResult<PhoneNumber> {
    tx.phone_by_id(id)?.filter(|p| p.user_id == me.user.id).ok_or_else(|| account::not_found("phone number"))
}

fn touch_user(tx: &mut dyn Tx, me: &mut Me) -> ApiResult<()> {
    me.user.updated_at = me.caller.now;
    tx.put_user(&me.user)?;
    Ok(())
}

/// Checks a code against owner `owner_id`'s. A wrong one is counted (on the verification, and
/// against the user and the IP) and answered `Refused`, so that the counts are kept; a missing
/// or expired code is an `Err`.
fn check_code(st: &AppState, tx: &mut dyn Tx, me: &Me, owner_id: &str, code: Option<&str>) -> ApiResult<bool> {
    let code = code.filter(|c| !c.trim().is_empty()).ok_or_else(|| ApiError::missing_param("code"))?;
    let attempt = Attempt::begin(st, tx, &me.caller, None, Key::User(me.user.id.clone()))?;
    let ok = consume_email_code(tx, owner_id, code, me.caller.now)?;
    if !ok {
        attempt.failed(st, tx, &mut 0, &mut None)?;
    }
    Ok(ok)
}

// Email addresses.

/// `POST /v1/me/email_addresses` (`user.createEmailAddress({email})`).
pub async fn create_email(
    State(st): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
    Input(form): Input<IdentifierForm>,
) -> ApiResult<Fapi> {
    with_me(st, caller, q, move |_, tx, _, me| {
        let email = rules::new_email(tx, form.email_address.as_deref())?;
        let e = EmailAddress {
            id: new_id("idn"),
            user_id: me.user.id.clone(),
            email,
            verified: false,
            created_at: me.caller.now,
            verification: None,
        };
        tx.put_email(&e)?;
        touch_user(tx, me)?;
        Ok(Done(render::email_json(&e)))
    })
    .await
}

/// `GET /v1/me/email_addresses/{id}` (`emailAddress.reload()`, what the email-link flow polls).
pub async fn get_email(State(st): State<AppState>, caller: Caller, Path(id): Path<String>, RawQuery(q): RawQuery) -> ApiResult<Fapi> {
    with_me(st, caller, q, move |_, tx, _, me| Ok(Done(render::email_json(&own_email(tx, me, &id)?)))).await
}

/// `POST …/{id}/prepare_verification` with `strategy` `email_code`, or `email_link` and
/// `redirect_url` (where the link lands; an allowed origin).
pub async fn prepare_email(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    Input(form): Input<IdentifierForm>,
) -> ApiResult<Fapi> {
    with_me(st, caller, q, move |st, tx, _, me| {
        let mut e = own_email(tx, me, &id)?;
        if e.verified {
            return Err(already_verified().param("strategy"));
        }
        let strategy = form.strategy.as_deref().ok_or_else(|| ApiError::missing_param("strategy"))?;
        crate::strategies::require(&st.config, strategy)?;
        let now = me.caller.now;
        e.verification = Some(match strategy {
            "email_code" => pending("email_code", issue_email_code(st, tx, &e.id, &e.email, now)?),
            "email_link" => super::email_link::issue(st, tx, "email_address", &e.id, &e.email, form.redirect_url.as_deref(), now)?,
            other => return Err(ApiError::invalid_param("strategy", format!("`{other}` cannot verify an email address"))),
        });
        tx.put_email(&e)?;
        Ok(Done(render::email_json(&e)))
    })
    .await
}

/// `POST …/{id}/attempt_verification` with `code`.
pub async fn attempt_email(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    Input(form): Input<IdentifierForm>,
) -> ApiResult<Fapi> {
    with_me(st, caller, q, move |st, tx, _, me| {
        let mut e = own_email(tx, me, &id)?;
        if e.verified {
            return Err(already_verified().param("code"));
        }
        expect_prepared(&e.verification, "email_code")?;
        if !check_code(st, tx, me, &e.id, form.code.as_deref())? {
            count_attempt(&mut e.verification);
            tx.put_email(&e)?;
            return Ok(Refused(incorrect_code()));
        }
        e.verified = true;
        e.verification = Some(verified("email_code"));
        tx.put_email(&e)?;
        touch_user(tx, me)?;
        Ok(Done(render::email_json(&e)))
    })
    .await
}

/// Marks an address verified by its email link (`email_link::verify`); `false` when it moved on.
pub(super) fn verify_by_link(tx: &mut dyn Tx, id: &str, expired: bool, now: i64) -> ApiResult<bool> {
    let Some(mut e) = tx.email_by_id(id)? else { return Ok(false) };
    if e.verified || !e.verification.as_ref().is_some_and(|v| v["strategy"] == "email_link" && v["status"] == "unverified") {
        return Ok(false);
    }
    if expired {
        e.verification =
            Some(json!({"object": "verification", "status": "expired", "strategy": "email_link", "attempts": null, "expire_at": null}));
    } else {
        e.verified = true;
        e.verification = Some(verified("email_link"));
    }
    tx.put_email(&e)?;
    if let Some(mut u) = tx.user(&e.user_id)? {
        u.updated_at = now;
        tx.put_user(&u)?;
    }
    Ok(true)
}

/// `DELETE /v1/me/email_addresses/{id}` (`emailAddress.destroy()`). The last verified address
/// cannot go; a deleted primary one passes the role to another verified address.
pub async fn delete_email(State(st): State<AppState>, caller: Caller, Path(id): Path<String>, RawQuery(q): RawQuery) -> ApiResult<Fapi> {
    with_me(st, caller, q, move |_, tx, _, me| {
        let e = own_email(tx, me, &id)?;
        rules::can_delete_email(tx, &me.user, &e)?;
        tx.delete_email(&e.id)?;
        tx.delete_email_code(&e.id)?;
        if me.user.primary_email_address_id.as_deref() == Some(e.id.as_str()) {
            me.user.primary_email_address_id = tx.emails_of(&me.user.id)?.into_iter().find(|o| o.verified).map(|o| o.id);
        }
        touch_user(tx, me)?;
        Ok(Done(account::deleted("email_address", &e.id)))
    })
    .await
}

// Phone numbers.

/// `POST /v1/me/phone_numbers` (`user.createPhoneNumber({phoneNumber})`), stored in E.164.
pub async fn create_phone(
    State(st): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
    Input(form): Input<IdentifierForm>,
) -> ApiResult<Fapi> {
    with_me(st, caller, q, move |_, tx, _, me| {
        let phone = rules::new_phone(tx, form.phone_number.as_deref())?;
        let p = PhoneNumber {
            id: new_id("idn"),
            user_id: me.user.id.clone(),
            phone,
            verified: false,
            reserved_for_second_factor: false,
            created_at: me.caller.now,
            verification: None,
            default_second_factor: false,
        };
        tx.put_phone(&p)?;
        touch_user(tx, me)?;
        Ok(Done(crate::phone::phone_json(&p, false)))
    })
    .await
}

/// A phone number as the user's own list shows it (with its `default_second_factor`).
fn phone_value(tx: &mut dyn Tx, me: &Me, id: &str) -> ApiResult<Value> {
    let user = tx.user(&me.user.id)?.ok_or_else(|| account::not_found("user"))?;
    let shown = super::me::user_value(tx, &user)?;
    let found = shown["phone_numbers"].as_array().and_then(|all| all.iter().find(|p| p["id"] == id).cloned());
    found.ok_or_else(|| account::not_found("phone number"))
}

pub async fn get_phone(State(st): State<AppState>, caller: Caller, Path(id): Path<String>, RawQuery(q): RawQuery) -> ApiResult<Fapi> {
    with_me(st, caller, q, move |_, tx, _, me| {
        own_phone(tx, me, &id)?;
        Ok(Done(phone_value(tx, me, &id)?))
    })
    .await
}

/// `POST …/{id}/prepare_verification` with `strategy=phone_code`: an SMS code.
pub async fn prepare_phone(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    Input(form): Input<IdentifierForm>,
) -> ApiResult<Fapi> {
    with_me(st, caller, q, move |st, tx, _, me| {
        let mut p = own_phone(tx, me, &id)?;
        if p.verified {
            return Err(already_verified().param("strategy"));
        }
        let strategy = form.strategy.as_deref().unwrap_or("phone_code");
        if strategy != "phone_code" {
            return Err(ApiError::invalid_param("strategy", format!("`{strategy}` cannot verify a phone number")));
        }
        crate::strategies::require(&st.config, strategy)?;
        let number = p.phone.clone();
        let expire_at = issue_email_code_as(tx, &p.id, &number, me.caller.now, |code| crate::phone::send_sms(st, &number, code))?;
        p.verification = Some(pending("phone_code", expire_at));
        tx.put_phone(&p)?;
        Ok(Done(phone_value(tx, me, &id)?))
    })
    .await
}

/// `POST …/{id}/attempt_verification` with `code`. The user's first verified number becomes
/// the primary one.
pub async fn attempt_phone(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    Input(form): Input<IdentifierForm>,
) -> ApiResult<Fapi> {
    with_me(st, caller, q, move |st, tx, _, me| {
        let mut p = own_phone(tx, me, &id)?;
        if p.verified {
            return Err(already_verified().param("code"));
        }
        expect_prepared(&p.verification, "phone_code")?;
        if !check_code(st, tx, me, &p.id, form.code.as_deref())? {
            count_attempt(&mut p.verification);
            tx.put_phone(&p)?;
            return Ok(Refused(incorrect_code()));
        }
        p.verified = true;
        p.verification = Some(verified("phone_code"));
        tx.put_phone(&p)?;
        if me.user.primary_phone_number_id.is_none() {
            me.user.primary_phone_number_id = Some(p.id.clone());
        }
        touch_user(tx, me)?;
        Ok(Done(phone_value(tx, me, &id)?))
    })
    .await
}

fn flag(v: Option<&str>, param: &str) -> ApiResult<Option<bool>> {
    match v {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(ApiError::invalid_param(param, format!("{param} must be true or false"))),
    }
}

/// `PATCH /v1/me/phone_numbers/{id}`: `reserved_for_second_factor` (a verified number only)
/// and `default_second_factor=true` (a reserved one). The user's first second factor comes
/// with a fresh set of backup codes, shown once in the answer's `backup_codes`, as Clerk does.
pub async fn update_phone(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    Input(form): Input<IdentifierForm>,
) -> ApiResult<Fapi> {
    with_me(st, caller, q, move |_, tx, _, me| update_phone_body(tx, me, &id, &form)).await
}

fn update_phone_body(tx: &mut dyn Tx, me: &mut Me, id: &str, form: &IdentifierForm) -> TxOutcome<Value, ApiError> {
    let mut p = own_phone(tx, me, id)?;
    let reserve = flag(form.reserved_for_second_factor.as_deref(), "reserved_for_second_factor")?;
    let make_default = flag(form.default_second_factor.as_deref(), "default_second_factor")?;
    let had_second_factor = crate::factors::has_second_factor(tx, &me.user)?;
    if let Some(r) = reserve {
        if r && !p.verified {
            return Err(ApiError::unprocessable(
                "identification_update_second_factor_unverified",
                "Verify this phone number before using it as a second factor",
            )
            .param("reserved_for_second_factor"));
        }
        p.reserved_for_second_factor = r;
        p.default_second_factor &= r;
    }
    tx.put_phone(&p)?;
    // Backup codes stand in for a second factor; with none left they go too.
    if !crate::factors::has_second_factor(tx, &me.user)? {
        me.user.backup_codes.clear();
    }
    if let Some(d) = make_default {
        if !p.reserved_for_second_factor {
            return Err(ApiError::invalid_param("default_second_factor", "Only a number reserved for second factor can be the default"));
        }
        if !d {
            return Err(ApiError::unprocessable(
                "form_disable_default_second_factor_not_allowed",
                "Make another second factor the default instead",
            )
            .param("default_second_factor"));
        }
        for mut other in tx.phones_of(&me.user.id)?.into_iter().filter(|o| o.id != p.id && o.default_second_factor) {
            other.default_second_factor = false;
            tx.put_phone(&other)?;
        }
        p.default_second_factor = true;
    }
    tx.put_phone(&p)?;
    let mut codes = None;
    if !had_second_factor && p.reserved_for_second_factor && me.user.backup_codes.is_empty() {
        codes = Some(super::backup_codes::regenerate(&mut me.user));
    }
    touch_user(tx, me)?;
    let mut v = phone_value(tx, me, id)?;
    if let Some(codes) = codes {
        v["backup_codes"] = json!(codes);
    }
    Ok(Done(v))
}

/// `DELETE /v1/me/phone_numbers/{id}` (`phoneNumber.destroy()`); phone numbers are optional
/// here, so any can go. A deleted primary one passes the role to another verified number.
pub async fn delete_phone(State(st): State<AppState>, caller: Caller, Path(id): Path<String>, RawQuery(q): RawQuery) -> ApiResult<Fapi> {
    with_me(st, caller, q, move |_, tx, _, me| {
        let p = own_phone(tx, me, &id)?;
        tx.delete_phone(&p.id)?;
        tx.delete_email_code(&p.id)?;
        if me.user.primary_phone_number_id.as_deref() == Some(p.id.as_str()) {
            me.user.primary_phone_number_id = tx.phones_of(&me.user.id)?.into_iter().find(|o| o.verified).map(|o| o.id);
        }
        if !crate::factors::has_second_factor(tx, &me.user)? {
            me.user.backup_codes.clear();
        }
        touch_user(tx, me)?;
        Ok(Done(account::deleted("phone_number", &p.id)))
    })
    .await
}
