//! Sign-ins: identifier, then a first factor (password, email code or link, SMS code, passkey,
//! OAuth), then a second factor (TOTP, SMS code, backup code) if the user has one. Failed attempts are counted per sign-in and lock it out at the limit.

use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    Attempt, AttemptScope, CookieChange, Fapi, Reply, answer, answer_checked, check_lock, consume_email_code, create_session, ctx,
    ensure_client, find_client, forget_new_client, incorrect_code, incorrect_password, issue_email_code,
};
use crate::AppState;
use crate::checks::Checks;
use crate::errors::{ApiError, ApiResult};
use crate::extract::{Caller, Input};
use crate::limits::Key;
use crate::render;
use crate::store::{Client, Done, Outcome, Refused, SignIn, Tx, User};
use crate::util::new_id;
use crate::views;

#[derive(Deserialize, Default)]
pub struct SignInForm {
    identifier: Option<String>,
    strategy: Option<String>,
    password: Option<String>,
    code: Option<String>,
    email_address_id: Option<String>,
    phone_number_id: Option<String>,
    /// A passkey assertion, as clerk-js serialises it (JSON).
    public_key_credential: Option<String>,
    redirect_url: Option<String>,
    action_complete_redirect_url: Option<String>,
    /// `create({transfer: true})`: sign in the account a sign-up found to exist (OAuth).
    transfer: Option<String>,
}

/// Finds a user by email address, phone number (any spelling of it) or username.
fn user_by_identifier(tx: &mut dyn Tx, identifier: &str) -> ApiResult<Option<User>> {
    let identifier = identifier.trim();
    if crate::phone::looks_like_phone(identifier) {
        let number = crate::phone::normalize(identifier, "identifier")?;
        // Only verified identifiers sign in (an address added to an account and not verified
        // yet is not the user's until it is).
        return Ok(match tx.phone(&number)?.filter(|p| p.verified) {
            Some(p) => tx.user(&p.user_id)?,
            None => None,
        });
    }
    if let Some(e) = tx.email(identifier)? {
        return Ok(if e.verified { tx.user(&e.user_id)? } else { None });
    }
    Ok(tx.user_by_username(identifier)?)
}

pub(super) fn verification(status: &str, strategy: &str, expire_at: Option<i64>) -> Value {
    json!({ "object": "verification", "status": status, "strategy": strategy, "attempts": null, "expire_at": expire_at })
}

/// The caller's sign-in `id` (sign-ins of other clients are 404).
pub(super) fn client_sign_in(tx: &mut dyn Tx, caller: &Caller, id: &str) -> ApiResult<(Client, SignIn)> {
    let client = find_client(tx, caller)?.ok_or_else(|| ApiError::not_found("sign in"))?;
    match tx.sign_in(id)? {
        Some(si) if si.client_id == client.id => Ok((client, si)),
        _ => Err(ApiError::not_found("sign in")),
    }
}

/// Refuses a step the sign-in is not at (e.g. a second factor before the first).
pub(super) fn expect_status(si: &SignIn, wanted: &str) -> ApiResult<()> {
    if si.status == wanted { Ok(()) } else { Err(ApiError::unprocessable("sign_in_status_invalid", format!("Sign-in is {}", si.status))) }
}

/// Emails a sign-in code to `email_address_id` (default: the primary address). `strategy` is
/// `email_code` or `reset_password_email_code`; the attempt must name the same one.
fn send_sign_in_code(
    st: &AppState,
    tx: &mut dyn Tx,
    si: &mut SignIn,
    strategy: &str,
    email_address_id: Option<String>,
    now: i64,
) -> ApiResult<()> {
    let user_id = si.user_id.clone().unwrap_or_default();
    let user = tx.user(&user_id)?.ok_or_else(|| ApiError::not_found("user"))?;
    if strategy == RESET && user.password_hash.is_none() {
        return Err(ApiError::invalid_param("strategy", "This account has no password to reset"));
    }
    let wanted = email_address_id.or(user.primary_email_address_id.clone());
    let email = tx
        .emails_of(&user_id)?
        .into_iter()
        .find(|e| e.verified && Some(&e.id) == wanted.as_ref())
        .ok_or_else(|| ApiError::invalid_param("email_address_id", "Unknown email address"))?;
    let expire_at = issue_email_code(st, tx, &si.id, &email.email, now)?;
    si.first_factor_verification = Some(verification("unverified", strategy, Some(expire_at)));
    Ok(())
}

/// The password-reset first factor (`signIn.resetPassword` follows it).
pub(super) const RESET: &str = "reset_password_email_code";

/// The strategy the pending first-factor verification was prepared for.
fn prepared_strategy(si: &SignIn) -> Option<&str> {
    si.first_factor_verification.as_ref().and_then(|v| v["strategy"].as_str())
}

/// Emails a sign-in link to `email_address_id` (default: the primary address).
fn send_sign_in_link(st: &AppState, tx: &mut dyn Tx, si: &mut SignIn, form: &SignInForm, now: i64) -> ApiResult<()> {
    let user_id = si.user_id.clone().unwrap_or_default();
    let user = tx.user(&user_id)?.ok_or_else(|| ApiError::not_found("user"))?;
    let wanted = form.email_address_id.clone().or(user.primary_email_address_id.clone());
    let email = tx
        .emails_of(&user_id)?
        .into_iter()
        .find(|e| e.verified && Some(&e.id) == wanted.as_ref())
        .ok_or_else(|| ApiError::invalid_param("email_address_id", "Unknown email address"))?;
    let v = super::email_link::issue(st, tx, "sign_in", &si.id, &email.email, form.redirect_url.as_deref(), now)?;
    si.first_factor_verification = Some(v);
    Ok(())
}

/// `create({transfer: true})`: the account an OAuth sign-up found to exist signs in.
fn transfer_from_sign_up(tx: &mut dyn Tx, client: &mut Client, si: &mut SignIn, now: i64) -> ApiResult<()> {
    let nothing = || ApiError::invalid_param("transfer", "There is no sign-up to transfer");
    let su_id = client.sign_up_id.clone().ok_or_else(nothing)?;
    let (strategy, identity) = super::oauth::take_transfer(tx, &su_id, now)?.ok_or_else(nothing)?;
    let account = tx.external_account(strategy.trim_start_matches("oauth_"), &identity.sub)?;
    let mut user = account.map(|a| tx.user(&a.user_id)).transpose()?.flatten().ok_or_else(nothing)?;
    if tx.sessions_of_client(&client.id)?.iter().any(|s| s.user_id == user.id && s.effective_status(now).is_signed_in()) {
        return Err(ApiError::unprocessable("identifier_already_signed_in", "You're already signed in"));
    }
    si.identifier = Some(identity.email.clone());
    si.user_id = Some(user.id.clone());
    client.sign_up_id = None;
    first_factor_passed(tx, client, si, &mut user, &strategy, now)
}

/// First factor verified: either ask for the second factor or create the session.
pub(super) fn first_factor_passed(
    tx: &mut dyn Tx,
    client: &mut Client,
    si: &mut SignIn,
    user: &mut User,
    strategy: &str,
    now: i64,
) -> ApiResult<()> {
    si.first_factor_verification = Some(verification("verified", strategy, None));
    client.last_authentication_strategy = Some(strategy.to_owned());
    // A passkey is itself two factors (the device, and the biometric or PIN that unlocks it,
    // which webauthn-rs requires): Clerk asks for no second factor after it.
    if strategy != "passkey" && crate::factors::has_second_factor(tx, user)? {
        si.status = "needs_second_factor".into();
        Ok(())
    } else {
        complete(tx, client, si, user, false, now)
    }
}

fn complete(tx: &mut dyn Tx, client: &mut Client, si: &mut SignIn, user: &mut User, second_factor: bool, now: i64) -> ApiResult<()> {
    let s = create_session(tx, client, user, now, second_factor)?;
    si.status = "complete".into();
    si.created_session_id = Some(s.id);
    // A finished sign-in no longer hangs off the client (it stays readable by id).
    client.sign_in_id = None;
    Ok(())
}

/// Saves the sign-in and client and answers `{response: sign_in, client}`.
pub(super) fn respond(
    st: &AppState,
    tx: &mut dyn Tx,
    client: &mut Client,
    si: &mut SignIn,
    caller: &Caller,
    cookie: CookieChange,
) -> ApiResult<Reply> {
    si.updated_at = caller.now;
    tx.put_sign_in(si)?;
    client.updated_at = caller.now;
    tx.put_client(client)?;
    let v = views::sign_in(&st.config, tx, si, caller.now)?;
    Reply::new(caller).envelope(st, tx, client, move |_| render::sign_in_json(&v), cookie)
}

/// Runs a first-factor attempt. `Refused` is a failed attempt that has been counted.
#[allow(clippy::too_many_arguments)]
fn attempt_first_factor(
    st: &AppState,
    checks: &Checks,
    caller: &Caller,
    tx: &mut dyn Tx,
    client: &mut Client,
    si: &mut SignIn,
    form: &SignInForm,
    now: i64,
) -> ApiResult<Outcome<(), ApiError>> {
    let strategy = form.strategy.as_deref().unwrap_or(if form.password.is_some() { "password" } else { "email_code" });
    crate::strategies::require(&st.config, strategy)?;
    let mut user = si
        .user_id
        .as_deref()
        .map(|id| tx.user(id))
        .transpose()?
        .flatten()
        .ok_or_else(|| ApiError::unprocessable("sign_in_identifier_missing", "Enter an identifier first").param("identifier"))?;
    let attempt = Attempt::begin(st, tx, caller, si.locked_until, Key::User(user.id.clone()))?;
    let passed = match strategy {
        "password" => {
            let password = form.password.as_deref().ok_or_else(|| ApiError::missing_param("password"))?;
            attempt.password(checks, &user, password)?
        }
        "email_code" | "phone_code" | RESET => {
            let code = form.code.as_deref().ok_or_else(|| ApiError::missing_param("code"))?;
            // A reset code opens the reset step and a sign-in code signs in: neither stands in
            // for the other.
            if prepared_strategy(si) != Some(strategy) {
                return Err(ApiError::unprocessable("verification_missing", format!("No {strategy} was prepared for this sign-in"))
                    .long("Call prepare_first_factor with this strategy first.")
                    .param("code"));
            }
            consume_email_code(tx, &si.id, code, now)?
        }
        "passkey" => {
            let credential = form.public_key_credential.as_deref().ok_or_else(|| ApiError::missing_param("public_key_credential"))?;
            // The challenge is good once, and only until it expires.
            let expired = si.first_factor_verification.as_ref().and_then(|v| v["expire_at"].as_i64()).is_some_and(|t| t <= now);
            let state = match si.passkey_challenge.take() {
                Some(_) if expired => {
                    return Err(ApiError::unprocessable("verification_expired", "This passkey challenge has expired")
                        .param("public_key_credential"));
                }
                Some(state) => state,
                None => {
                    return Err(ApiError::unprocessable("verification_missing", "No passkey challenge was prepared for this sign-in")
                        .long("Call prepare_first_factor with strategy passkey first; each challenge can be used once.")
                        .param("public_key_credential"));
                }
            };
            crate::passkeys::finish_authentication(st, caller.origin.as_deref(), &state, credential, &mut user, now)?
        }
        other => {
            return Err(ApiError::invalid_param("strategy", format!("Unsupported strategy `{other}`")));
        }
    };
    if !passed {
        attempt.failed(st, tx, &mut si.failed_attempts, &mut si.locked_until)?;
        return Ok(Refused(match strategy {
            "password" => incorrect_password(),
            "passkey" => ApiError::unprocessable("passkey_invalid", "The passkey could not be verified").param("public_key_credential"),
            _ => incorrect_code(),
        }));
    }
    si.failed_attempts = 0;
    if strategy == RESET {
        // The email is proven; the sign-in waits for the new password (`reset_password`).
        si.first_factor_verification = Some(verification("verified", RESET, None));
        si.status = "needs_new_password".into();
        return Ok(Done(()));
    }
    first_factor_passed(tx, client, si, &mut user, strategy, now)?;
    Ok(Done(()))
}

/// `POST /v1/client/sign_ins`: creates a sign-in; with `password` it is attempted at once.
pub async fn create(State(st): State<AppState>, caller: Caller, Input(form): Input<SignInForm>) -> ApiResult<Fapi> {
    answer_checked(&st, move |st, tx, checks| {
        let ctx = ctx(&caller);
        let (mut client, cookie) = ensure_client(tx, &caller, ctx.now)?;
        let mut si = SignIn {
            id: new_id("sia"),
            client_id: client.id.clone(),
            status: "needs_identifier".into(),
            identifier: None,
            user_id: None,
            first_factor_verification: None,
            second_factor_verification: None,
            failed_attempts: 0,
            locked_until: None,
            created_session_id: None,
            created_at: ctx.now,
            updated_at: ctx.now,
            abandon_at: ctx.now + 24 * 3600 * 1000,
            passkey_challenge: None,
        };
        if let Some(strategy) = form.strategy.as_deref() {
            crate::strategies::require(&st.config, strategy)?;
        }
        if form.transfer.as_deref() == Some("true") {
            // Set first: a transfer that completes takes the sign-in off the client again.
            client.sign_in_id = Some(si.id.clone());
            transfer_from_sign_up(tx, &mut client, &mut si, ctx.now)?;
            return Ok(Done(respond(st, tx, &mut client, &mut si, &caller, cookie)?));
        }
        if let Some(strategy) = form.strategy.as_deref().filter(|s| crate::strategies::is_oauth(s)) {
            let v = super::oauth::start(
                st,
                tx,
                "sign_in",
                &si.id,
                strategy,
                form.redirect_url.as_deref(),
                form.action_complete_redirect_url.as_deref(),
                ctx.now,
            );
            let v = match v {
                Ok(v) => v,
                Err(e) => {
                    forget_new_client(tx, &client, &cookie)?;
                    return Err(e);
                }
            };
            si.first_factor_verification = Some(v);
            client.sign_in_id = Some(si.id.clone());
            return Ok(Done(respond(st, tx, &mut client, &mut si, &caller, cookie)?));
        }
        if let Some(identifier) = form.identifier.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
            // Unknown identifiers count against the IP, which bounds account probing.
            let ip_scope = AttemptScope::new(&caller, None);
            ip_scope.check(st, tx, ctx.now)?;
            let Some(user) = user_by_identifier(tx, identifier)? else {
                // Committed, so that the failure counts; a client made by this request goes.
                ip_scope.failed(st, tx, ctx.now)?;
                forget_new_client(tx, &client, &cookie)?;
                return Ok(Refused(
                    ApiError::unprocessable("form_identifier_not_found", "Couldn't find your account.").param("identifier"),
                ));
            };
            // Multi-session: a user can be signed in once per client. Single-session: only the
            // signed-in user may sign in again, and that new session replaces the old one
            // (`create_session`).
            let signed_in: Vec<String> = tx
                .sessions_of_client(&client.id)?
                .into_iter()
                .filter(|s| s.effective_status(ctx.now).is_signed_in())
                .map(|s| s.user_id)
                .collect();
            if st.config.single_session {
                if signed_in.iter().any(|u| *u != user.id) {
                    return Err(super::session_exists());
                }
            } else if signed_in.contains(&user.id) {
                return Err(ApiError::unprocessable("identifier_already_signed_in", "You're already signed in").param("identifier"));
            }
            si.identifier = Some(identifier.to_owned());
            si.user_id = Some(user.id.clone());
            si.status = "needs_first_factor".into();
        }
        client.sign_in_id = Some(si.id.clone());
        let wants_password = form.strategy.as_deref() == Some("password") || form.password.is_some();
        let outcome = if si.user_id.is_some() && wants_password {
            attempt_first_factor(st, checks, &caller, tx, &mut client, &mut si, &form, ctx.now)?
        } else {
            // `signIn.create({identifier, strategy: "email_code" | "phone_code"})` prepares at once.
            match (&si.user_id, form.strategy.as_deref()) {
                (Some(_), Some("email_code")) => send_sign_in_code(st, tx, &mut si, "email_code", form.email_address_id.clone(), ctx.now)?,
                (Some(_), Some("phone_code")) => super::phone_codes::send_first(st, tx, &mut si, form.phone_number_id.as_deref(), ctx.now)?,
                _ => {}
            }
            if si.user_id.is_some() && form.strategy.as_deref() == Some("email_link") {
                send_sign_in_link(st, tx, &mut si, &form, ctx.now)?;
            }
            Done(())
        };
        if let Refused(failure) = outcome {
            if matches!(cookie, CookieChange::Set(_)) {
                // The first request of a new client failed: no cookie goes out with an error, so
                // the client and its sign-in would be unreachable. Only the failure counts stay.
                forget_new_client(tx, &client, &cookie)?;
                return Ok(Refused(failure));
            }
            respond(st, tx, &mut client, &mut si, &caller, cookie)?;
            return Ok(Refused(failure));
        }
        Ok(Done(respond(st, tx, &mut client, &mut si, &caller, cookie)?))
    })
    .await
}

pub async fn get(State(st): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Fapi> {
    answer(&st, move |st, tx| {
        let (client, si) = client_sign_in(tx, &caller, &id)?;
        let v = views::sign_in(&st.config, tx, &si, caller.now)?;
        Ok(Done(Reply::new(&caller).envelope(st, tx, &client, move |_| render::sign_in_json(&v), CookieChange::Keep)?))
    })
    .await
}

/// `prepare_first_factor` with `strategy=email_code` sends a code; `password` needs nothing.
pub async fn prepare_first(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Input(form): Input<SignInForm>,
) -> ApiResult<Fapi> {
    answer(&st, move |st, tx| {
        let ctx = ctx(&caller);
        let (mut client, mut si) = client_sign_in(tx, &caller, &id)?;
        check_lock(si.locked_until, ctx.now)?;
        expect_status(&si, "needs_first_factor")?;
        if let Some(strategy) = form.strategy.as_deref() {
            crate::strategies::require(&st.config, strategy)?;
        }
        match form.strategy.as_deref() {
            Some(s @ ("email_code" | RESET)) => send_sign_in_code(st, tx, &mut si, s, form.email_address_id.clone(), ctx.now)?,
            Some("phone_code") => super::phone_codes::send_first(st, tx, &mut si, form.phone_number_id.as_deref(), ctx.now)?,
            Some("passkey") => {
                let user = tx.user(si.user_id.as_deref().unwrap_or_default())?.ok_or_else(|| ApiError::not_found("user"))?;
                let (nonce, state) = crate::passkeys::start_authentication(st, caller.origin.as_deref(), &user)?;
                let mut v = verification("unverified", "passkey", Some(ctx.now + super::CODE_TTL_MS));
                v["nonce"] = Value::String(nonce);
                si.first_factor_verification = Some(v);
                si.passkey_challenge = Some(state);
            }
            Some("email_link") => send_sign_in_link(st, tx, &mut si, &form, ctx.now)?,
            Some("password") => {}
            Some(other) => return Err(ApiError::invalid_param("strategy", format!("Unsupported strategy `{other}`"))),
            None => return Err(ApiError::missing_param("strategy")),
        }
        Ok(Done(respond(st, tx, &mut client, &mut si, &caller, CookieChange::Keep)?))
    })
    .await
}

pub async fn attempt_first(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Input(form): Input<SignInForm>,
) -> ApiResult<Fapi> {
    answer_checked(&st, move |st, tx, checks| {
        let ctx = ctx(&caller);
        let (mut client, mut si) = client_sign_in(tx, &caller, &id)?;
        expect_status(&si, "needs_first_factor")?;
        let outcome = attempt_first_factor(st, checks, &caller, tx, &mut client, &mut si, &form, ctx.now)?;
        let resp = respond(st, tx, &mut client, &mut si, &caller, CookieChange::Keep)?;
        Ok(outcome.map(|()| resp))
    })
    .await
}

pub async fn prepare_second(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Input(form): Input<SignInForm>,
) -> ApiResult<Fapi> {
    answer(&st, move |st, tx| {
        let (mut client, mut si) = client_sign_in(tx, &caller, &id)?;
        expect_status(&si, "needs_second_factor")?;
        crate::strategies::require(&st.config, form.strategy.as_deref().unwrap_or("totp"))?;
        match form.strategy.as_deref().unwrap_or("totp") {
            // Nothing to send: the code is in the app or on the user's list.
            s @ ("totp" | "backup_code") => si.second_factor_verification = Some(verification("unverified", s, None)),
            "phone_code" => super::phone_codes::send_second(st, tx, &mut si, form.phone_number_id.as_deref(), caller.now)?,
            other => return Err(ApiError::invalid_param("strategy", format!("Unsupported strategy `{other}`"))),
        }
        Ok(Done(respond(st, tx, &mut client, &mut si, &caller, CookieChange::Keep)?))
    })
    .await
}

pub async fn attempt_second(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Input(form): Input<SignInForm>,
) -> ApiResult<Fapi> {
    answer_checked(&st, move |st, tx, checks| {
        let ctx = ctx(&caller);
        let (mut client, mut si) = client_sign_in(tx, &caller, &id)?;
        expect_status(&si, "needs_second_factor")?;
        let strategy = form.strategy.as_deref().unwrap_or("totp");
        crate::strategies::require(&st.config, strategy)?;
        if !matches!(strategy, "totp" | "backup_code" | "phone_code") {
            return Err(ApiError::invalid_param("strategy", format!("Unsupported strategy `{strategy}`")));
        }
        let code = form.code.as_deref().ok_or_else(|| ApiError::missing_param("code"))?;
        let mut user = tx.user(si.user_id.as_deref().unwrap_or_default())?.ok_or_else(|| ApiError::not_found("user"))?;
        let attempt = Attempt::begin(st, tx, &caller, si.locked_until, Key::User(user.id.clone()))?;
        let ok = match strategy {
            // Each backup code is good once; the used one is gone when the user is saved.
            "backup_code" => super::backup_codes::consume(&mut user, code),
            // The SMS code of this sign-in's second step (a missing or expired one is an error).
            "phone_code" => consume_email_code(tx, &super::phone_codes::second_owner(&si.id), code, ctx.now)?,
            _ => attempt.totp(tx, checks, &user, code)?,
        };
        let outcome = if ok {
            si.failed_attempts = 0;
            si.second_factor_verification = Some(verification("verified", strategy, None));
            complete(tx, &mut client, &mut si, &mut user, true, ctx.now)?;
            Ok(())
        } else {
            attempt.failed(st, tx, &mut si.failed_attempts, &mut si.locked_until)?;
            Err(incorrect_code())
        };
        let resp = respond(st, tx, &mut client, &mut si, &caller, CookieChange::Keep)?;
        Ok(Outcome::from(outcome).map(|()| resp))
    })
    .await
}
