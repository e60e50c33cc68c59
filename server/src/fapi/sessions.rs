//! Session endpoints of the caller's client: touch, end, remove, tokens.

use axum::extract::{Path, State};
use serde::Deserialize;

use super::{CookieChange, Fapi, Reply, answer, client_session, ctx, find_client};
use crate::AppState;
use crate::errors::{ApiError, ApiResult, Json};
use crate::extract::{Caller, Input};
use crate::render;
use crate::store::{Done, SessionStatus};
use crate::tokens::{self, Mint, OrgChoice};

#[derive(Deserialize, Default)]
pub struct TouchForm {
    /// Present and empty: switch to the personal account; absent: keep the current org.
    active_organization_id: Option<String>,
    #[allow(dead_code)]
    intent: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct TokenForm {
    organization_id: Option<String>,
}

pub async fn get_session(State(st): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Fapi> {
    answer(&st, move |st, tx| {
        let (client, s) = client_session(tx, &caller, &id)?;
        let mut r = Reply::new(&caller);
        let v = r.session(st, tx, &s)?;
        Ok(Done(r.envelope(st, tx, &client, move |t| render::session_json(&v, t), CookieChange::Keep)?))
    })
    .await
}

/// Marks the session as the client's active one, optionally switching organization.
pub async fn touch(State(st): State<AppState>, caller: Caller, Path(id): Path<String>, Input(form): Input<TouchForm>) -> ApiResult<Fapi> {
    answer(&st, move |st, tx| {
        let ctx = ctx(&caller);
        let (mut client, mut s) = client_session(tx, &caller, &id)?;
        tokens::ensure_mintable(&s, ctx.now)?;
        if let Some(org) = form.active_organization_id.clone() {
            if org.is_empty() {
                s.last_active_organization_id = None;
            } else {
                // Only an organization the user belongs to can become active.
                tokens::org_for(tx, &s, &OrgChoice::Org(org.clone()))?;
                s.last_active_organization_id = Some(org);
            }
        }
        s.last_active_at = ctx.now;
        s.updated_at = ctx.now;
        tx.put_session(&s)?;
        client.last_active_session_id = Some(s.id.clone());
        client.updated_at = ctx.now;
        tx.put_client(&client)?;
        let mut r = Reply::new(&caller);
        let v = r.session(st, tx, &s)?;
        Ok(Done(r.envelope(st, tx, &client, move |t| render::session_json(&v, t), CookieChange::Keep)?))
    })
    .await
}

async fn finish(st: AppState, caller: Caller, id: String, status: SessionStatus) -> ApiResult<Fapi> {
    answer(&st, move |st, tx| {
        let ctx = ctx(&caller);
        let (mut client, mut s) = client_session(tx, &caller, &id)?;
        if s.effective_status(ctx.now).is_signed_in() {
            s.status = status;
            s.updated_at = ctx.now;
            tx.put_session(&s)?;
        }
        // clerk-js does not switch to another session after `end()`; neither do we.
        if client.last_active_session_id.as_deref() == Some(id.as_str()) {
            client.last_active_session_id = None;
            client.updated_at = ctx.now;
            tx.put_client(&client)?;
        }
        let mut r = Reply::new(&caller);
        let v = r.session(st, tx, &s)?;
        Ok(Done(r.envelope(st, tx, &client, move |t| render::session_json(&v, t), CookieChange::Keep)?))
    })
    .await
}

pub async fn end(State(st): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Fapi> {
    finish(st, caller, id, SessionStatus::Ended).await
}

pub async fn remove(State(st): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Fapi> {
    finish(st, caller, id, SessionStatus::Removed).await
}

/// `DELETE /v1/client/sessions`: signs the client out of every session.
pub async fn remove_all(State(st): State<AppState>, caller: Caller) -> ApiResult<Fapi> {
    answer(&st, move |st, tx| {
        let ctx = ctx(&caller);
        let mut client = find_client(tx, &caller)?.ok_or_else(|| ApiError::not_found("client"))?;
        for mut s in tx.sessions_of_client(&client.id)? {
            if s.effective_status(ctx.now).is_signed_in() {
                s.status = SessionStatus::Removed;
                s.updated_at = ctx.now;
                tx.put_session(&s)?;
            }
        }
        client.last_active_session_id = None;
        client.updated_at = ctx.now;
        tx.put_client(&client)?;
        Ok(Done(Reply::new(&caller).client(st, tx, &client, CookieChange::Keep)?))
    })
    .await
}

/// `POST /v1/client/sessions/{id}/tokens`: a bare `{object: "token", jwt}`.
pub async fn token(State(st): State<AppState>, caller: Caller, Path(id): Path<String>, Input(form): Input<TokenForm>) -> ApiResult<Json> {
    let what = Mint::Session { ttl: st.config.token_ttl };
    mint_for_caller(st, caller, id, what, form).await
}

/// `POST /v1/client/sessions/{id}/tokens/{template}`: a JWT-template token.
pub async fn template_token(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, template)): Path<(String, String)>,
    Input(form): Input<TokenForm>,
) -> ApiResult<Json> {
    mint_for_caller(st, caller, id, Mint::Template { name: template, lifetime: None }, form).await
}

/// Mints for a session of the caller's client, with the request's Origin as `azp`.
async fn mint_for_caller(st: AppState, caller: Caller, id: String, what: Mint, form: TokenForm) -> ApiResult<Json> {
    let choice = OrgChoice::from_param(form.organization_id.as_deref());
    let (azp, now) = (caller.origin.clone(), caller.now);
    tokens::mint(&st, what, choice, azp, now, move |tx| Ok(client_session(tx, &caller, &id)?.1)).await
}
