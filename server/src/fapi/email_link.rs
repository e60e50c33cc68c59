//! Email links (`email_link`) for sign-in and sign-up verification, as Clerk sends them:
//! preparing emails `{issuer}/v1/verify?token=…` (to the development outbox); opening it
//! verifies the sign-in or sign-up and lands on the `redirect_url` given when preparing, with
//! `__clerk_status=verified` (plus `__clerk_created_session` when a session was made),
//! `expired` or `failed`: what clerk-js's `handleEmailLinkVerification` reads. The tab that
//! waits learns of it by reloading its sign-in or sign-up, whose verification turns `verified`
//! (or `expired`).
//!
//! A link is good once: opened again it lands with `failed` and changes nothing. One past its
//! ten minutes lands with `expired` and marks the verification `expired`.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};

use super::CODE_TTL_MS;
use crate::AppState;
use crate::errors::{ApiError, ApiResult};
use crate::extract::Params;
use crate::store::{Done, Grant, Tx};
use crate::util::{random_string, sha256_hex};

/// Makes and "sends" a link for `owner` (`sign_in` or `sign_up`) `owner_id`; returns the
/// verification to show.
pub fn issue(
    st: &AppState,
    tx: &mut dyn Tx,
    owner: &str,
    owner_id: &str,
    email: &str,
    redirect_url: Option<&str>,
    now: i64,
) -> ApiResult<Value> {
    let redirect_url = super::oauth::allowed_redirect(st, redirect_url, "redirect_url")?;
    let token = random_string(48);
    let expire_at = now + CODE_TTL_MS;
    tx.put_grant(&Grant {
        key: format!("email_link:{}", sha256_hex(&token)),
        data: json!({"owner": owner, "owner_id": owner_id, "redirect_url": redirect_url, "used": false, "link_expires_at": expire_at}),
        // Kept a day past its end, so that a late click still says `expired`, not `failed`.
        expires_at: expire_at + 24 * 3600 * 1000,
    })?;
    st.send_email_link(email, "Your sign-in link", &format!("{}/v1/verify?token={token}", st.issuer));
    Ok(verification("unverified", Some(expire_at)))
}

fn verification(status: &str, expire_at: Option<i64>) -> Value {
    json!({"object": "verification", "status": status, "strategy": "email_link", "attempts": null,
           "expire_at": expire_at, "verified_at_client": null})
}

/// `GET /v1/verify?token=…`: the link from the email.
pub async fn verify(State(st): State<AppState>, Params(q): Params) -> ApiResult<Response> {
    let now = st.now();
    let token = q.get("token").cloned().unwrap_or_default();
    let target = st
        .db(move |_, tx| {
            let key = format!("email_link:{}", sha256_hex(&token));
            let mut grant = tx.grant(&key)?.ok_or_else(|| {
                ApiError::bad_request("verification_link_invalid", "This link is invalid").long("The link is not one this instance sent.")
            })?;
            let d = grant.data.clone();
            let s = |k: &str| d[k].as_str().unwrap_or_default().to_owned();
            let redirect = |status: &str, session: Option<String>| {
                let mut u = url::Url::parse(&s("redirect_url")).map_err(|e| ApiError::internal(e.to_string()))?;
                u.query_pairs_mut().append_pair("__clerk_status", status);
                if let Some(sid) = session {
                    u.query_pairs_mut().append_pair("__clerk_created_session", &sid);
                }
                Ok::<_, ApiError>(u.to_string())
            };
            if d["used"] == true {
                return Ok(Done(redirect("failed", None)?));
            }
            grant.data["used"] = json!(true);
            tx.put_grant(&grant)?;
            let expired = d["link_expires_at"].as_i64().unwrap_or(0) <= now;
            let created = complete(tx, &s("owner"), &s("owner_id"), expired, now)?;
            Ok(Done(match created {
                Outcome::Expired => redirect("expired", None)?,
                Outcome::Failed => redirect("failed", None)?,
                Outcome::Verified(session) => redirect("verified", session)?,
            }))
        })
        .await?;
    Ok(Redirect::to(&target).into_response())
}

enum Outcome {
    Verified(Option<String>),
    Expired,
    Failed,
}

/// Verifies (or expires) the link's sign-in or sign-up. One that moved on since (completed,
/// or a newer verification prepared) is `Failed`.
fn complete(tx: &mut dyn Tx, owner: &str, owner_id: &str, expired: bool, now: i64) -> ApiResult<Outcome> {
    if owner == "email_address" {
        // An address added to an account (`emailAddress.prepareVerification({strategy: 'email_link'})`).
        return Ok(match super::me_identifiers::verify_by_link(tx, owner_id, expired, now)? {
            false => Outcome::Failed,
            true if expired => Outcome::Expired,
            true => Outcome::Verified(None),
        });
    }
    let pending = |v: &Option<Value>| v.as_ref().is_some_and(|v| v["strategy"] == "email_link" && v["status"] == "unverified");
    if owner == "sign_in" {
        let Some(mut si) = tx.sign_in(owner_id)? else { return Ok(Outcome::Failed) };
        if si.status != "needs_first_factor" || !pending(&si.first_factor_verification) {
            return Ok(Outcome::Failed);
        }
        let Some(mut client) = tx.client(&si.client_id)? else { return Ok(Outcome::Failed) };
        if expired {
            si.first_factor_verification = Some(verification("expired", None));
        } else {
            let mut user = tx.user(si.user_id.as_deref().unwrap_or_default())?.ok_or_else(|| ApiError::not_found("user"))?;
            super::sign_ins::first_factor_passed(tx, &mut client, &mut si, &mut user, "email_link", now)?;
        }
        si.updated_at = now;
        tx.put_sign_in(&si)?;
        client.updated_at = now;
        tx.put_client(&client)?;
        return Ok(if expired { Outcome::Expired } else { Outcome::Verified(si.created_session_id) });
    }
    let Some(mut su) = tx.sign_up(owner_id)? else { return Ok(Outcome::Failed) };
    if su.status != "missing_requirements" || !pending(&su.email_verification) {
        return Ok(Outcome::Failed);
    }
    let Some(mut client) = tx.client(&su.client_id)? else { return Ok(Outcome::Failed) };
    if expired {
        su.email_verification = Some(verification("expired", None));
    } else {
        su.email_verified = true;
        su.email_verification = Some(verification("verified", None));
        // Done once every requirement is met (a phone number given must be verified too).
        super::sign_ups::complete_if_ready(tx, &mut client, &mut su, "email_link", now)?;
    }
    su.updated_at = now;
    tx.put_sign_up(&su)?;
    client.updated_at = now;
    tx.put_client(&client)?;
    Ok(if expired { Outcome::Expired } else { Outcome::Verified(su.created_session_id) })
}
