//! The signed-in user's organizations, as clerk-js reads and administers them (`Organization`,
//! `OrganizationMembership`, `useOrganizationList` / `useOrganization`; see docs/dropin.md (a)).
//! This file has the routes, the plumbing every organization handler shares, and the
//! organization itself; `org_members`, `org_invitations` and `org_domains` have the rest. The
//! rules live in `crate::orgs`.
//!
//! Every route needs a signed-in session of the caller's client: `_clerk_session_id` (clerk-js
//! adds it to every request) or else the client's last active session. Without one the answer is
//! 401 `signed_out`. An organization the user is not a member of is a 404, the same answer as an
//! id that does not exist, so ids cannot be probed. What a role may do is Clerk's system
//! permissions (`render::role_permissions`); a member without the permission gets 403
//! `authorization_invalid`.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use serde_json::{Value, json};

use super::{CookieChange, Ctx, Fapi, Reply, answer, ctx, find_client, org_domains, org_invitations, org_logo, org_members};
use crate::AppState;
use crate::errors::{ApiError, ApiResult};
use crate::extract::Caller;
use crate::orgs::json::{deleted_json, roles_json};
use crate::render::{self, role_permissions};
use crate::store::{Client, Done, Membership, Organization, Outcome, Session, Tx, User};
use crate::views;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/organizations", post(create))
        .route("/v1/organizations/{id}", get(get_org).patch(update).delete(destroy))
        .route(
            "/v1/organizations/{id}/logo",
            put(org_logo::put_logo).delete(org_logo::delete_logo).layer(DefaultBodyLimit::max(crate::images::UPLOAD_LIMIT)),
        )
        .route("/v1/organizations/{id}/roles", get(roles))
        .route("/v1/organizations/{id}/memberships", get(org_members::list).post(org_members::add))
        .route("/v1/organizations/{id}/memberships/{user_id}", axum::routing::patch(org_members::update).delete(org_members::remove))
        .route("/v1/organizations/{id}/invitations", get(org_invitations::list).post(org_invitations::create))
        .route("/v1/organizations/{id}/invitations/bulk", post(org_invitations::create_bulk))
        .route("/v1/organizations/{id}/invitations/{inv}/revoke", post(org_invitations::revoke))
        .route("/v1/organizations/{id}/membership_requests", get(org_invitations::requests))
        .route("/v1/organizations/{id}/membership_requests/{req}/accept", post(org_invitations::accept_request))
        .route("/v1/organizations/{id}/membership_requests/{req}/reject", post(org_invitations::reject_request))
        .route("/v1/organizations/{id}/domains", get(org_domains::list).post(org_domains::create))
        .route("/v1/organizations/{id}/domains/{dom}", get(org_domains::get).delete(org_domains::delete))
        .route("/v1/organizations/{id}/domains/{dom}/update_enrollment_mode", post(org_domains::update_mode))
        .route("/v1/organizations/{id}/domains/{dom}/prepare_affiliation_verification", post(org_domains::prepare))
        .route("/v1/organizations/{id}/domains/{dom}/attempt_affiliation_verification", post(org_domains::attempt))
        .route("/v1/me/organization_memberships", get(org_members::mine))
        .route("/v1/me/organization_memberships/{id}", axum::routing::delete(org_members::leave))
        .route("/v1/me/organization_invitations", get(org_invitations::mine))
        .route("/v1/me/organization_invitations/{inv}/accept", post(org_invitations::accept_mine))
        .route("/v1/me/organization_suggestions", get(org_domains::my_suggestions))
        .route("/v1/me/organization_suggestions/{sug}/accept", post(org_domains::accept_suggestion))
        .route("/v1/me/organization_creation_defaults", get(creation_defaults))
}

/// The parsed query string: pagination plus the filters the lists take.
pub(super) struct ListQuery {
    pub limit: u32,
    pub offset: u32,
    /// `paginated=true` asks for `{data, total_count}`; otherwise the legacy bare array.
    pub paginated: bool,
    /// `role` filter of memberships.
    pub roles: Vec<String>,
    /// `status` filter of invitations, requests and suggestions.
    pub statuses: Vec<String>,
    /// `query` filter of memberships.
    pub query: Option<String>,
    pub enrollment_mode: Option<String>,
    session_id: Option<String>,
}

/// Every value of a repeated parameter (`k=a&k=b` or `k[]=…`), and comma-separated ones, as
/// clerk-js's `URLSearchParams` serialises an array.
fn multi(pairs: &[(String, String)], key: &str) -> Vec<String> {
    let bracketed = format!("{key}[]");
    pairs
        .iter()
        .filter(|(k, _)| k == key || *k == bracketed)
        .flat_map(|(_, v)| v.split(','))
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect()
}

impl ListQuery {
    fn parse(raw: Option<&str>) -> ApiResult<Self> {
        let pairs: Vec<(String, String)> = raw.map(|q| crate::form_pairs(q).collect()).unwrap_or_default();
        let map: std::collections::HashMap<String, String> = pairs.iter().cloned().collect();
        let (limit, offset) = crate::bapi::pagination(&map)?;
        let nonempty = |k: &str| map.get(k).filter(|v| !v.is_empty()).cloned();
        Ok(ListQuery {
            limit,
            offset,
            paginated: map.get("paginated").is_some_and(|v| v == "true"),
            roles: multi(&pairs, "role"),
            statuses: multi(&pairs, "status"),
            query: nonempty("query"),
            enrollment_mode: nonempty("enrollment_mode"),
            session_id: nonempty("_clerk_session_id"),
        })
    }

    /// Whether `status` passes the `status` filter (none: every status).
    pub fn wants(&self, status: &str) -> bool {
        self.statuses.is_empty() || self.statuses.iter().any(|s| s == status)
    }

    /// One page of `items`, `{data, total_count}` (or the bare array when not `paginated` and
    /// `always_paginated` is false).
    pub fn page<T>(&self, items: Vec<T>, always_paginated: bool, mut render: impl FnMut(T) -> Value) -> Value {
        let total = items.len();
        let data: Vec<Value> = items.into_iter().skip(self.offset as usize).take(self.limit as usize).map(&mut render).collect();
        page(data, total as u64, always_paginated || self.paginated)
    }
}

/// A body's fields, in order: a form (clerk-js sends arrays as repeated keys), or a JSON object
/// (arrays become repeated fields, other values their JSON text). No body: no fields.
pub(super) struct Form(Vec<(String, String)>);

impl<S: Send + Sync> axum::extract::FromRequest<S> for Form {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, _state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/json"));
        let limit = crate::extract::BODY_LIMIT;
        let bytes = axum::body::to_bytes(req.into_body(), limit).await.map_err(|_| ApiError::body_too_large(limit))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Form(Vec::new()));
        }
        let malformed = |e: &dyn std::fmt::Display| {
            ApiError::bad_request("malformed_request_body", "Malformed body").long(format!("The request body could not be parsed: {e}"))
        };
        if !is_json {
            crate::extract::check_urlencoded(&bytes).map_err(|e| malformed(&e))?;
            return serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes).map(Form).map_err(|e| malformed(&e));
        }
        let obj: serde_json::Map<String, Value> = serde_json::from_slice(&bytes).map_err(|e| malformed(&e))?;
        let mut pairs = Vec::new();
        for (k, v) in obj {
            let text = |v: Value| if let Value::String(s) = v { s } else { v.to_string() };
            match v {
                Value::Null => {}
                Value::Array(items) => pairs.extend(items.into_iter().map(|i| (k.clone(), text(i)))),
                other => pairs.push((k, text(other))),
            }
        }
        Ok(Form(pairs))
    }
}

impl Form {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn all(&self, key: &str) -> Vec<String> {
        multi(&self.0, key)
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

/// What an organization handler gets: the state, the session's user, the query, the
/// form body and the request's context.
pub(super) struct Call<'a> {
    pub st: &'a AppState,
    pub user: &'a User,
    pub q: &'a ListQuery,
    pub form: &'a Form,
    pub ctx: &'a Ctx,
}

impl Call<'_> {
    pub fn now(&self) -> i64 {
        self.ctx.now
    }

    /// The user's membership in `org_id` (404 when there is none) and, with `permission`, the
    /// 403 when its role lacks it.
    pub fn in_org(&self, tx: &mut dyn Tx, org_id: &str, permission: Option<&str>) -> ApiResult<(Membership, Organization)> {
        let (m, o) = tx
            .memberships_of(&self.user.id)?
            .into_iter()
            .find(|(_, o)| o.id == org_id)
            .ok_or_else(|| ApiError::not_found("organization"))?;
        if let Some(p) = permission {
            require(&m, p)?;
        }
        Ok((m, o))
    }
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
pub(super) fn page(data: Vec<Value>, total: u64, paginated: bool) -> Value {
    if paginated { json!({ "data": data, "total_count": total }) } else { Value::Array(data) }
}

/// Runs `f` for a signed-in caller and wraps its answer in `{response, client}` (the client
/// loaded after `f`, so that it shows what `f` changed). `Refused` commits `f`'s writes and
/// answers the error (a wrong verification code is counted).
pub(super) async fn run_outcome<F>(st: AppState, caller: Caller, raw: Option<String>, form: Form, mut f: F) -> ApiResult<Fapi>
where
    F: FnMut(&mut dyn Tx, &Call) -> ApiResult<Outcome<Value, ApiError>> + Send + 'static,
{
    let q = ListQuery::parse(raw.as_deref())?;
    answer(&st, move |st, tx| {
        let ctx = ctx(&caller);
        let (client, s) = signed_in(tx, &caller, q.session_id.as_deref(), ctx.now)?;
        let user = tx.user(&s.user_id)?.ok_or_else(signed_out)?;
        let call = Call { st, user: &user, q: &q, form: &form, ctx: &ctx };
        match f(tx, &call)? {
            Done(response) => Ok(Done(Reply::new(&caller).envelope(st, tx, &client, move |_| response, CookieChange::Keep)?)),
            Outcome::Refused(e) => Ok(Outcome::Refused(e)),
        }
    })
    .await
}

/// [`run_outcome`] for handlers that either answer or fail (and write nothing).
pub(super) async fn run<F>(st: AppState, caller: Caller, raw: Option<String>, form: Form, mut f: F) -> ApiResult<Fapi>
where
    F: FnMut(&mut dyn Tx, &Call) -> ApiResult<Value> + Send + 'static,
{
    run_outcome(st, caller, raw, form, move |tx, call| f(tx, call).map(Done)).await
}

pub(super) fn no_form() -> Form {
    Form(Vec::new())
}

pub(super) fn org_json(tx: &mut dyn Tx, o: &Organization) -> ApiResult<Value> {
    Ok(render::org_json(&views::org(tx, o)?))
}

/// `POST /v1/organizations` (`clerk.createOrganization({name, slug})`): the creator becomes its
/// `org:admin`. Needs organizations enabled and the user under the creation limit.
async fn create(State(st): State<AppState>, caller: Caller, RawQuery(raw): RawQuery, body: Form) -> ApiResult<Fapi> {
    run(st, caller, raw, body, |tx, c| {
        crate::orgs::check_can_create(&c.st.config, tx, c.user)?;
        let o = crate::orgs::create(tx, c.form.get("name"), c.form.get("slug"), Some(c.user), c.now())?;
        org_json(tx, &o)
    })
    .await
}

/// `GET /v1/organizations/{id}`.
async fn get_org(State(st): State<AppState>, caller: Caller, Path(id): Path<String>, RawQuery(raw): RawQuery) -> ApiResult<Fapi> {
    run(st, caller, raw, no_form(), move |tx, c| {
        let (_, o) = c.in_org(tx, &id, None)?;
        org_json(tx, &o)
    })
    .await
}

/// `PATCH /v1/organizations/{id}` (`organization.update({name, slug})`): needs
/// `org:sys_profile:manage`. Metadata is the Backend API's to change, as on Clerk; the Frontend
/// API ignores it like any other unknown field.
async fn update(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    body: Form,
) -> ApiResult<Fapi> {
    run(st, caller, raw, body, move |tx, c| {
        let (_, o) = c.in_org(tx, &id, Some("org:sys_profile:manage"))?;
        let o = crate::orgs::rename(tx, o, c.form.get("name"), c.form.get("slug"), c.now())?;
        org_json(tx, &o)
    })
    .await
}

/// `DELETE /v1/organizations/{id}` (`organization.destroy()`): needs `org:sys_profile:delete`
/// and an organization whose admins may delete it.
async fn destroy(State(st): State<AppState>, caller: Caller, Path(id): Path<String>, RawQuery(raw): RawQuery) -> ApiResult<Fapi> {
    run(st, caller, raw, no_form(), move |tx, c| {
        let (_, o) = c.in_org(tx, &id, Some("org:sys_profile:delete"))?;
        if !o.admin_delete_enabled {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "organization_admin_delete_not_enabled",
                "Deleting this organization is disabled",
            )
            .long("This organization's admins may not delete it (admin_delete_enabled is false)."));
        }
        crate::orgs::delete(tx, &o, c.now())?;
        Ok(deleted_json("organization", &o.id))
    })
    .await
}

/// `GET /v1/organizations/{id}/roles` (`organization.getRoles()`): the instance's roles with
/// their permissions; needs `org:sys_memberships:read`.
async fn roles(State(st): State<AppState>, caller: Caller, Path(id): Path<String>, RawQuery(raw): RawQuery) -> ApiResult<Fapi> {
    run(st, caller, raw, no_form(), move |tx, c| {
        c.in_org(tx, &id, Some("org:sys_memberships:read"))?;
        let created = tx.instance()?.map_or(0, |i| i.created_at);
        let mut out = c.q.page(roles_json(created), true, |r| r);
        out["has_role_set_migration"] = json!(false);
        Ok(out)
    })
    .await
}

/// `GET /v1/me/organization_creation_defaults` (`user.getOrganizationCreationDefaults()`): no
/// suggested name or logo, and no advisory.
async fn creation_defaults(State(st): State<AppState>, caller: Caller, RawQuery(raw): RawQuery) -> ApiResult<Fapi> {
    run(st, caller, raw, no_form(), |_, _| {
        Ok(json!({ "object": "organization_creation_defaults", "advisory": null, "form": {"name": "", "slug": "", "logo": null, "blur_hash": null} }))
    })
    .await
}
