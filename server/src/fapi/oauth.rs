//! OAuth sign-in and sign-up (`oauth_google`, `oauth_github`) through the development identity
//! provider (`crate::idp`), as Clerk runs them:
//!
//! 1. `signIn.create({strategy, redirect_url, action_complete_redirect_url})` (or the sign-up's)
//!    answers a verification `unverified` with `external_verification_redirect_url`: the
//!    provider's authorize URL, with a fresh `state` and a PKCE S256 challenge whose verifier
//!    never leaves the server.
//! 2. The provider sends the browser to `GET /v1/oauth_callback?code&state`. The state is good
//!    once; the code is exchanged (single use, PKCE and redirect URI checked by the provider).
//! 3. The sign-in completes (a known external account, or a user with that email address,
//!    which is then linked), or becomes `transferable` (`external_account_not_found`) for a
//!    new account; a sign-up creates the user, or becomes `transferable`
//!    (`external_account_exists`) for a known one. `create({transfer: true})` on the other
//!    resource then finishes it. Either way the browser lands on `redirect_url`.
//!
//! A failure (the user cancelled, a provider error, a wrong state, a bad code) marks the
//! verification `failed` with an `error`, creates nothing, and lands on `redirect_url` with
//! `__clerk_status=failed&__clerk_error_code=CODE`, as Clerk's callback does. A state that
//! names no flow cannot say where to go: it is a 400 `oauth_state_invalid` of its own.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};

use super::create_session;
use crate::AppState;
use crate::errors::{ApiError, ApiResult};
use crate::extract::Params;
use crate::idp::{self, Identity};
use crate::store::{Client, Done, EmailAddress, ExternalAccount, Grant, Outcome, Refused, Tx, User};
use crate::util::{ct_eq, new_id, random_string, sha256_hex};

/// How long the user has at the provider.
const FLOW_TTL_MS: i64 = 10 * 60 * 1000;
/// How long a transferable identity waits for `create({transfer: true})`.
const TRANSFER_TTL_MS: i64 = 60 * 60 * 1000;

/// An absolute URL on an allowed origin (as for the client touch), or 422.
pub fn allowed_redirect(st: &AppState, url: Option<&str>, param: &str) -> ApiResult<String> {
    let url = url.filter(|u| !u.is_empty()).ok_or_else(|| ApiError::missing_param(param))?;
    match url::Url::parse(url) {
        Ok(u) if crate::is_allowed_origin(st, &u.origin().ascii_serialization()) => Ok(u.to_string()),
        _ => Err(ApiError::invalid_param(param, format!("{param} is not an allowed URL"))
            .long(format!("`{param}` must be an absolute URL on one of this instance's allowed origins."))),
    }
}

/// Step 1: the flow, kept by its id with the state's hash; returns the verification.
#[allow(clippy::too_many_arguments)]
pub fn start(
    st: &AppState,
    tx: &mut dyn Tx,
    owner: &str,
    owner_id: &str,
    strategy: &str,
    redirect_url: Option<&str>,
    action_complete_redirect_url: Option<&str>,
    now: i64,
) -> ApiResult<Value> {
    let redirect_url = allowed_redirect(st, redirect_url, "redirect_url")?;
    let complete = action_complete_redirect_url.map(|u| allowed_redirect(st, Some(u), "action_complete_redirect_url")).transpose()?;
    let (flow_id, secret, verifier) = (random_string(24), random_string(32), random_string(64));
    tx.put_grant(&Grant {
        key: format!("oauth_flow:{flow_id}"),
        data: json!({
            "owner": owner, "owner_id": owner_id, "strategy": strategy, "redirect_url": redirect_url,
            "action_complete_redirect_url": complete, "verifier": verifier, "secret_hash": sha256_hex(&secret),
        }),
        expires_at: now + FLOW_TTL_MS,
    })?;
    let mut authorize = url::Url::parse(&format!("{}/oauth/dev/authorize", st.issuer)).map_err(|e| ApiError::internal(e.to_string()))?;
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", idp::CLIENT_ID)
        .append_pair("redirect_uri", &idp::callback_uri(st))
        .append_pair("scope", "openid email profile")
        .append_pair("state", &format!("{flow_id}.{secret}"))
        .append_pair("code_challenge", &idp::s256(&verifier))
        .append_pair("code_challenge_method", "S256")
        .append_pair("provider", strategy);
    Ok(json!({
        "object": "verification", "status": "unverified", "strategy": strategy, "attempts": null,
        "expire_at": now + FLOW_TTL_MS, "external_verification_redirect_url": authorize.as_str(), "error": null,
    }))
}

fn verification(status: &str, strategy: &str, error: Option<&ApiError>) -> Value {
    json!({
        "object": "verification", "status": status, "strategy": strategy, "attempts": null, "expire_at": null,
        "external_verification_redirect_url": null, "error": error.map(ApiError::error_json),
    })
}

/// `provider` of an `oauth_*` strategy (`oauth_google` → `google`).
fn provider(strategy: &str) -> &str {
    strategy.trim_start_matches("oauth_")
}

/// The user behind an identity: its external account, else a user with that (verified) email
/// address, which gets the external account linked, as Clerk links verified addresses.
fn user_for(tx: &mut dyn Tx, strategy: &str, i: &Identity, now: i64) -> ApiResult<Option<User>> {
    if let Some(a) = tx.external_account(provider(strategy), &i.sub)? {
        return Ok(tx.user(&a.user_id)?);
    }
    // A verified address only: one added to an account and not proven is not the user's.
    let Some(e) = tx.email(&i.email)?.filter(|e| e.verified) else { return Ok(None) };
    link(tx, &e.user_id, strategy, i, now)?;
    Ok(tx.user(&e.user_id)?)
}

fn link(tx: &mut dyn Tx, user_id: &str, strategy: &str, i: &Identity, now: i64) -> ApiResult<()> {
    tx.put_external_account(&ExternalAccount {
        id: new_id("eac"),
        user_id: user_id.to_owned(),
        provider: provider(strategy).to_owned(),
        provider_user_id: i.sub.clone(),
        email_address: i.email.clone(),
        first_name: i.first_name.clone(),
        last_name: i.last_name.clone(),
        created_at: now,
    })?;
    Ok(())
}

/// A new user from an identity: its verified email address, names and external account.
pub fn create_user(tx: &mut dyn Tx, strategy: &str, i: &Identity, now: i64) -> ApiResult<User> {
    if tx.email(&i.email)?.is_some() {
        return Err(ApiError::unprocessable("form_identifier_exists", "That email address is taken.").param("email_address"));
    }
    let mut user = User {
        id: new_id("user"),
        first_name: i.first_name.clone(),
        last_name: i.last_name.clone(),
        username: None,
        primary_email_address_id: None,
        password_hash: None,
        totp_secret: None,
        created_at: now,
        updated_at: now,
        last_sign_in_at: None,
        backup_codes: Vec::new(),
        primary_phone_number_id: None,
        passkeys: Vec::new(),
        profile: Default::default(),
    };
    let address = EmailAddress {
        id: new_id("idn"),
        user_id: user.id.clone(),
        email: i.email.clone(),
        verified: true,
        created_at: now,
        verification: None,
    };
    user.primary_email_address_id = Some(address.id.clone());
    tx.put_user(&user)?;
    tx.put_email(&address)?;
    link(tx, &user.id, strategy, i, now)?;
    Ok(user)
}

/// Keeps an identity for `create({transfer: true})` on the other resource.
fn keep_transfer(tx: &mut dyn Tx, owner_id: &str, strategy: &str, i: &Identity, now: i64) -> ApiResult<()> {
    tx.put_grant(&Grant {
        key: format!("transfer:{owner_id}"),
        data: json!({"strategy": strategy, "identity": i}),
        expires_at: now + TRANSFER_TTL_MS,
    })?;
    Ok(())
}

/// The identity a sign-in or sign-up (`owner_id`) left for a transfer, consumed.
pub fn take_transfer(tx: &mut dyn Tx, owner_id: &str, now: i64) -> ApiResult<Option<(String, Identity)>> {
    let key = format!("transfer:{owner_id}");
    let Some(g) = tx.grant(&key)? else { return Ok(None) };
    tx.delete_grant(&key)?;
    if g.expires_at <= now {
        return Ok(None);
    }
    let identity = serde_json::from_value(g.data["identity"].clone()).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Some((g.data["strategy"].as_str().unwrap_or_default().to_owned(), identity)))
}

fn state_invalid() -> ApiError {
    ApiError::bad_request("oauth_state_invalid", "The OAuth state is invalid or was already used")
        .long("This sign-in link is no longer valid. Start the sign-in again.")
}

/// Step 2: `GET /v1/oauth_callback?code&state` (or `?error&state`) from the provider.
pub async fn callback(State(st): State<AppState>, Params(q): Params) -> ApiResult<Response> {
    let now = st.now();
    let target = st
        .db(move |st, tx| {
            let state = q.get("state").map(String::as_str).unwrap_or_default();
            let (flow_id, secret) = state.split_once('.').unwrap_or((state, ""));
            let key = format!("oauth_flow:{flow_id}");
            let flow = tx.grant(&key)?.filter(|g| g.expires_at > now).ok_or_else(state_invalid)?;
            // The state is good once, whatever happens next.
            tx.delete_grant(&key)?;
            let f = &flow.data;
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
            let (strategy, redirect_url) = (s("strategy"), s("redirect_url"));
            let outcome = if !ct_eq(&s("secret_hash"), &sha256_hex(secret)) {
                Err(state_invalid())
            } else if let Some(e) = q.get("error") {
                Err(provider_error(e, q.get("error_description").map(String::as_str)))
            } else {
                let code = q.get("code").map(String::as_str).unwrap_or_default();
                match idp::exchange(tx, code, idp::CLIENT_ID, &idp::callback_uri(st), &s("verifier"), now)? {
                    Ok(identity) => Ok(identity),
                    Err(e) => Err(ApiError::unprocessable("oauth_code_invalid", "The provider refused the authorization code")
                        .long(e.description)
                        .meta(json!({"provider_error": e.error}))),
                }
            };
            let owner_id = s("owner_id");
            let result = match outcome {
                Ok(identity) => complete(st, tx, &s("owner"), &owner_id, &strategy, &identity, now)?,
                Err(e) => Refused(e),
            };
            if let Refused(e) = result {
                record_failure(tx, &s("owner"), &owner_id, &strategy, &e, now)?;
                return Ok(Done(with_failure(&redirect_url, e.code)));
            }
            Ok(Done(redirect_url))
        })
        .await?;
    Ok(Redirect::to(&target).into_response())
}

fn provider_error(error: &str, description: Option<&str>) -> ApiError {
    let e = if error == "access_denied" {
        ApiError::unprocessable("oauth_access_denied", "You did not grant access to your account.")
    } else {
        ApiError::unprocessable("oauth_provider_error", "The OAuth provider reported an error")
    };
    e.long(description.unwrap_or(error).to_owned()).meta(json!({"provider_error": error}))
}

fn with_failure(redirect_url: &str, code: &str) -> String {
    match url::Url::parse(redirect_url) {
        Ok(mut u) => {
            u.query_pairs_mut().append_pair("__clerk_status", "failed").append_pair("__clerk_error_code", code);
            u.to_string()
        }
        Err(_) => redirect_url.to_owned(),
    }
}

/// The failed verification on its sign-in or sign-up; nothing else changes.
fn record_failure(tx: &mut dyn Tx, owner: &str, owner_id: &str, strategy: &str, e: &ApiError, now: i64) -> ApiResult<()> {
    let v = verification("failed", strategy, Some(e));
    if owner == "sign_in" {
        if let Some(mut si) = tx.sign_in(owner_id)? {
            si.first_factor_verification = Some(v);
            si.updated_at = now;
            tx.put_sign_in(&si)?;
        }
    } else if let Some(mut su) = tx.sign_up(owner_id)? {
        su.external_account_verification = Some(v);
        su.updated_at = now;
        tx.put_sign_up(&su)?;
    }
    Ok(())
}

/// Step 3 for a verified identity. `Refused` is a failure to record (nothing was made).
fn complete(
    st: &AppState,
    tx: &mut dyn Tx,
    owner: &str,
    owner_id: &str,
    strategy: &str,
    i: &Identity,
    now: i64,
) -> ApiResult<Outcome<(), ApiError>> {
    if owner == super::me_external::OWNER {
        // Connecting an account to a signed-in user (`user.createExternalAccount`).
        return super::me_external::link_from_callback(tx, owner_id, strategy, i, now);
    }
    let (sign_in, sign_up) = if owner == "sign_in" { (tx.sign_in(owner_id)?, None) } else { (None, tx.sign_up(owner_id)?) };
    let client_id = sign_in.as_ref().map(|s| s.client_id.clone()).or(sign_up.as_ref().map(|s| s.client_id.clone())).unwrap_or_default();
    let Some(mut client) = tx.client(&client_id)? else { return Ok(Refused(state_invalid())) };
    let user = user_for(tx, strategy, i, now)?;
    if let Some(blocked) = signed_in_conflict(st, tx, &client, user.as_ref().map(|u| u.id.as_str()), now)? {
        return Ok(Refused(blocked));
    }
    match (sign_in, sign_up, user) {
        (Some(mut si), _, Some(mut user)) => {
            si.identifier = Some(i.email.clone());
            si.user_id = Some(user.id.clone());
            super::sign_ins::first_factor_passed(tx, &mut client, &mut si, &mut user, strategy, now)?;
            // Finished outside any request of the app's, so it stays on the client: that is
            // where clerk-js's handleRedirectCallback finds it complete.
            client.sign_in_id = Some(si.id.clone());
            finish_sign_in(tx, &mut client, &mut si, now)?;
        }
        (Some(mut si), _, None) => {
            let e = ApiError::unprocessable("external_account_not_found", "The External Account was not found.");
            si.first_factor_verification = Some(verification("transferable", strategy, Some(&e)));
            keep_transfer(tx, &si.id, strategy, i, now)?;
            finish_sign_in(tx, &mut client, &mut si, now)?;
        }
        (None, Some(mut su), Some(_)) => {
            let e = ApiError::unprocessable("external_account_exists", "This account already exists. Sign in instead.");
            su.external_account_verification = Some(verification("transferable", strategy, Some(&e)));
            keep_transfer(tx, &su.id, strategy, i, now)?;
            su.updated_at = now;
            tx.put_sign_up(&su)?;
        }
        (None, Some(mut su), None) => {
            let mut user = create_user(tx, strategy, i, now)?;
            su.external_account_verification = Some(verification("verified", strategy, None));
            sign_up_complete(tx, &mut client, &mut su, &mut user, strategy, now)?;
            // As for a sign-in: the app learns of it from the client.
            client.sign_up_id = Some(su.id.clone());
            tx.put_client(&client)?;
        }
        (None, None, _) => return Ok(Refused(state_invalid())),
    }
    Ok(Done(()))
}

fn finish_sign_in(tx: &mut dyn Tx, client: &mut Client, si: &mut crate::store::SignIn, now: i64) -> ApiResult<()> {
    si.updated_at = now;
    tx.put_sign_in(si)?;
    client.updated_at = now;
    tx.put_client(client)?;
    Ok(())
}

/// A sign-up that made its user: signed in, complete, off the client.
pub fn sign_up_complete(
    tx: &mut dyn Tx,
    client: &mut Client,
    su: &mut crate::store::SignUp,
    user: &mut User,
    strategy: &str,
    now: i64,
) -> ApiResult<()> {
    let s = create_session(tx, client, user, now, false)?;
    su.status = "complete".into();
    su.email_address = Some(tx.emails_of(&user.id)?.into_iter().next().map(|e| e.email).unwrap_or_default());
    su.email_verified = true;
    su.first_name = user.first_name.clone();
    su.last_name = user.last_name.clone();
    su.created_user_id = Some(user.id.clone());
    su.created_session_id = Some(s.id);
    su.updated_at = now;
    tx.put_sign_up(su)?;
    client.sign_up_id = None;
    client.last_authentication_strategy = Some(strategy.to_owned());
    client.updated_at = now;
    tx.put_client(client)?;
    Ok(())
}

/// The sign-in rules for a client: multi-session refuses a user already signed in on it
/// (`meta.session_id` names that session, which clerk-js then makes active); single-session
/// refuses anyone else beside the signed-in user.
fn signed_in_conflict(st: &AppState, tx: &mut dyn Tx, client: &Client, user_id: Option<&str>, now: i64) -> ApiResult<Option<ApiError>> {
    let signed_in: Vec<_> = tx.sessions_of_client(&client.id)?.into_iter().filter(|s| s.effective_status(now).is_signed_in()).collect();
    if st.config.single_session {
        if signed_in.iter().any(|s| Some(s.user_id.as_str()) != user_id) {
            return Ok(Some(super::session_exists()));
        }
    } else if let Some(s) = signed_in.iter().find(|s| Some(s.user_id.as_str()) == user_id) {
        let e = ApiError::unprocessable("identifier_already_signed_in", "You're already signed in").meta(json!({"session_id": s.id}));
        return Ok(Some(e));
    }
    Ok(None)
}
