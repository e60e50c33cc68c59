//! Connecting OAuth accounts to the signed-in user, as clerk-js's
//! `user.createExternalAccount({strategy, redirectUrl})` does, through the development
//! identity provider (`crate::idp`, `oauth`): the answer's
//! `verification.external_verification_redirect_url` sends the browser to the provider, and
//! the provider's callback (`oauth::callback`) links the identity to the user, then lands on
//! `redirect_url`. An identity already linked to another user is refused there
//! (`__clerk_status=failed&__clerk_error_code=external_account_exists`) and nothing is linked.
//! `externalAccount.reauthorize()` runs the same flow for a linked account, and `destroy()`
//! disconnects it.

use axum::extract::{Path, RawQuery, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Fapi;
use super::me::{Me, with_me};
use crate::AppState;
use crate::account;
use crate::errors::{ApiError, ApiResult};
use crate::extract::{Caller, Input};
use crate::idp::Identity;
use crate::render::external_account_json;
use crate::store::{Done, ExternalAccount, Outcome, Refused, Tx};
use crate::util::new_id;

/// The owner of these flows in `oauth`'s state: `external_account`, with `user_id:account_id`.
pub const OWNER: &str = "external_account";

#[derive(Deserialize, Default)]
pub struct ConnectForm {
    strategy: Option<String>,
    redirect_url: Option<String>,
}

fn own_account(tx: &mut dyn Tx, me: &Me, id: &str) -> ApiResult<ExternalAccount> {
    tx.external_accounts_of(&me.user.id)?.into_iter().find(|a| a.id == id).ok_or_else(|| account::not_found("external account"))
}

/// Starts the provider flow for account `account_id` of the user; the verification to show.
fn start(st: &AppState, tx: &mut dyn Tx, me: &Me, account_id: &str, strategy: &str, redirect_url: Option<&str>) -> ApiResult<Value> {
    crate::strategies::require(&st.config, strategy)?;
    if !crate::strategies::is_oauth(strategy) {
        return Err(ApiError::invalid_param("strategy", format!("`{strategy}` is not an OAuth strategy")));
    }
    super::oauth::start(st, tx, OWNER, &format!("{}:{account_id}", me.user.id), strategy, redirect_url, None, me.caller.now)
}

/// `POST /v1/me/external_accounts` with `strategy` (`oauth_google`, `oauth_github`) and
/// `redirect_url`: an account not linked yet, whose verification leads to the provider.
pub async fn create(State(st): State<AppState>, caller: Caller, RawQuery(q): RawQuery, Input(form): Input<ConnectForm>) -> ApiResult<Fapi> {
    with_me(st, caller, q, move |st, tx, _, me| {
        let strategy = form.strategy.as_deref().ok_or_else(|| ApiError::missing_param("strategy"))?;
        let id = new_id("eac");
        let verification = start(st, tx, me, &id, strategy, form.redirect_url.as_deref())?;
        let now = me.caller.now;
        Ok(Done(json!({
            "object": "external_account", "id": id, "provider": strategy.trim_start_matches("oauth_"), "identification_id": id,
            "provider_user_id": "", "approved_scopes": "", "email_address": "", "first_name": "", "last_name": "",
            "image_url": "", "username": null, "phone_number": null, "public_metadata": {}, "label": null,
            "verification": verification, "created_at": now, "updated_at": now,
        })))
    })
    .await
}

/// `PATCH /v1/me/external_accounts/{id}/reauthorize` with `redirect_url`: the provider flow
/// again, for the same identity.
pub async fn reauthorize(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    Input(form): Input<ConnectForm>,
) -> ApiResult<Fapi> {
    with_me(st, caller, q, move |st, tx, _, me| {
        let a = own_account(tx, me, &id)?;
        let verification = start(st, tx, me, &a.id, &format!("oauth_{}", a.provider), form.redirect_url.as_deref())?;
        let mut v = external_account_json(&a);
        v["verification"] = verification;
        Ok(Done(v))
    })
    .await
}

/// `DELETE /v1/me/external_accounts/{id}` (`externalAccount.destroy()`).
pub async fn delete(State(st): State<AppState>, caller: Caller, Path(id): Path<String>, RawQuery(q): RawQuery) -> ApiResult<Fapi> {
    with_me(st, caller, q, move |_, tx, _, me| {
        let a = own_account(tx, me, &id)?;
        tx.delete_external_account(&a.id)?;
        me.user.updated_at = me.caller.now;
        tx.put_user(&me.user)?;
        Ok(Done(account::deleted("external_account", &a.id)))
    })
    .await
}

/// The provider's callback for one of these flows (`owner_id` is `user_id:account_id`):
/// links the identity to the user. `Refused` is a failure the callback reports in the
/// redirect; nothing is linked then.
pub fn link_from_callback(tx: &mut dyn Tx, owner_id: &str, strategy: &str, i: &Identity, now: i64) -> ApiResult<Outcome<(), ApiError>> {
    let gone = || ApiError::bad_request("oauth_state_invalid", "The account this flow was for no longer exists");
    let Some((user_id, account_id)) = owner_id.split_once(':') else { return Ok(Refused(gone())) };
    let Some(mut user) = tx.user(user_id)? else { return Ok(Refused(gone())) };
    let provider = strategy.trim_start_matches("oauth_");
    let existing = tx.external_accounts_of(user_id)?.into_iter().find(|a| a.id == account_id);
    match tx.external_account(provider, &i.sub)? {
        Some(a) if a.user_id != user_id => {
            return Ok(Refused(ApiError::unprocessable("external_account_exists", "This account is already connected to another user.")));
        }
        // Connected already (or reauthorized): its details are refreshed below.
        Some(_) | None => {}
    }
    if let Some(a) = &existing
        && a.provider_user_id != i.sub
    {
        // Named here: Clerk's code for a reauthorization by another identity is not documented.
        return Ok(Refused(ApiError::unprocessable("external_account_mismatch", "Reauthorize with the account that was connected.")));
    }
    let linked = tx.external_account(provider, &i.sub)?;
    let id = linked.as_ref().map_or(account_id.to_owned(), |a| a.id.clone());
    let created_at = linked.as_ref().map_or(now, |a| a.created_at);
    tx.put_external_account(&ExternalAccount {
        id,
        user_id: user_id.to_owned(),
        provider: provider.to_owned(),
        provider_user_id: i.sub.clone(),
        email_address: i.email.clone(),
        first_name: i.first_name.clone(),
        last_name: i.last_name.clone(),
        created_at,
    })?;
    user.updated_at = now;
    tx.put_user(&user)?;
    Ok(Done(()))
}
