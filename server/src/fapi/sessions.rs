//! Session endpoints of the caller's client: touch, end, remove, tokens.

use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::json;

use super::{CookieChange, Fapi, client_session, ctx, envelope, find_client};
use crate::AppState;
use crate::errors::{ApiError, ApiResult, Json};
use crate::extract::{Caller, Input};
use crate::render;
use crate::store::SessionStatus;
use crate::tokens::{self, OrgChoice};

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
    let st2 = st.clone();
    st.db(move |tx| {
        let ctx = ctx(&caller);
        let (client, s) = client_session(tx, &caller, &id)?;
        let v = render::session_json(&st2, tx, &s, &ctx)?;
        Ok(Ok(Fapi::new(envelope(&st2, tx, &client, v, &ctx)?, CookieChange::Keep)))
    })
    .await
}

/// Marks the session as the client's active one, optionally switching organization.
pub async fn touch(State(st): State<AppState>, caller: Caller, Path(id): Path<String>, Input(form): Input<TouchForm>) -> ApiResult<Fapi> {
    let st2 = st.clone();
    st.db(move |tx| {
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
        let v = render::session_json(&st2, tx, &s, &ctx)?;
        Ok(Ok(Fapi::new(envelope(&st2, tx, &client, v, &ctx)?, CookieChange::Keep)))
    })
    .await
}

async fn finish(st: AppState, caller: Caller, id: String, status: SessionStatus) -> ApiResult<Fapi> {
    let st2 = st.clone();
    st.db(move |tx| {
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
        let v = render::session_json(&st2, tx, &s, &ctx)?;
        Ok(Ok(Fapi::new(envelope(&st2, tx, &client, v, &ctx)?, CookieChange::Keep)))
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
    let st2 = st.clone();
    st.db(move |tx| {
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
        let c = render::client_json(&st2, tx, &client, &ctx)?;
        Ok(Ok(Fapi::new(json!({ "response": c, "client": c }), CookieChange::Keep)))
    })
    .await
}

/// `POST /v1/client/sessions/{id}/tokens`: a bare `{object: "token", jwt}`.
pub async fn token(State(st): State<AppState>, caller: Caller, Path(id): Path<String>, Input(form): Input<TokenForm>) -> ApiResult<Json> {
    let st2 = st.clone();
    let claims = st
        .db(move |tx| {
            let now = caller.now;
            let (_, s) = client_session(tx, &caller, &id)?;
            tokens::ensure_mintable(&s, now)?;
            let choice = OrgChoice::from_param(form.organization_id.as_deref());
            let c = tokens::session_claims(&st2, tx, &s, &choice, caller.origin.clone(), st2.config.token_ttl, now)?;
            Ok(Ok(serde_json::to_value(c).map_err(|e| ApiError::internal(e.to_string()))?))
        })
        .await?;
    let jwt = st.sign(claims).await?;
    Ok(Json(json!({ "object": "token", "jwt": jwt })))
}

/// `POST /v1/client/sessions/{id}/tokens/{template}`: a JWT-template token.
pub async fn template_token(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, template)): Path<(String, String)>,
    Input(form): Input<TokenForm>,
) -> ApiResult<Json> {
    let st2 = st.clone();
    let claims = st
        .db(move |tx| {
            let now = caller.now;
            let (_, s) = client_session(tx, &caller, &id)?;
            tokens::ensure_mintable(&s, now)?;
            let tpl = tx.jwt_template(&template)?.ok_or_else(|| ApiError::not_found("JWT template"))?;
            let choice = OrgChoice::from_param(form.organization_id.as_deref());
            Ok(Ok(tokens::template_claims(&st2, tx, &s, &tpl, &choice, caller.origin.clone(), None, now)?))
        })
        .await?;
    let jwt = st.sign(claims).await?;
    Ok(Json(json!({ "object": "token", "jwt": jwt })))
}
