//! The signed-in user's organizations, as `useOrganizationList` / `useOrganization` read them
//! through clerk-js (`user.getOrganizationMemberships()`, `organization.getMemberships()`, …;
//! see docs/dropin.md (a)).
//!
//! Every route needs a signed-in session of the caller's client: `_clerk_session_id` (clerk-js
//! adds it to every request) or else the client's last active session. Without one the answer is
//! 401 `signed_out`. An organization the user is not a member of is a 404, the same answer as an
//! id that does not exist, so ids cannot be probed.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{CookieChange, Ctx, Fapi, Reply, answer, ctx, find_client};
use crate::AppState;
use crate::errors::{ApiError, ApiResult};
use crate::extract::Caller;
use crate::render::{self, role_permissions};
use crate::store::{Client, Done, Membership, Organization, Session, Tx};
use crate::views;

/// The parsed query string: pagination plus the filters these lists take.
struct ListQuery {
    limit: u32,
    offset: u32,
    /// `paginated=true` asks for `{data, total_count}`; otherwise the legacy bare array.
    paginated: bool,
    /// `role` filter of an organization's memberships (repeated, or comma-separated as
    /// clerk-js's `URLSearchParams` serialises an array).
    roles: Vec<String>,
    session_id: Option<String>,
}

impl ListQuery {
    fn parse(raw: Option<&str>) -> ApiResult<Self> {
        let pairs: Vec<(String, String)> = raw.map(|q| crate::form_pairs(q).collect()).unwrap_or_default();
        let map = pairs.iter().cloned().collect();
        let (limit, offset) = crate::bapi::pagination(&map)?;
        let roles = pairs
            .iter()
            .filter(|(k, _)| k == "role" || k == "role[]")
            .flat_map(|(_, v)| v.split(','))
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(ListQuery {
            limit,
            offset,
            paginated: map.get("paginated").is_some_and(|v| v == "true"),
            roles,
            session_id: map.get("_clerk_session_id").filter(|v| !v.is_empty()).cloned(),
        })
    }
}

fn signed_out() -> ApiError {
    ApiError::unauthorized("signed_out", "Signed out").long("You are signed out. Sign in to use this endpoint.")
}

/// The caller's client and the signed-in session the request acts for.
pub(super) fn signed_in(tx: &mut dyn Tx, caller: &Caller, session_id: Option<&str>, now: i64) -> ApiResult<(Client, Session)> {
    let client = find_client(tx, caller)?.ok_or_else(signed_out)?;
    let id = session_id.map(str::to_owned).or_else(|| client.last_active_session_id.clone()).ok_or_else(signed_out)?;
    match tx.session(&id)? {
        Some(s) if s.client_id == client.id && s.effective_status(now).is_signed_in() => Ok((client, s)),
        _ => Err(signed_out()),
    }
}

/// The session user's membership in `org_id`; 404 when there is none.
fn own_membership(tx: &mut dyn Tx, s: &Session, org_id: &str) -> ApiResult<(Membership, Organization)> {
    tx.memberships_of(&s.user_id)?.into_iter().find(|(_, o)| o.id == org_id).ok_or_else(|| ApiError::not_found("organization"))
}

/// 403 unless the membership's role grants `permission` (a system permission).
fn require(m: &Membership, permission: &str) -> ApiResult<()> {
    if role_permissions(&m.role).contains(&permission) {
        return Ok(());
    }
    Err(ApiError::new(StatusCode::FORBIDDEN, "authorization_invalid", "You are not authorized to perform this request")
        .long(format!("This request needs the `{permission}` permission, which the role `{}` does not grant.", m.role)))
}

/// `{data, total_count}`, or the bare array when the caller did not ask for pagination.
fn page(data: Vec<Value>, total: u64, paginated: bool) -> Value {
    if paginated { json!({ "data": data, "total_count": total }) } else { Value::Array(data) }
}

/// Runs `f` for a signed-in caller and wraps its answer in `{response, client}`.
async fn with_session<F>(st: AppState, caller: Caller, raw: Option<String>, mut f: F) -> ApiResult<Fapi>
where
    F: FnMut(&mut dyn Tx, &Session, &ListQuery, &Ctx) -> ApiResult<Value> + Send + 'static,
{
    let q = ListQuery::parse(raw.as_deref())?;
    answer(&st, move |st, tx| {
        let ctx = ctx(&caller);
        let (client, s) = signed_in(tx, &caller, q.session_id.as_deref(), ctx.now)?;
        let response = f(tx, &s, &q, &ctx)?;
        Ok(Done(Reply::new(&caller).envelope(st, tx, &client, move |_| response, CookieChange::Keep)?))
    })
    .await
}

/// `GET /v1/me/organization_memberships`: the user's memberships, each with its organization.
pub async fn my_memberships(State(st): State<AppState>, caller: Caller, RawQuery(raw): RawQuery) -> ApiResult<Fapi> {
    with_session(st, caller, raw, |tx, s, q, _| {
        let Some(user) = tx.user(&s.user_id)? else {
            return Err(signed_out());
        };
        let all = tx.memberships_of(&s.user_id)?;
        let total = all.len() as u64;
        let mut data = Vec::new();
        for (m, o) in all.into_iter().skip(q.offset as usize).take(q.limit as usize) {
            data.push(render::membership_json(&views::membership(tx, &m, &o, Some(&user))?));
        }
        Ok(page(data, total, q.paginated))
    })
    .await
}

/// `GET /v1/me/organization_invitations` and `/organization_suggestions`: clerk-server has no
/// invitations or verified domains, so both lists are empty, in the paginated shape clerk-js
/// reads (`{data, total_count}`, always paginated for these two).
pub async fn my_empty_list(State(st): State<AppState>, caller: Caller, RawQuery(raw): RawQuery) -> ApiResult<Fapi> {
    with_session(st, caller, raw, |_, _, _, _| Ok(page(vec![], 0, true))).await
}

/// `GET /v1/organizations/{id}`.
pub async fn get_org(State(st): State<AppState>, caller: Caller, Path(id): Path<String>, RawQuery(raw): RawQuery) -> ApiResult<Fapi> {
    with_session(st, caller, raw, move |tx, s, _, _| {
        let (_, o) = own_membership(tx, s, &id)?;
        Ok(render::org_json(&views::org(tx, &o)?))
    })
    .await
}

/// `GET /v1/organizations/{id}/memberships`: the organization's members, with their public
/// user data; needs `org:sys_memberships:read` (both built-in roles have it).
pub async fn org_memberships(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Fapi> {
    with_session(st, caller, raw, move |tx, s, q, _| {
        let (mine, o) = own_membership(tx, s, &id)?;
        require(&mine, "org:sys_memberships:read")?;
        let (members, total) = tx.memberships_in_org(&o.id, &q.roles, q.limit, q.offset)?;
        let mut data = Vec::new();
        for (m, u) in &members {
            data.push(render::membership_json(&views::membership(tx, m, &o, Some(u))?));
        }
        Ok(page(data, total, q.paginated))
    })
    .await
}

/// The organization lists clerk-server keeps nothing for: invitations and membership requests
/// (`org:sys_memberships:manage`) and domains (`org:sys_domains:read`). Permissions are checked
/// as Clerk does, so a member gets the same 403 as on Clerk; the answer is an empty page.
async fn org_empty_list(st: AppState, caller: Caller, org_id: String, raw: Option<String>, permission: &'static str) -> ApiResult<Fapi> {
    with_session(st, caller, raw, move |tx, s, _, _| {
        let (mine, _) = own_membership(tx, s, &org_id)?;
        require(&mine, permission)?;
        Ok(page(vec![], 0, true))
    })
    .await
}

/// `GET /v1/organizations/{id}/invitations`.
pub async fn org_invitations(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Fapi> {
    org_empty_list(st, caller, id, raw, "org:sys_memberships:manage").await
}

/// `GET /v1/organizations/{id}/membership_requests`.
pub async fn org_membership_requests(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Fapi> {
    org_empty_list(st, caller, id, raw, "org:sys_memberships:manage").await
}

/// `GET /v1/organizations/{id}/domains`.
pub async fn org_domains(State(st): State<AppState>, caller: Caller, Path(id): Path<String>, RawQuery(raw): RawQuery) -> ApiResult<Fapi> {
    org_empty_list(st, caller, id, raw, "org:sys_domains:read").await
}
