//! Invitations and membership requests on the Frontend API. The admin's side
//! (`organization.inviteMember(s)`, `getInvitations`, `invitation.revoke()`,
//! `getMembershipRequests`, `request.accept()` / `reject()`) needs `org:sys_memberships:manage`;
//! the invited user's side (`user.getOrganizationInvitations()`, `invitation.accept()`) needs
//! the invitation to be to one of the user's verified addresses.

use axum::extract::{Path, RawQuery, State};
use serde_json::{Value, json};

use super::Fapi;
use super::organizations::{Form, no_form, run};
use crate::AppState;
use crate::errors::ApiResult;
use crate::extract::Caller;
use crate::orgs::invitations;
use crate::orgs::json::{invitation_json, request_json, user_invitation_json};
use crate::store::orgs::{self, MembershipRequest, RecordsOf};
use crate::views;

/// `GET /v1/organizations/{id}/invitations` (`status` filter), oldest first.
pub async fn list(State(st): State<AppState>, caller: Caller, Path(id): Path<String>, RawQuery(raw): RawQuery) -> ApiResult<Fapi> {
    run(st, caller, raw, no_form(), move |tx, c| {
        let (_, o) = c.in_org(tx, &id, Some("org:sys_memberships:manage"))?;
        let all: Vec<_> = orgs::list::<orgs::Invitation>(tx, RecordsOf::Org(&o.id))?.into_iter().filter(|i| c.q.wants(&i.status)).collect();
        Ok(c.q.page(all, true, |i| invitation_json(&i, false)))
    })
    .await
}

fn invite(tx: &mut dyn crate::store::Tx, c: &super::organizations::Call, org_id: &str, emails: &[String]) -> ApiResult<Vec<Value>> {
    let (_, o) = c.in_org(tx, org_id, Some("org:sys_memberships:manage"))?;
    let role = crate::orgs::check_role(c.form.get("role"))?;
    let made = invitations::invite(c.st, tx, &o, emails, &role, json!({}), c.now())?;
    Ok(made.iter().map(|i| invitation_json(i, false)).collect())
}

/// `POST /v1/organizations/{id}/invitations` (`inviteMember({emailAddress, role})`).
pub async fn create(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    body: Form,
) -> ApiResult<Fapi> {
    run(st, caller, raw, body, move |tx, c| {
        let email: Vec<String> = c.form.get("email_address").filter(|e| !e.is_empty()).map(str::to_owned).into_iter().collect();
        Ok(invite(tx, c, &id, &email)?.remove(0))
    })
    .await
}

/// `POST /v1/organizations/{id}/invitations/bulk` (`inviteMembers({emailAddresses, role})`):
/// every address, or none.
pub async fn create_bulk(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    body: Form,
) -> ApiResult<Fapi> {
    run(st, caller, raw, body, move |tx, c| {
        let emails: Vec<String> = c.form.all("email_address");
        Ok(Value::Array(invite(tx, c, &id, &emails)?))
    })
    .await
}

/// `POST /v1/organizations/{id}/invitations/{inv}/revoke` (`invitation.revoke()`).
pub async fn revoke(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, inv)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Fapi> {
    run(st, caller, raw, no_form(), move |tx, c| {
        let (_, o) = c.in_org(tx, &id, Some("org:sys_memberships:manage"))?;
        let found = invitations::of_org(tx, &o.id, &inv)?;
        Ok(invitation_json(&invitations::revoke(tx, found, c.now())?, false))
    })
    .await
}

/// `GET /v1/me/organization_invitations` (`status` filter): the invitations to the user's
/// verified addresses, including those verified domains make (`orgs::domains::sync_user`).
pub async fn mine(State(st): State<AppState>, caller: Caller, RawQuery(raw): RawQuery) -> ApiResult<Fapi> {
    run(st, caller, raw, no_form(), |tx, c| {
        crate::orgs::domains::sync_user(tx, c.user, c.now())?;
        let mut shown = Vec::new();
        for i in invitations::of_user(tx, &c.user.id)?.into_iter().filter(|i| c.q.wants(&i.status)) {
            if let Some(o) = tx.org(&i.org_id)? {
                shown.push(user_invitation_json(&i, &o));
            }
        }
        Ok(c.q.page(shown, true, |v| v))
    })
    .await
}

/// `POST /v1/me/organization_invitations/{inv}/accept`: the user becomes a member.
pub async fn accept_mine(State(st): State<AppState>, caller: Caller, Path(inv): Path<String>, RawQuery(raw): RawQuery) -> ApiResult<Fapi> {
    run(st, caller, raw, no_form(), move |tx, c| {
        let i = invitations::accept(tx, c.user, &inv, c.now())?;
        let o = tx.org(&i.org_id)?.ok_or_else(|| crate::errors::ApiError::not_found("organization"))?;
        Ok(user_invitation_json(&i, &o))
    })
    .await
}

fn request_view(tx: &mut dyn crate::store::Tx, r: &MembershipRequest) -> ApiResult<Option<Value>> {
    let Some(u) = tx.user(&r.user_id)? else { return Ok(None) };
    Ok(Some(request_json(r, &views::user(tx, &u, false)?)))
}

/// `GET /v1/organizations/{id}/membership_requests` (`status` filter).
pub async fn requests(State(st): State<AppState>, caller: Caller, Path(id): Path<String>, RawQuery(raw): RawQuery) -> ApiResult<Fapi> {
    run(st, caller, raw, no_form(), move |tx, c| {
        let (_, o) = c.in_org(tx, &id, Some("org:sys_memberships:manage"))?;
        let mut shown = Vec::new();
        for r in orgs::list::<MembershipRequest>(tx, RecordsOf::Org(&o.id))?.into_iter().filter(|r| c.q.wants(&r.status)) {
            shown.extend(request_view(tx, &r)?);
        }
        Ok(c.q.page(shown, true, |v| v))
    })
    .await
}

async fn decide(st: AppState, caller: Caller, id: String, req: String, raw: Option<String>, accept: bool) -> ApiResult<Fapi> {
    run(st, caller, raw, no_form(), move |tx, c| {
        let (_, o) = c.in_org(tx, &id, Some("org:sys_memberships:manage"))?;
        let r = crate::orgs::domains::request_of_org(tx, &o.id, &req)?;
        let r = crate::orgs::domains::decide_request(tx, &o, r, accept, c.now())?;
        Ok(request_view(tx, &r)?.unwrap_or(Value::Null))
    })
    .await
}

/// `POST /v1/organizations/{id}/membership_requests/{req}/accept`: the requester joins as
/// `org:member`.
pub async fn accept_request(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, req)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Fapi> {
    decide(st, caller, id, req, raw, true).await
}

/// `POST /v1/organizations/{id}/membership_requests/{req}/reject`.
pub async fn reject_request(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, req)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Fapi> {
    decide(st, caller, id, req, raw, false).await
}
