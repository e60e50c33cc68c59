//! Memberships on the Frontend API: the user's own (`user.getOrganizationMemberships()`,
//! `user.leaveOrganization()`) and an organization's (`organization.getMemberships()`,
//! `addMember`, `updateMember`, `removeMember`, `membership.update()` / `destroy()`).
//! Reading needs `org:sys_memberships:read`, changing `org:sys_memberships:manage`; the last
//! admin can be neither demoted nor removed (`crate::orgs`).

use axum::extract::{Path, RawQuery, State};
use serde_json::Value;

use super::Fapi;
use super::organizations::{Form, no_form, run};
use crate::AppState;
use crate::errors::{ApiError, ApiResult};
use crate::extract::Caller;
use crate::orgs::json::deleted_json;
use crate::render;
use crate::store::{Membership, Organization, Tx};
use crate::views;

/// A membership as the lists show it: with its member's public user data.
fn membership_json(tx: &mut dyn Tx, m: &Membership, o: &Organization) -> ApiResult<Value> {
    let member = tx.user(&m.user_id)?.ok_or_else(|| ApiError::not_found("user"))?;
    Ok(render::membership_json(&views::membership(tx, m, o, Some(&member))?))
}

/// `GET /v1/me/organization_memberships`: the user's memberships, each with its organization.
pub async fn mine(State(st): State<AppState>, caller: Caller, RawQuery(raw): RawQuery) -> ApiResult<Fapi> {
    run(st, caller, raw, no_form(), |tx, c| {
        let all = tx.memberships_of(&c.user.id)?;
        let total = all.len() as u64;
        let mut data = Vec::new();
        for (m, o) in all.into_iter().skip(c.q.offset as usize).take(c.q.limit as usize) {
            data.push(render::membership_json(&views::membership(tx, &m, &o, Some(c.user))?));
        }
        Ok(super::organizations::page(data, total, c.q.paginated))
    })
    .await
}

/// `GET /v1/organizations/{id}/memberships`: the members (`role` and `query` filters).
pub async fn list(State(st): State<AppState>, caller: Caller, Path(id): Path<String>, RawQuery(raw): RawQuery) -> ApiResult<Fapi> {
    run(st, caller, raw, no_form(), move |tx, c| {
        let (_, o) = c.in_org(tx, &id, Some("org:sys_memberships:read"))?;
        let Some(query) = c.q.query.clone() else {
            let (members, total) = tx.memberships_in_org(&o.id, &c.q.roles, c.q.limit, c.q.offset)?;
            let mut data = Vec::new();
            for (m, u) in &members {
                data.push(render::membership_json(&views::membership(tx, m, &o, Some(u))?));
            }
            return Ok(super::organizations::page(data, total, c.q.paginated));
        };
        // `query` matches the member's names and addresses: filtered here, then paged.
        let (members, _) = tx.memberships_in_org(&o.id, &c.q.roles, u32::MAX, 0)?;
        let mut matching = Vec::new();
        for (m, u) in members {
            if crate::orgs::user_matches(tx, &u, &query)? {
                matching.push((m, u));
            }
        }
        let total = matching.len() as u64;
        let mut data = Vec::new();
        for (m, u) in matching.iter().skip(c.q.offset as usize).take(c.q.limit as usize) {
            data.push(render::membership_json(&views::membership(tx, m, &o, Some(u))?));
        }
        Ok(super::organizations::page(data, total, c.q.paginated))
    })
    .await
}

/// `POST /v1/organizations/{id}/memberships` (`organization.addMember({userId, role})`).
pub async fn add(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    body: Form,
) -> ApiResult<Fapi> {
    run(st, caller, raw, body, move |tx, c| {
        let (_, o) = c.in_org(tx, &id, Some("org:sys_memberships:manage"))?;
        let user_id = c.form.get("user_id").filter(|u| !u.is_empty()).ok_or_else(|| ApiError::missing_param("user_id"))?;
        let role = crate::orgs::check_role(c.form.get("role"))?;
        let m = crate::orgs::add_member(tx, &o, user_id, &role, c.now())?;
        membership_json(tx, &m, &o)
    })
    .await
}

/// `PATCH /v1/organizations/{id}/memberships/{user_id}` (`updateMember`, `membership.update`).
pub async fn update(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, user_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    body: Form,
) -> ApiResult<Fapi> {
    run(st, caller, raw, body, move |tx, c| {
        let (_, o) = c.in_org(tx, &id, Some("org:sys_memberships:manage"))?;
        let role = crate::orgs::check_role(c.form.get("role"))?;
        let m = crate::orgs::set_role(tx, &o.id, &user_id, &role, c.now())?;
        membership_json(tx, &m, &o)
    })
    .await
}

/// `DELETE /v1/organizations/{id}/memberships/{user_id}` (`removeMember`, `membership.destroy`):
/// answers the removed membership, as Clerk does.
pub async fn remove(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, user_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Fapi> {
    run(st, caller, raw, no_form(), move |tx, c| {
        let (_, o) = c.in_org(tx, &id, Some("org:sys_memberships:manage"))?;
        let member = tx.user(&user_id)?;
        let m = crate::orgs::remove_member(tx, &o.id, &user_id, c.now())?;
        // Loaded after the removal: the organization's `members_count` no longer counts it.
        Ok(render::membership_json(&views::membership(tx, &m, &o, member.as_ref())?))
    })
    .await
}

/// `DELETE /v1/me/organization_memberships/{org_id}` (`user.leaveOrganization(orgId)`): any
/// member may leave, but the last admin.
pub async fn leave(State(st): State<AppState>, caller: Caller, Path(org_id): Path<String>, RawQuery(raw): RawQuery) -> ApiResult<Fapi> {
    run(st, caller, raw, no_form(), move |tx, c| {
        let (m, _) = c.in_org(tx, &org_id, None)?;
        crate::orgs::remove_member(tx, &org_id, &c.user.id, c.now())?;
        Ok(deleted_json("organization_membership", &m.id))
    })
    .await
}
