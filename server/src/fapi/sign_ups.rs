//! Sign-ups: email + password (+ names, username), then email verification with a code; the
//! user and its session are created when the email is verified.

use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::json;

use super::{
    AttemptScope, CookieChange, Fapi, check_lock, consume_email_code, create_session, ctx, ensure_client, envelope, find_client,
    incorrect_code, issue_email_code, record_failure,
};
use crate::AppState;
use crate::checks::Checks;
use crate::errors::{ApiError, ApiResult};
use crate::extract::{Caller, Input};
use crate::limits::Key;
use crate::render::{self, Ctx};
use crate::store::{Client, EmailAddress, SignUp, Tx, User};
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
        if password.chars().count() < 8 {
            return Err(
                ApiError::unprocessable("form_password_length_too_short", "Passwords must be 8 characters or more.").param("password")
            );
        }
        if password.len() > 128 {
            return Err(ApiError::invalid_param("password", "Passwords must be at most 128 characters."));
        }
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
    if let Some(v) = &form.first_name {
        su.first_name = Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    }
    if let Some(v) = &form.last_name {
        su.last_name = Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    }
    Ok(())
}

fn respond(st: &AppState, tx: &mut dyn Tx, client: &mut Client, su: &mut SignUp, ctx: &Ctx, cookie: CookieChange) -> ApiResult<Fapi> {
    su.updated_at = ctx.now;
    tx.put_sign_up(su)?;
    client.updated_at = ctx.now;
    tx.put_client(client)?;
    Ok(Fapi::new(envelope(st, tx, client, render::sign_up_json(su, ctx.now), ctx)?, cookie))
}

pub async fn create(State(st): State<AppState>, caller: Caller, Input(form): Input<SignUpForm>) -> ApiResult<Fapi> {
    let st2 = st.clone();
    st.db_checked(move |tx, checks| {
        let ctx = ctx(&caller);
        let (mut client, cookie) = ensure_client(tx, &caller, ctx.now)?;
        // Single-session mode: a new account cannot sign in beside the signed-in one.
        if st2.config.single_session && tx.sessions_of_client(&client.id)?.iter().any(|s| s.effective_status(ctx.now).is_signed_in()) {
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
        };
        if let Some(strategy) = form.strategy.as_deref() {
            crate::strategies::require(&st2.config, strategy)?;
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
            return Ok(Ok(respond(&st2, tx, &mut client, &mut su, &ctx, cookie)?));
        }
        if let Some(strategy) = form.strategy.as_deref().filter(|s| crate::strategies::is_oauth(s)) {
            let v = super::oauth::start(
                &st2,
                tx,
                "sign_up",
                &su.id,
                strategy,
                form.redirect_url.as_deref(),
                form.action_complete_redirect_url.as_deref(),
                ctx.now,
            )?;
            su.external_account_verification = Some(v);
            return Ok(Ok(respond(&st2, tx, &mut client, &mut su, &ctx, cookie)?));
        }
        apply_fields(tx, checks, &mut su, &form)?;
        Ok(Ok(respond(&st2, tx, &mut client, &mut su, &ctx, cookie)?))
    })
    .await
}

pub async fn get(State(st): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Fapi> {
    let st2 = st.clone();
    st.db(move |tx| {
        let ctx = ctx(&caller);
        let (client, su) = client_sign_up(tx, &caller, &id)?;
        Ok(Ok(Fapi::new(envelope(&st2, tx, &client, render::sign_up_json(&su, ctx.now), &ctx)?, CookieChange::Keep)))
    })
    .await
}

pub async fn update(State(st): State<AppState>, caller: Caller, Path(id): Path<String>, Input(form): Input<SignUpForm>) -> ApiResult<Fapi> {
    let st2 = st.clone();
    st.db_checked(move |tx, checks| {
        let ctx = ctx(&caller);
        let (mut client, mut su) = client_sign_up(tx, &caller, &id)?;
        if su.status == "complete" {
            return Err(ApiError::unprocessable("sign_up_status_invalid", "Sign-up is already complete"));
        }
        apply_fields(tx, checks, &mut su, &form)?;
        Ok(Ok(respond(&st2, tx, &mut client, &mut su, &ctx, CookieChange::Keep)?))
    })
    .await
}

pub async fn prepare(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Input(form): Input<SignUpForm>,
) -> ApiResult<Fapi> {
    let st2 = st.clone();
    st.db(move |tx| {
        let ctx = ctx(&caller);
        let (mut client, mut su) = client_sign_up(tx, &caller, &id)?;
        check_lock(su.locked_until, ctx.now)?;
        if let Some(strategy) = form.strategy.as_deref() {
            crate::strategies::require(&st2.config, strategy)?;
        }
        let email = su.email_address.clone().ok_or_else(|| ApiError::missing_param("email_address"))?;
        match form.strategy.as_deref() {
            Some("email_code") => {}
            Some("email_link") => {
                su.email_verification =
                    Some(super::email_link::issue(&st2, tx, "sign_up", &su.id, &email, form.redirect_url.as_deref(), ctx.now)?);
                return Ok(Ok(respond(&st2, tx, &mut client, &mut su, &ctx, CookieChange::Keep)?));
            }
            Some(other) => return Err(ApiError::invalid_param("strategy", format!("Unsupported strategy `{other}`"))),
            None => return Err(ApiError::missing_param("strategy")),
        }
        let expire_at = issue_email_code(&st2, tx, &su.id, &email, ctx.now)?;
        su.email_verification = Some(json!({
            "object": "verification", "status": "unverified", "strategy": "email_code",
            "attempts": 0, "expire_at": expire_at,
        }));
        Ok(Ok(respond(&st2, tx, &mut client, &mut su, &ctx, CookieChange::Keep)?))
    })
    .await
}

pub async fn attempt(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Input(form): Input<SignUpForm>,
) -> ApiResult<Fapi> {
    let st2 = st.clone();
    st.db(move |tx| {
        let ctx = ctx(&caller);
        let (mut client, mut su) = client_sign_up(tx, &caller, &id)?;
        check_lock(su.locked_until, ctx.now)?;
        let email = su.email_address.as_deref().unwrap_or_default().to_lowercase();
        let scope = AttemptScope::new(&caller, Some(Key::Email(email)));
        scope.check(&st2, tx, ctx.now)?;
        let code = form.code.as_deref().ok_or_else(|| ApiError::missing_param("code"))?;
        if !consume_email_code(tx, &su.id, code, ctx.now)? {
            record_failure(&mut su.failed_attempts, &mut su.locked_until, ctx.now);
            scope.failed(&st2, tx, ctx.now)?;
            let resp = respond(&st2, tx, &mut client, &mut su, &ctx, CookieChange::Keep);
            return resp.map(|_| Err(incorrect_code()));
        }
        su.failed_attempts = 0;
        su.email_verified = true;
        su.email_verification = Some(json!({
            "object": "verification", "status": "verified", "strategy": "email_code",
            "attempts": 1, "expire_at": null,
        }));
        if su.password_hash.is_some() {
            finish_sign_up(tx, &mut client, &mut su, ctx.now)?;
        }
        Ok(Ok(respond(&st2, tx, &mut client, &mut su, &ctx, CookieChange::Keep)?))
    })
    .await
}

/// Email verified and password set: create the user and sign it in.
pub(super) fn finish_sign_up(tx: &mut dyn Tx, client: &mut Client, su: &mut SignUp, now: i64) -> ApiResult<()> {
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
    };
    let address = EmailAddress { id: new_id("idn"), user_id: user.id.clone(), email, verified: true, created_at: now };
    user.primary_email_address_id = Some(address.id.clone());
    tx.put_user(&user)?;
    tx.put_email(&address)?;
    let s = create_session(tx, client, &mut user, now, false)?;
    su.status = "complete".into();
    su.created_user_id = Some(user.id);
    su.created_session_id = Some(s.id);
    client.sign_up_id = None;
    client.last_authentication_strategy = Some("email_code".into());
    Ok(())
}
