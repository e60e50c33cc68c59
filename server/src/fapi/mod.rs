//! Frontend API: what clerk-js and our wasm library call. Clients are identified by the
//! `__client` cookie or, for development instances, the dev-browser token; every session lookup
//! is scoped to the caller's client.

pub mod backup_codes;
mod client;
mod email_link;
mod handshake;
mod me;
mod me_external;
mod me_identifiers;
mod me_security;
mod oauth;
mod org_domains;
mod org_invitations;
mod org_logo;
mod org_members;
mod organizations;
mod passkeys;
mod phone_codes;
mod profile_image;
mod reply;
mod reset_password;

pub use reply::Reply;
pub use reset_password::check_new_password;
mod sessions;
mod sign_ins;
mod sign_up_phone;
mod sign_ups;
mod verify;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::AppState;
use crate::checks::Checks;
use crate::errors::{ApiError, ApiResult, json_response};
use crate::extract::Caller;
use crate::limits::{Key, Limit};
use crate::store::{Client, Session, SessionStatus, Tx, TxOutcome, User};
use crate::util::{new_id, random_string, sha256_hex};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/dev_browser", post(client::create_dev_browser))
        .route("/v1/environment", get(client::environment).patch(client::environment))
        .route("/v1/client", get(client::get_client).post(client::create_client).put(client::replace_client).delete(client::destroy_client))
        .route("/v1/client/touch", get(client::touch_client))
        .route("/v1/client/handshake", get(handshake::handshake))
        .route("/v1/client/sessions", axum::routing::delete(sessions::remove_all))
        .route("/v1/client/sessions/{id}", get(sessions::get_session))
        .route("/v1/client/sessions/{id}/touch", post(sessions::touch))
        .route("/v1/client/sessions/{id}/end", post(sessions::end))
        .route("/v1/client/sessions/{id}/remove", post(sessions::remove))
        .route("/v1/client/sessions/{id}/tokens", post(sessions::token))
        .route("/v1/client/sessions/{id}/tokens/{template}", post(sessions::template_token))
        .route("/v1/client/sessions/{id}/verify", post(verify::start))
        .route("/v1/client/sessions/{id}/verify/prepare_first_factor", post(verify::prepare_first))
        .route("/v1/client/sessions/{id}/verify/attempt_first_factor", post(verify::attempt_first))
        .route("/v1/client/sessions/{id}/verify/prepare_second_factor", post(verify::prepare_second))
        .route("/v1/client/sessions/{id}/verify/attempt_second_factor", post(verify::attempt_second))
        .route("/v1/client/sign_ins", post(sign_ins::create))
        .route("/v1/client/sign_ins/{id}", get(sign_ins::get))
        .route("/v1/client/sign_ins/{id}/prepare_first_factor", post(sign_ins::prepare_first))
        .route("/v1/client/sign_ins/{id}/attempt_first_factor", post(sign_ins::attempt_first))
        .route("/v1/client/sign_ins/{id}/prepare_second_factor", post(sign_ins::prepare_second))
        .route("/v1/client/sign_ins/{id}/attempt_second_factor", post(sign_ins::attempt_second))
        .route("/v1/client/sign_ins/{id}/reset_password", post(reset_password::reset))
        // clerk-js's user.createBackupCode() posts with a trailing slash.
        .route("/v1/me/backup_codes", post(backup_codes::create))
        .route("/v1/me/backup_codes/", post(backup_codes::create))
        .route("/v1/me/passkeys", post(passkeys::create))
        .route("/v1/me/passkeys/{id}/attempt_verification", post(passkeys::attempt))
        .route("/v1/oauth_callback", get(oauth::callback))
        .route("/v1/verify", get(email_link::verify))
        .route("/v1/client/sign_ups", post(sign_ups::create))
        .route("/v1/client/sign_ups/{id}", get(sign_ups::get).patch(sign_ups::update))
        .route("/v1/client/sign_ups/{id}/prepare_verification", post(sign_ups::prepare))
        .route("/v1/client/sign_ups/{id}/attempt_verification", post(sign_ups::attempt))
        .merge(organizations::routes())
        .merge(me::routes())
        .route("/v1/images/{id}", get(crate::images::serve))
}

/// Failed attempts allowed per sign-in / sign-up / verification before a lockout.
pub const MAX_FAILED_ATTEMPTS: u32 = 5;
/// How long the lockout lasts.
pub const LOCKOUT_MS: i64 = 10 * 60 * 1000;
/// Email codes expire after ten minutes.
pub const CODE_TTL_MS: i64 = 10 * 60 * 1000;
const SESSION_LIFETIME_MS: i64 = 7 * 24 * 3600 * 1000;
const SESSION_ABANDON_MS: i64 = 30 * 24 * 3600 * 1000;

/// A Frontend API response: JSON body plus an optional `__client` cookie change.
pub struct Fapi {
    pub body: Value,
    pub cookie: CookieChange,
}

pub enum CookieChange {
    Keep,
    Set(String),
    Clear,
}

impl Fapi {
    pub fn new(body: Value, cookie: CookieChange) -> Self {
        Fapi { body, cookie }
    }
}

impl IntoResponse for Fapi {
    fn into_response(self) -> Response {
        let mut resp = json_response(axum::http::StatusCode::OK, &self.body);
        // HttpOnly so page scripts cannot steal it; Lax because clerk-js's requests are
        // same-site (page and FAPI both on 127.0.0.1).
        let cookie = match self.cookie {
            CookieChange::Keep => None,
            // Every cookie set is for a client created or touched just now.
            CookieChange::Set(v) => Some(format!("__client={v}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}", Client::LIFETIME_MS / 1000)),
            CookieChange::Clear => Some("__client=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0".to_owned()),
        };
        if let Some(c) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
            resp.headers_mut().append(header::SET_COOKIE, c);
        }
        resp
    }
}

/// Per-request context: the request's Origin (the `azp` of tokens) and its "now".
#[derive(Debug, Clone)]
pub struct Ctx {
    pub origin: Option<String>,
    pub now: i64,
}

/// Runs a handler's body in one transaction, then signs the answer's tokens with no transaction
/// open and renders it (see [`Reply`]).
pub async fn answer<F>(st: &AppState, f: F) -> ApiResult<Fapi>
where
    F: FnMut(&AppState, &mut dyn Tx) -> TxOutcome<Reply, ApiError> + Send + 'static,
{
    st.db(f).await?.finish(st).await
}

/// [`answer`] for bodies that need argon2 or TOTP work (see [`AppState::db_checked`]).
pub async fn answer_checked<F>(st: &AppState, f: F) -> ApiResult<Fapi>
where
    F: Fn(&AppState, &mut dyn Tx, &Checks) -> TxOutcome<Reply, ApiError> + Send + Sync + 'static,
{
    st.db_checked(f).await?.finish(st).await
}

pub fn ctx(caller: &Caller) -> Ctx {
    Ctx { origin: caller.origin.clone(), now: caller.now }
}

/// The caller's client, if any. An unknown dev-browser token is a 401 that makes clerk-js
/// fetch a new one. A client past its `expire_at` is over, as its cookie would be: it is
/// detached from the caller and the caller has no client.
pub fn find_client(tx: &mut dyn Tx, caller: &Caller) -> ApiResult<Option<Client>> {
    let found = if let Some(db) = &caller.dev_browser_hash {
        if !tx.dev_browser_exists(db)? {
            return Err(ApiError::unauthorized("dev_browser_unauthenticated", "Invalid development browser token"));
        }
        tx.client_by_dev_browser(db)?
    } else {
        match &caller.cookie_hash {
            Some(h) => tx.client_by_cookie(h)?,
            None => None,
        }
    };
    match found {
        Some(c) if c.is_expired(caller.now) => {
            detach_client(tx, c, caller.now)?;
            Ok(None)
        }
        Some(mut c) => {
            // The browser behind the client, for its sessions' `latest_activity`; written only
            // when it changed, so that most requests write nothing here.
            let seen = crate::account::activity::of_caller(caller);
            if c.activity.as_ref() != Some(&seen) {
                c.activity = Some(seen);
                tx.put_client(&c)?;
            }
            Ok(Some(c))
        }
        None => Ok(None),
    }
}

/// Makes a client unreachable from any cookie or dev browser (its sessions stay in the
/// database, with their own lifetimes, for the Backend API).
pub fn detach_client(tx: &mut dyn Tx, mut client: Client, now: i64) -> ApiResult<()> {
    client.cookie_hash = sha256_hex(&random_string(48));
    client.dev_browser_hash = None;
    client.updated_at = now;
    tx.put_client(&client)?;
    Ok(())
}

/// The caller's client, created (with a new cookie) when there is none.
pub fn ensure_client(tx: &mut dyn Tx, caller: &Caller, now: i64) -> ApiResult<(Client, CookieChange)> {
    if let Some(c) = find_client(tx, caller)? {
        return Ok((c, CookieChange::Keep));
    }
    new_client(tx, caller, now)
}

/// A new client for the caller: a new id and a new `__client` cookie, bound to the caller's
/// dev browser if it has one.
pub fn new_client(tx: &mut dyn Tx, caller: &Caller, now: i64) -> ApiResult<(Client, CookieChange)> {
    let cookie = random_string(48);
    let mut client = Client::new(new_id("client"), sha256_hex(&cookie), caller.dev_browser_hash.clone(), now);
    client.activity = Some(crate::account::activity::of_caller(caller));
    tx.put_client(&client)?;
    Ok((client, CookieChange::Set(cookie)))
}

/// Deletes the client `ensure_client` made in this request (`cookie` is `Set`), for a first
/// request that fails: an error carries no cookie, so the row would be an orphan nobody can use.
pub fn forget_new_client(tx: &mut dyn Tx, client: &Client, cookie: &CookieChange) -> ApiResult<()> {
    if matches!(cookie, CookieChange::Set(_)) {
        tx.delete_client(&client.id)?;
    }
    Ok(())
}

/// A session of the caller's client. Someone else's session is indistinguishable from a
/// missing one (404), so ids cannot be probed.
pub fn client_session(tx: &mut dyn Tx, caller: &Caller, id: &str) -> ApiResult<(Client, Session)> {
    let client = find_client(tx, caller)?.ok_or_else(|| ApiError::not_found("session"))?;
    match tx.session(id)? {
        Some(s) if s.client_id == client.id => Ok((client, s)),
        _ => Err(ApiError::not_found("session")),
    }
}

/// Signs `user` in on `client`: a new active session that becomes the last active one. A
/// signed-in session of the same user on the same client becomes `replaced` (sign-in only lets
/// that happen in single-session mode; multi-session refuses the second sign-in).
pub fn create_session(tx: &mut dyn Tx, client: &mut Client, user: &mut User, now: i64, second_factor_verified: bool) -> ApiResult<Session> {
    for mut old in tx.sessions_of_client(&client.id)? {
        if old.user_id == user.id && old.effective_status(now).is_signed_in() {
            old.status = SessionStatus::Replaced;
            old.updated_at = now;
            tx.put_session(&old)?;
        }
    }
    let s = Session {
        id: new_id("sess"),
        client_id: client.id.clone(),
        user_id: user.id.clone(),
        status: SessionStatus::Active,
        last_active_at: now,
        expire_at: now + SESSION_LIFETIME_MS,
        abandon_at: now + SESSION_ABANDON_MS,
        created_at: now,
        updated_at: now,
        last_active_organization_id: None,
        actor: None,
        first_factor_verified_at: Some(now),
        second_factor_verified_at: second_factor_verified.then_some(now),
        verification: None,
    };
    tx.put_session(&s)?;
    client.last_active_session_id = Some(s.id.clone());
    client.updated_at = now;
    tx.put_client(client)?;
    user.last_sign_in_at = Some(now);
    user.updated_at = now;
    tx.put_user(user)?;
    Ok(s)
}

/// What an attempt counts against besides its own sign-in / sign-up / verification: the user (or
/// the sign-up's email address) and the caller's IP address. See `crate::limits`.
pub struct AttemptScope {
    keys: Vec<Key>,
}

impl AttemptScope {
    pub fn new(caller: &Caller, subject: Option<Key>) -> Self {
        AttemptScope { keys: subject.into_iter().chain(caller.ip.map(Key::Ip)).collect() }
    }

    fn limit(st: &AppState, key: &Key) -> Limit {
        if key.is_ip() { st.config.limits.per_ip } else { st.config.limits.per_subject }
    }

    /// 429 while any of the keys is at its limit; checked before the secret is.
    pub fn check(&self, st: &AppState, tx: &mut dyn Tx, now: i64) -> ApiResult<()> {
        for key in &self.keys {
            if let Some(ms) = crate::limits::locked_for(tx, key, Self::limit(st, key), now)? {
                let whom = if key.is_ip() { "from this IP address" } else { "for this account" };
                let secs = (ms as u64).div_ceil(1000);
                let mut e =
                    ApiError::too_many_attempts(secs).long(format!("Too many failed attempts {whom}. Try again in {secs} seconds."));
                e.meta = json!({ "scope": if key.is_ip() { "ip" } else { "account" } });
                return Err(e);
            }
        }
        Ok(())
    }

    /// Counts a failure against every key; the transaction must commit (`Outcome::Refused`).
    pub fn failed(&self, st: &AppState, tx: &mut dyn Tx, now: i64) -> ApiResult<()> {
        for key in &self.keys {
            crate::limits::record(tx, key, Self::limit(st, key), now)?;
        }
        Ok(())
    }
}

/// One guess at a secret (a password, an email code, a TOTP code) on a sign-in, a sign-up or a
/// reverification. Every attempt starts the same way, before the secret is looked at: the
/// attempt's own lockout, then the limits of its subject (the user, or the sign-up's email
/// address) and of the caller's IP. A fresh sign-in per guess must not reset the count.
pub struct Attempt {
    scope: AttemptScope,
    now: i64,
}

impl Attempt {
    pub fn begin(st: &AppState, tx: &mut dyn Tx, caller: &Caller, locked_until: Option<i64>, subject: Key) -> ApiResult<Self> {
        check_lock(locked_until, caller.now)?;
        let scope = AttemptScope::new(caller, Some(subject));
        scope.check(st, tx, caller.now)?;
        Ok(Attempt { scope, now: caller.now })
    }

    /// A wrong secret: counted on the attempt itself (`failed`, `locked_until`: its lockout) and
    /// against the subject and the IP. The transaction must commit (`Outcome::Refused`).
    pub fn failed(&self, st: &AppState, tx: &mut dyn Tx, failed: &mut u32, locked_until: &mut Option<i64>) -> ApiResult<()> {
        record_failure(failed, locked_until, self.now);
        self.scope.failed(st, tx, self.now)
    }

    /// Whether `password` is the user's (argon2, outside the transaction: see `checks`).
    pub fn password(&self, checks: &Checks, user: &User, password: &str) -> ApiResult<bool> {
        match user.password_hash.as_deref() {
            Some(phc) => checks.verify_password(password, phc),
            None => Ok(false),
        }
    }

    /// Whether `code` is the user's current TOTP code, used for the first time. A code is good
    /// once, across replicas: replayed within its window it fails like a wrong one. Steps two
    /// behind the matched one can no longer match and are forgotten.
    pub fn totp(&self, tx: &mut dyn Tx, checks: &Checks, user: &User, code: &str) -> ApiResult<bool> {
        let Some(secret) = user.totp_secret.as_deref() else { return Ok(false) };
        match checks.totp_step(secret, code)? {
            Some(step) => Ok(tx.use_totp_step(&user.id, step as i64, step as i64 - 2)?),
            None => Ok(false),
        }
    }
}

/// 429 while a lockout is running.
pub fn check_lock(locked_until: Option<i64>, now: i64) -> ApiResult<()> {
    match locked_until {
        Some(t) if t > now => Err(ApiError::too_many_attempts(((t - now) as u64).div_ceil(1000))),
        _ => Ok(()),
    }
}

/// Counts a failed attempt, starting a lockout at the limit.
fn record_failure(failed: &mut u32, locked_until: &mut Option<i64>, now: i64) {
    *failed += 1;
    if *failed >= MAX_FAILED_ATTEMPTS {
        *locked_until = Some(now + LOCKOUT_MS);
        *failed = 0;
    }
}

/// Creates and "sends" a one-time email code for `owner_id`; returns its expiry.
pub fn issue_email_code(st: &AppState, tx: &mut dyn Tx, owner_id: &str, email: &str, now: i64) -> ApiResult<i64> {
    issue_email_code_as(tx, owner_id, email, now, |code| st.send_email(email, "Your verification code", code))
}

/// Stores a new one-time code for `owner_id` (only its hash) and hands the plaintext to `send`
/// (an email or an SMS; `to` is where it went). Returns its expiry.
pub fn issue_email_code_as(tx: &mut dyn Tx, owner_id: &str, to: &str, now: i64, send: impl FnOnce(&str)) -> ApiResult<i64> {
    let code = crate::util::new_email_code();
    let expires_at = now + CODE_TTL_MS;
    tx.put_email_code(&crate::store::EmailCode {
        owner_id: owner_id.to_owned(),
        email: to.to_owned(),
        code_hash: crate::util::code_hash(owner_id, &code),
        expires_at,
    })?;
    send(&code);
    Ok(expires_at)
}

/// Checks an email code: constant-time, expiring, single use (consumed on success).
pub fn consume_email_code(tx: &mut dyn Tx, owner_id: &str, code: &str, now: i64) -> ApiResult<bool> {
    let Some(stored) = tx.email_code(owner_id)? else {
        return Err(ApiError::unprocessable("verification_missing", "No code was sent, or it was already used")
            .long("Prepare the verification first; codes can be used once.")
            .param("code"));
    };
    if stored.expires_at <= now {
        tx.delete_email_code(owner_id)?;
        return Err(ApiError::unprocessable("verification_expired", "This code has expired").param("code"));
    }
    let ok = crate::util::ct_eq(&stored.code_hash, &crate::util::code_hash(owner_id, code));
    if ok {
        tx.delete_email_code(owner_id)?;
    }
    Ok(ok)
}

/// Single-session mode refuses a second account on a client (Clerk's wording).
pub fn session_exists() -> ApiError {
    ApiError::unprocessable("session_exists", "You're currently in single session mode. You can only be signed into one account at a time.")
}

pub fn incorrect_code() -> ApiError {
    ApiError::unprocessable("form_code_incorrect", "Incorrect code").param("code")
}

pub fn incorrect_password() -> ApiError {
    ApiError::unprocessable("form_password_incorrect", "Password is incorrect. Try again, or use another method.").param("password")
}
