//! Session reverification (`/v1/client/sessions/{id}/verify/...`): re-proving a factor updates
//! the session's `factor_verification_age` (and the `fva` claim).

use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    Attempt, CookieChange, Fapi, Reply, answer, answer_checked, client_session, consume_email_code, ctx, incorrect_code,
    incorrect_password, issue_email_code,
};
use crate::AppState;
use crate::errors::{ApiError, ApiResult};
use crate::extract::{Caller, Input};
use crate::factors;
use crate::limits::Key;
use crate::render::{self, Tokens};
use crate::store::{Client, Done, Refused, Session, SessionVerification, Tx, User};
use crate::tokens;
use crate::util::new_id;
use crate::views::{self, SessionView};

#[derive(Deserialize, Default)]
pub struct VerifyForm {
    level: Option<String>,
    strategy: Option<String>,
    password: Option<String>,
    code: Option<String>,
}

fn needs(level: &str, user: &User) -> (bool, bool) {
    let has_second = user.totp_secret.is_some();
    match level {
        "first_factor" => (true, false),
        // Users without a second factor fall back to their first factor.
        "second_factor" => (!has_second, has_second),
        _ => (true, has_second), // multi_factor
    }
}

fn status(v: &SessionVerification, user: &User) -> &'static str {
    let (first, second) = needs(&v.level, user);
    if first && !v.first_done {
        "needs_first_factor"
    } else if second && !v.second_done {
        "needs_second_factor"
    } else {
        "complete"
    }
}

/// `supported_first_factors` and `supported_second_factors`, loaded in the transaction.
type Factors = (Vec<Value>, Vec<Value>);

/// The verification in progress, rendered once the session's token is signed (pure).
fn verification_json(v: &SessionVerification, s: &SessionView, user: &User, factors: &Factors, tokens: &Tokens) -> Value {
    let (first, second) = factors;
    let factor = |done: bool, strategy: &str| done.then(|| json!({"object": "verification", "status": "verified", "strategy": strategy}));
    json!({
        "object": "session_verification",
        "id": v.id,
        "status": status(v, user),
        "level": v.level,
        "session": render::session_json(s, tokens),
        "supported_first_factors": first,
        "supported_second_factors": second,
        "first_factor_verification": factor(v.first_done, "password"),
        "second_factor_verification": factor(v.second_done, "totp"),
        "created_at": v.created_at,
        "updated_at": v.updated_at,
    })
}

/// Loads the caller's signed-in session, its user and the verification in progress.
fn load(tx: &mut dyn Tx, caller: &Caller, id: &str, now: i64) -> ApiResult<(Client, Session, User)> {
    let (client, s) = client_session(tx, caller, id)?;
    tokens::ensure_mintable(&s, now)?;
    let user = tx.user(&s.user_id)?.ok_or_else(|| ApiError::not_found("user"))?;
    Ok((client, s, user))
}

fn respond(st: &AppState, tx: &mut dyn Tx, client: &Client, s: &mut Session, user: &User, caller: &Caller) -> ApiResult<Reply> {
    s.updated_at = caller.now;
    tx.put_session(s)?;
    let v = s.verification.clone().ok_or_else(|| ApiError::not_found("session verification"))?;
    let mut r = Reply::new(caller);
    let session = r.session(st, tx, s)?;
    let view = views::user(tx, user, false)?;
    // Reverification asks for a code or a password, never a link.
    let first: Vec<Value> = factors::first_factors(&st.config, &view).into_iter().filter(|f| f["strategy"] != "email_link").collect();
    let factors = (first, factors::second_factors(&st.config, user));
    let user = user.clone();
    r.envelope(st, tx, client, move |t| verification_json(&v, &session, &user, &factors, t), CookieChange::Keep)
}

fn in_progress(s: &mut Session) -> ApiResult<&mut SessionVerification> {
    s.verification.as_mut().ok_or_else(|| ApiError::unprocessable("session_verification_missing", "Start a verification first"))
}

/// `POST /sessions/{id}/verify` with `level` = first_factor | second_factor | multi_factor.
pub async fn start(State(st): State<AppState>, caller: Caller, Path(id): Path<String>, Input(form): Input<VerifyForm>) -> ApiResult<Fapi> {
    answer(&st, move |st, tx| {
        let ctx = ctx(&caller);
        let (client, mut s, user) = load(tx, &caller, &id, ctx.now)?;
        let level = form.level.clone().unwrap_or_else(|| "second_factor".into());
        if !matches!(level.as_str(), "first_factor" | "second_factor" | "multi_factor") {
            return Err(ApiError::invalid_param("level", "level must be first_factor, second_factor or multi_factor"));
        }
        s.verification = Some(SessionVerification {
            id: new_id("sver"),
            level,
            first_done: false,
            second_done: false,
            failed_attempts: 0,
            locked_until: None,
            created_at: ctx.now,
            updated_at: ctx.now,
        });
        Ok(Done(respond(st, tx, &client, &mut s, &user, &caller)?))
    })
    .await
}

pub async fn prepare_first(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Input(form): Input<VerifyForm>,
) -> ApiResult<Fapi> {
    answer(&st, move |st, tx| {
        let ctx = ctx(&caller);
        let (client, mut s, user) = load(tx, &caller, &id, ctx.now)?;
        let vid = in_progress(&mut s)?.id.clone();
        match form.strategy.as_deref().unwrap_or("password") {
            "password" => {}
            "email_code" => {
                let email = tx
                    .emails_of(&user.id)?
                    .into_iter()
                    .find(|e| Some(&e.id) == user.primary_email_address_id.as_ref())
                    .ok_or_else(|| ApiError::invalid_param("strategy", "The user has no email address"))?;
                issue_email_code(st, tx, &vid, &email.email, ctx.now)?;
            }
            other => return Err(ApiError::invalid_param("strategy", format!("Unsupported strategy `{other}`"))),
        }
        Ok(Done(respond(st, tx, &client, &mut s, &user, &caller)?))
    })
    .await
}

pub async fn attempt_first(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Input(form): Input<VerifyForm>,
) -> ApiResult<Fapi> {
    answer_checked(&st, move |st, tx, checks| {
        let ctx = ctx(&caller);
        let (client, mut s, user) = load(tx, &caller, &id, ctx.now)?;
        let v = in_progress(&mut s)?;
        let vid = v.id.clone();
        // A new verification per guess must not reset the count (a stolen session must not
        // become a password oracle).
        let attempt = Attempt::begin(st, tx, &caller, v.locked_until, Key::User(user.id.clone()))?;
        let strategy = form.strategy.as_deref().unwrap_or("password");
        let ok = match strategy {
            "password" => {
                let p = form.password.as_deref().ok_or_else(|| ApiError::missing_param("password"))?;
                attempt.password(checks, &user, p)?
            }
            "email_code" => {
                let code = form.code.as_deref().ok_or_else(|| ApiError::missing_param("code"))?;
                consume_email_code(tx, &vid, code, ctx.now)?
            }
            other => return Err(ApiError::invalid_param("strategy", format!("Unsupported strategy `{other}`"))),
        };
        let v = in_progress(&mut s)?;
        if !ok {
            attempt.failed(st, tx, &mut v.failed_attempts, &mut v.locked_until)?;
            let err = if strategy == "password" { incorrect_password() } else { incorrect_code() };
            return respond(st, tx, &client, &mut s, &user, &caller).map(|_| Refused(err));
        }
        v.first_done = true;
        v.failed_attempts = 0;
        v.updated_at = ctx.now;
        s.first_factor_verified_at = Some(ctx.now);
        Ok(Done(respond(st, tx, &client, &mut s, &user, &caller)?))
    })
    .await
}

pub async fn prepare_second(State(st): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Fapi> {
    answer(&st, move |st, tx| {
        let ctx = ctx(&caller);
        let (client, mut s, user) = load(tx, &caller, &id, ctx.now)?;
        in_progress(&mut s)?;
        if user.totp_secret.is_none() {
            return Err(ApiError::invalid_param("strategy", "The user has no second factor"));
        }
        Ok(Done(respond(st, tx, &client, &mut s, &user, &caller)?))
    })
    .await
}

pub async fn attempt_second(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Input(form): Input<VerifyForm>,
) -> ApiResult<Fapi> {
    answer_checked(&st, move |st, tx, checks| {
        let ctx = ctx(&caller);
        let (client, mut s, user) = load(tx, &caller, &id, ctx.now)?;
        let v = in_progress(&mut s)?;
        let attempt = Attempt::begin(st, tx, &caller, v.locked_until, Key::User(user.id.clone()))?;
        let code = form.code.as_deref().ok_or_else(|| ApiError::missing_param("code"))?;
        let ok = attempt.totp(tx, checks, &user, code)?;
        if !ok {
            attempt.failed(st, tx, &mut v.failed_attempts, &mut v.locked_until)?;
            return respond(st, tx, &client, &mut s, &user, &caller).map(|_| Refused(incorrect_code()));
        }
        v.second_done = true;
        v.failed_attempts = 0;
        v.updated_at = ctx.now;
        s.second_factor_verified_at = Some(ctx.now);
        Ok(Done(respond(st, tx, &client, &mut s, &user, &caller)?))
    })
    .await
}
