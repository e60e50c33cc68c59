//! Sign-ups: email + password (+ names, username, phone number), then verification of each
//! identifier given (email code; SMS code for a phone number, `sign_up_phone`). The status stays
//! `missing_requirements` while a required field is missing or an identifier is unverified, and
//! turns `complete` (user and session created) on the step that meets the last requirement, an
//! update as well as a verification; a sign-up left for 24 hours is `abandoned`.

use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::json;

use super::{
    Attempt, CookieChange, Fapi, Reply, answer, answer_checked, check_lock, consume_email_code, create_session, ctx, ensure_client,
    find_client, incorrect_code, issue_email_code,
};
use crate::AppState;
use crate::checks::Checks;
use crate::errors::{ApiError, ApiResult};
use crate::extract::{Caller, Input};
use crate::limits::Key;
use crate::render;
use crate::store::{Client, Done, EmailAddress, Refused, SignUp, Tx, User};
use crate::util::{is_plausible_email, new_id};

#[derive(Deserialize, Default)]
pub struct SignUpForm {
    email_address: Option<String>,
    password: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    username: Option<String>,
    strategy: Option<String>,
    code: Option<String>,
    phone_number: Option<String>,
    redirect_url: Option<String>,
    action_complete_redirect_url: Option<String>,
    /// `create({transfer: true})`: the new account an OAuth sign-in did not find.
    transfer: Option<String>,
}

fn client_sign_up(tx: &mut dyn Tx, caller: &Caller, id: &str) -> ApiResult<(Client, SignUp)> {
    let client = find_client(tx, caller)?.ok_or_else(|| ApiError::not_found("sign up"))?;
    match tx.sign_up(id)? {
        Some(su) if su.client_id == client.id => Ok((client, su)),
        _ => Err(ApiError::not_found("sign up")),
    }
}

/// Refuses a step on a sign-up that is over (complete, or abandoned after 24 hours).
fn expect_open(su: &SignUp, now: i64) -> ApiResult<()> {
    match render::sign_up_status(su, now) {
        "missing_requirements" => Ok(()),
        status => Err(ApiError::unprocessable("sign_up_status_invalid", format!("Sign-up is {status}"))
            .long("This sign-up can no longer change; start a new one.")),
    }
}

/// Creates the user once every requirement is met: the required fields are present and every
/// identifier given is verified.
pub(super) fn complete_if_ready(tx: &mut dyn Tx, client: &mut Client, su: &mut SignUp, strategy: &str, now: i64) -> ApiResult<()> {
    let ready =
        su.email_address.is_some() && su.email_verified && su.password_hash.is_some() && (su.phone_number.is_none() || su.phone_verified);
    if ready { finish_sign_up(tx, client, su, strategy, now) } else { Ok(()) }
}

fn identifier_exists(param: &str) -> ApiError {
    ApiError::unprocessable("form_identifier_exists", "That identifier is taken. Please try another.").param(param)
}

/// Validates and applies the form's fields; nothing is stored when a field is invalid.
fn apply_fields(tx: &mut dyn Tx, checks: &Checks, su: &mut SignUp, form: &SignUpForm) -> ApiResult<()> {
    if let Some(email) = form.email_address.as_deref().map(str::trim) {
        if !is_plausible_email(email) {
            return Err(
                ApiError::unprocessable("form_param_format_invalid", "email_address must be a valid email address.").param("email_address")
            );
        }
        if tx.email(email)?.is_some() {
            return Err(identifier_exists("email_address"));
        }
        if su.email_address.as_deref() != Some(email) {
            su.email_address = Some(email.to_owned());
            su.email_verified = false;
            su.email_verification = None;
        }
    }
    if let Some(password) = form.password.as_deref() {
        super::reset_password::check_new_password(password)?;
        su.password_hash = Some(checks.hash_password(password)?);
    }
    if let Some(username) = form.username.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        let valid = (4..=64).contains(&username.len()) && username.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            return Err(
                ApiError::unprocessable("form_username_invalid_character", "Usernames are 4-64 letters, digits, - or _.").param("username")
            );
        }
        if tx.user_by_username(username)?.is_some() {
            return Err(identifier_exists("username"));
        }
        su.username = Some(username.to_owned());
    }
    if let Some(phone) = form.phone_number.as_deref().filter(|p| !p.trim().is_empty()) {
        super::sign_up_phone::apply(tx, su, phone)?;
    }
    if let Some(v) = &form.first_name {
        su.first_name = Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    }
    if let Some(v) = &form.last_name {
        su.last_name = Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    }
    Ok(())
}

pub(super) fn respond(
    st: &AppState,
    tx: &mut dyn Tx,
    client: &mut Client,
    su: &mut SignUp,
    caller: &Caller,
    cookie: CookieChange,
) -> ApiResult<Reply> {
    su.updated_at = caller.now;
    tx.put_sign_up(su)?;
    client.updated_at = caller.now;
    tx.put_client(client)?;
    let v = render::sign_up_json(su, caller.now);
    Reply::new(caller).envelope(st, tx, client, move |_| v, cookie)
}

pub async fn create(State(st): State<AppState>, caller: Caller, Input(form): Input<SignUpForm>) -> ApiResult<Fapi> {
    answer_checked(&st, move |st, tx, checks| {
        let ctx = ctx(&caller);
        let (mut client, cookie) = ensure_client(tx, &caller, ctx.now)?;
        // Single-session mode: a new account cannot sign in beside the signed-in one.
        if st.config.single_session && tx.sessions_of_client(&client.id)?.iter().any(|s| s.effective_status(ctx.now).is_signed_in()) {
            return Err(super::session_exists());
        }
        let mut su = SignUp {
            id: new_id("sua"),
            client_id: client.id.clone(),
            status: "missing_requirements".into(),
            email_address: None,
            email_verified: false,
            email_verification: None,
            external_account_verification: None,
            password_hash: None,
            first_name: None,
            last_name: None,
            username: None,
            failed_attempts: 0,
            locked_until: None,
            created_user_id: None,
            created_session_id: None,
            created_at: ctx.now,
            updated_at: ctx.now,
            abandon_at: ctx.now + 24 * 3600 * 1000,
            phone_number: None,
            phone_verified: false,
            phone_verification: None,
        };
        if let Some(strategy) = form.strategy.as_deref() {
            crate::strategies::require(&st.config, strategy)?;
        }
        client.sign_up_id = Some(su.id.clone());
        if form.transfer.as_deref() == Some("true") {
            let nothing = || ApiError::invalid_param("transfer", "There is no sign-in to transfer");
            let si_id = client.sign_in_id.clone().ok_or_else(nothing)?;
            let (strategy, identity) = super::oauth::take_transfer(tx, &si_id, ctx.now)?.ok_or_else(nothing)?;
            let mut user = super::oauth::create_user(tx, &strategy, &identity, ctx.now)?;
            su.external_account_verification = Some(json!({
                "object": "verification", "status": "verified", "strategy": strategy, "attempts": null, "expire_at": null,
            }));
            client.sign_in_id = None;
            super::oauth::sign_up_complete(tx, &mut client, &mut su, &mut user, &strategy, ctx.now)?;
            return Ok(Done(respond(st, tx, &mut client, &mut su, &caller, cookie)?));
        }
        if let Some(strategy) = form.strategy.as_deref().filter(|s| crate::strategies::is_oauth(s)) {
            let v = super::oauth::start(
                st,
                tx,
                "sign_up",
                &su.id,
                strategy,
                form.redirect_url.as_deref(),
                form.action_complete_redirect_url.as_deref(),
                ctx.now,
            )?;
            su.external_account_verification = Some(v);
            return Ok(Done(respond(st, tx, &mut client, &mut su, &caller, cookie)?));
        }
        apply_fields(tx, checks, &mut su, &form)?;
        Ok(Done(respond(st, tx, &mut client, &mut su, &caller, cookie)?))
    })
    .await
}

pub async fn get(State(st): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Fapi> {
    answer(&st, move |st, tx| {
        let (client, su) = client_sign_up(tx, &caller, &id)?;
        let v = render::sign_up_json(&su, caller.now);
        Ok(Done(Reply::new(&caller).envelope(st, tx, &client, move |_| v, CookieChange::Keep)?))
    })
    .await
}

pub async fn update(State(st): State<AppState>, caller: Caller, Path(id): Path<String>, Input(form): Input<SignUpForm>) -> ApiResult<Fapi> {
    answer_checked(&st, move |st, tx, checks| {
        let (mut client, mut su) = client_sign_up(tx, &caller, &id)?;
        expect_open(&su, caller.now)?;
        apply_fields(tx, checks, &mut su, &form)?;
        // The update may bring the last missing field (e.g. the password after the email code).
        complete_if_ready(tx, &mut client, &mut su, "email_code", caller.now)?;
        Ok(Done(respond(st, tx, &mut client, &mut su, &caller, CookieChange::Keep)?))
    })
    .await
}

pub async fn prepare(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Input(form): Input<SignUpForm>,
) -> ApiResult<Fapi> {
    answer(&st, move |st, tx| {
        let ctx = ctx(&caller);
        let (mut client, mut su) = client_sign_up(tx, &caller, &id)?;
        check_lock(su.locked_until, ctx.now)?;
        expect_open(&su, ctx.now)?;
        if let Some(strategy) = form.strategy.as_deref() {
            crate::strategies::require(&st.config, strategy)?;
        }
        match form.strategy.as_deref() {
            Some("email_code") => {}
            Some("phone_code") => {
                super::sign_up_phone::prepare(st, tx, &mut su, ctx.now)?;
                return Ok(Done(respond(st, tx, &mut client, &mut su, &caller, CookieChange::Keep)?));
            }
            Some("email_link") => {
                let email = su.email_address.clone().ok_or_else(|| ApiError::missing_param("email_address"))?;
                su.email_verification =
                    Some(super::email_link::issue(st, tx, "sign_up", &su.id, &email, form.redirect_url.as_deref(), ctx.now)?);
                return Ok(Done(respond(st, tx, &mut client, &mut su, &caller, CookieChange::Keep)?));
            }
            Some(other) => return Err(ApiError::invalid_param("strategy", format!("Unsupported strategy `{other}`"))),
            None => return Err(ApiError::missing_param("strategy")),
        }
        let email = su.email_address.clone().ok_or_else(|| ApiError::missing_param("email_address"))?;
        let expire_at = issue_email_code(st, tx, &su.id, &email, ctx.now)?;
        su.email_verification = Some(json!({
            "object": "verification", "status": "unverified", "strategy": "email_code",
            "attempts": 0, "expire_at": expire_at,
        }));
        Ok(Done(respond(st, tx, &mut client, &mut su, &caller, CookieChange::Keep)?))
    })
    .await
}

pub async fn attempt(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Input(form): Input<SignUpForm>,
) -> ApiResult<Fapi> {
    answer(&st, move |st, tx| {
        let ctx = ctx(&caller);
        let (mut client, mut su) = client_sign_up(tx, &caller, &id)?;
        expect_open(&su, ctx.now)?;
        let phone = match form.strategy.as_deref().unwrap_or("email_code") {
            "email_code" => false,
            "phone_code" => true,
            other => return Err(ApiError::invalid_param("strategy", format!("Unsupported strategy `{other}`"))),
        };
        // Guesses count against the address the code went to (an email address or a number).
        let to = if phone { su.phone_number.clone() } else { su.email_address.clone() };
        let attempt = Attempt::begin(st, tx, &caller, su.locked_until, Key::Email(to.unwrap_or_default().to_lowercase()))?;
        let code = form.code.as_deref().ok_or_else(|| ApiError::missing_param("code"))?;
        let owner = if phone { super::sign_up_phone::owner(&su.id) } else { su.id.clone() };
        if !consume_email_code(tx, &owner, code, ctx.now)? {
            attempt.failed(st, tx, &mut su.failed_attempts, &mut su.locked_until)?;
            let resp = respond(st, tx, &mut client, &mut su, &caller, CookieChange::Keep);
            return resp.map(|_| Refused(incorrect_code()));
        }
        su.failed_attempts = 0;
        if phone {
            super::sign_up_phone::verified(&mut su);
        } else {
            su.email_verified = true;
            su.email_verification = Some(json!({
                "object": "verification", "status": "verified", "strategy": "email_code",
                "attempts": 1, "expire_at": null,
            }));
        }
        complete_if_ready(tx, &mut client, &mut su, if phone { "phone_code" } else { "email_code" }, ctx.now)?;
        Ok(Done(respond(st, tx, &mut client, &mut su, &caller, CookieChange::Keep)?))
    })
    .await
}

/// Every requirement met: create the user (with its verified identifiers) and sign it in.
pub(super) fn finish_sign_up(tx: &mut dyn Tx, client: &mut Client, su: &mut SignUp, strategy: &str, now: i64) -> ApiResult<()> {
    let email = su.email_address.clone().unwrap_or_default();
    if tx.email(&email)?.is_some() {
        return Err(identifier_exists("email_address"));
    }
    let mut user = User {
        id: new_id("user"),
        first_name: su.first_name.clone(),
        last_name: su.last_name.clone(),
        username: su.username.clone(),
        primary_email_address_id: None,
        password_hash: su.password_hash.clone(),
        totp_secret: None,
        created_at: now,
        updated_at: now,
        last_sign_in_at: None,
        backup_codes: Vec::new(),
        primary_phone_number_id: None,
        passkeys: Vec::new(),
        profile: Default::default(),
    };
    let address = EmailAddress { id: new_id("idn"), user_id: user.id.clone(), email, verified: true, created_at: now, verification: None };
    user.primary_email_address_id = Some(address.id.clone());
    tx.put_user(&user)?;
    tx.put_email(&address)?;
    if let Some(phone) = &su.phone_number {
        crate::bapi::add_phone(tx, &user.id, phone, true, true, false)?;
        user = tx.user(&user.id)?.unwrap_or(user);
    }
    let s = create_session(tx, client, &mut user, now, false)?;
    su.status = "complete".into();
    su.created_user_id = Some(user.id);
    su.created_session_id = Some(s.id);
    client.sign_up_id = None;
    client.last_authentication_strategy = Some(strategy.into());
    Ok(())
}
