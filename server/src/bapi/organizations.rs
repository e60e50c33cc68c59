//! The Backend API's organizations (`clerkClient.organizations.*` of @clerk/backend): the
//! organizations, their metadata, memberships and invitations. The secret key may do anything;
//! the rules that hold for everyone (slugs, the last admin, quotas) are `crate::orgs`'.
//!
//! These paths are the Frontend API's too (Clerk serves the two APIs on two hosts): a request
//! with an `Authorization` header comes here ([`is_backend_call`]), any other goes to
//! `fapi::organizations`.

use axum::Router;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::header;
use axum::middleware;
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use super::pagination;
use crate::AppState;
use crate::errors::{ApiError, ApiResult, Json};
use crate::extract::{Input, Params};
use crate::orgs::json::{deleted_json, invitation_json};
use crate::orgs::{self, invitations};
use crate::render::{self, org_backend_json};
use crate::store::orgs::{self as records, Invitation, RecordsOf};
use crate::store::{Done, Membership, Organization, Tx};
use crate::views;

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/v1/organizations", get(list).post(create))
        .route("/v1/organizations/{id}", get(get_one).patch(update).delete(destroy))
        .route("/v1/organizations/{id}/metadata", axum::routing::patch(merge_metadata).put(replace_metadata))
        .route("/v1/organizations/{id}/memberships", get(memberships).post(add_membership))
        .route("/v1/organizations/{id}/memberships/{user_id}", axum::routing::patch(update_membership).delete(delete_membership))
        .route("/v1/organizations/{id}/invitations", get(list_invitations).post(create_invitation))
        .route("/v1/organizations/{id}/invitations/bulk", post(create_invitations))
        .route("/v1/organizations/{id}/invitations/{inv}", get(get_invitation))
        .route("/v1/organizations/{id}/invitations/{inv}/revoke", post(revoke_invitation))
        .route_layer(middleware::from_fn_with_state(state, super::require_secret_key))
}

/// Whether a request to a path both APIs share is the Backend API's: it has an
/// `Authorization` header (the secret key, or a wrong one, which is then refused).
pub fn is_backend_call(req: &Request) -> bool {
    req.uri().path().starts_with("/v1/organizations") && req.headers().contains_key(header::AUTHORIZATION)
}

type Body = Map<String, Value>;

fn text<'a>(b: &'a Body, key: &str) -> Option<&'a str> {
    b.get(key).and_then(Value::as_str)
}

fn org_by_id(tx: &mut dyn Tx, id: &str) -> ApiResult<Organization> {
    tx.org(id)?.ok_or_else(|| ApiError::not_found("organization"))
}

fn shown(tx: &mut dyn Tx, o: &Organization) -> ApiResult<Json> {
    Ok(Json(org_backend_json(&views::org(tx, o)?)))
}

/// `max_allowed_memberships` and `admin_delete_enabled` from a body, and the metadata
/// (replaced, as Clerk's update does).
fn apply_settings(o: &mut Organization, b: &Body) -> ApiResult<()> {
    if let Some(v) = b.get("max_allowed_memberships").filter(|v| !v.is_null()) {
        o.max_allowed_memberships = v
            .as_u64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| ApiError::invalid_param("max_allowed_memberships", "max_allowed_memberships must be a non-negative integer"))?;
    }
    if let Some(v) = b.get("admin_delete_enabled").filter(|v| !v.is_null()) {
        o.admin_delete_enabled =
            v.as_bool().ok_or_else(|| ApiError::invalid_param("admin_delete_enabled", "admin_delete_enabled must be a boolean"))?;
    }
    for (key, target) in [("public_metadata", &mut o.public_metadata), ("private_metadata", &mut o.private_metadata)] {
        if let Some(v) = b.get(key).filter(|v| !v.is_null()) {
            *target = orgs::metadata_value(v, key)?;
        }
    }
    Ok(())
}

/// `GET /v1/organizations` (`getOrganizationList({limit, offset, query})`): newest first.
async fn list(State(st): State<AppState>, Params(q): Params) -> ApiResult<Json> {
    let (limit, offset) = pagination(&q)?;
    let query = q.get("query").cloned().unwrap_or_default();
    st.db(move |_, tx| {
        let (page, total) = tx.orgs(&query, limit, offset)?;
        let mut data = Vec::new();
        for o in &page {
            data.push(org_backend_json(&views::org(tx, o)?));
        }
        Ok(Done(Json(json!({ "data": data, "total_count": total }))))
    })
    .await
}

/// `POST /v1/organizations` (`createOrganization({name, slug, createdBy, …})`): `created_by`
/// becomes its `org:admin`.
async fn create(State(st): State<AppState>, Input(b): Input<Body>) -> ApiResult<Json> {
    let now = st.now();
    st.db(move |_, tx| {
        let creator = match text(&b, "created_by").filter(|c| !c.is_empty()) {
            Some(id) => Some(tx.user(id)?.ok_or_else(|| ApiError::not_found("user").param("created_by"))?),
            None => None,
        };
        let mut o = orgs::create(tx, text(&b, "name"), text(&b, "slug"), creator.as_ref(), now)?;
        apply_settings(&mut o, &b)?;
        tx.put_org(&o)?;
        Ok(Done(shown(tx, &o)?))
    })
    .await
}

/// `GET /v1/organizations/{id or slug}`.
async fn get_one(State(st): State<AppState>, Path(id): Path<String>) -> ApiResult<Json> {
    st.db(move |_, tx| {
        let o = match tx.org(&id)? {
            Some(o) => o,
            None => tx.org_by_slug(&id)?.ok_or_else(|| ApiError::not_found("organization"))?,
        };
        Ok(Done(shown(tx, &o)?))
    })
    .await
}

/// `PATCH /v1/organizations/{id}` (`updateOrganization`).
async fn update(State(st): State<AppState>, Path(id): Path<String>, Input(b): Input<Body>) -> ApiResult<Json> {
    let now = st.now();
    st.db(move |_, tx| {
        let o = org_by_id(tx, &id)?;
        let mut o = orgs::rename(tx, o, text(&b, "name"), text(&b, "slug"), now)?;
        apply_settings(&mut o, &b)?;
        tx.put_org(&o)?;
        Ok(Done(shown(tx, &o)?))
    })
    .await
}

/// `DELETE /v1/organizations/{id}`.
async fn destroy(State(st): State<AppState>, Path(id): Path<String>) -> ApiResult<Json> {
    let now = st.now();
    st.db(move |_, tx| {
        let o = org_by_id(tx, &id)?;
        orgs::delete(tx, &o, now)?;
        Ok(Done(Json(deleted_json("organization", &o.id))))
    })
    .await
}

async fn metadata(st: AppState, id: String, b: Body, merge: bool) -> ApiResult<Json> {
    let now = st.now();
    st.db(move |_, tx| {
        let mut o = org_by_id(tx, &id)?;
        for (key, target) in [("public_metadata", &mut o.public_metadata), ("private_metadata", &mut o.private_metadata)] {
            let Some(v) = b.get(key).filter(|v| !v.is_null()) else { continue };
            let v = orgs::metadata_value(v, key)?;
            if merge {
                orgs::merge_metadata(target, &v, key)?;
            } else {
                *target = v;
            }
        }
        o.updated_at = now;
        tx.put_org(&o)?;
        Ok(Done(shown(tx, &o)?))
    })
    .await
}

/// `PATCH /v1/organizations/{id}/metadata` (`updateOrganizationMetadata`): a deep merge; `null`
/// removes a key.
async fn merge_metadata(State(st): State<AppState>, Path(id): Path<String>, Input(b): Input<Body>) -> ApiResult<Json> {
    metadata(st, id, b, true).await
}

/// `PUT /v1/organizations/{id}/metadata` (`replaceOrganizationMetadata`).
async fn replace_metadata(State(st): State<AppState>, Path(id): Path<String>, Input(b): Input<Body>) -> ApiResult<Json> {
    metadata(st, id, b, false).await
}

/// A membership as the Backend API shows it, with the member's public user data.
fn membership_json(tx: &mut dyn Tx, m: &Membership, o: &Organization) -> ApiResult<Value> {
    let member = tx.user(&m.user_id)?;
    let mut out = render::membership_json(&views::membership(tx, m, o, member.as_ref())?);
    out["organization"] = org_backend_json(&views::org(tx, o)?);
    out["private_metadata"] = json!({});
    Ok(out)
}

/// `GET /v1/organizations/{id}/memberships` (`getOrganizationMembershipList`; `role` filter).
async fn memberships(State(st): State<AppState>, Path(id): Path<String>, RawQuery(raw): RawQuery) -> ApiResult<Json> {
    let pairs: Vec<(String, String)> = raw.as_deref().map(|q| crate::form_pairs(q).collect()).unwrap_or_default();
    let (limit, offset) = pagination(&pairs.iter().cloned().collect())?;
    let roles: Vec<String> = pairs.iter().filter(|(k, _)| k == "role" || k == "role[]").map(|(_, v)| v.clone()).collect();
    st.db(move |_, tx| {
        let o = org_by_id(tx, &id)?;
        let (page, total) = tx.memberships_in_org(&o.id, &roles, limit, offset)?;
        let mut data = Vec::new();
        for (m, _) in &page {
            data.push(membership_json(tx, m, &o)?);
        }
        Ok(Done(Json(json!({ "data": data, "total_count": total }))))
    })
    .await
}

/// `POST /v1/organizations/{id}/memberships` (`createOrganizationMembership({userId, role})`).
async fn add_membership(State(st): State<AppState>, Path(id): Path<String>, Input(b): Input<Body>) -> ApiResult<Json> {
    let now = st.now();
    st.db(move |_, tx| {
        let o = org_by_id(tx, &id)?;
        let user_id = text(&b, "user_id").filter(|u| !u.is_empty()).ok_or_else(|| ApiError::missing_param("user_id"))?;
        let role = orgs::check_role(text(&b, "role"))?;
        let m = orgs::add_member(tx, &o, user_id, &role, now)?;
        Ok(Done(Json(membership_json(tx, &m, &o)?)))
    })
    .await
}

/// `PATCH /v1/organizations/{id}/memberships/{user_id}` (`updateOrganizationMembership`).
async fn update_membership(
    State(st): State<AppState>,
    Path((id, user_id)): Path<(String, String)>,
    Input(b): Input<Body>,
) -> ApiResult<Json> {
    let now = st.now();
    st.db(move |_, tx| {
        let o = org_by_id(tx, &id)?;
        let role = orgs::check_role(text(&b, "role"))?;
        let m = orgs::set_role(tx, &o.id, &user_id, &role, now)?;
        Ok(Done(Json(membership_json(tx, &m, &o)?)))
    })
    .await
}

/// `DELETE /v1/organizations/{id}/memberships/{user_id}` (`deleteOrganizationMembership`).
async fn delete_membership(State(st): State<AppState>, Path((id, user_id)): Path<(String, String)>) -> ApiResult<Json> {
    let now = st.now();
    st.db(move |_, tx| {
        let o = org_by_id(tx, &id)?;
        let m = orgs::remove_member(tx, &o.id, &user_id, now)?;
        Ok(Done(Json(membership_json(tx, &m, &o)?)))
    })
    .await
}

/// `GET /v1/organizations/{id}/invitations` (`getOrganizationInvitationList`; `status` filter).
async fn list_invitations(State(st): State<AppState>, Path(id): Path<String>, RawQuery(raw): RawQuery) -> ApiResult<Json> {
    let pairs: Vec<(String, String)> = raw.as_deref().map(|q| crate::form_pairs(q).collect()).unwrap_or_default();
    let (limit, offset) = pagination(&pairs.iter().cloned().collect())?;
    let statuses: Vec<String> = pairs.iter().filter(|(k, _)| k == "status" || k == "status[]").map(|(_, v)| v.clone()).collect();
    st.db(move |_, tx| {
        let o = org_by_id(tx, &id)?;
        let all: Vec<Invitation> = records::list::<Invitation>(tx, RecordsOf::Org(&o.id))?
            .into_iter()
            .filter(|i| statuses.is_empty() || statuses.contains(&i.status))
            .collect();
        let data: Vec<Value> = all.iter().skip(offset as usize).take(limit as usize).map(|i| invitation_json(i, true)).collect();
        Ok(Done(Json(json!({ "data": data, "total_count": all.len() }))))
    })
    .await
}

/// `POST /v1/organizations/{id}/invitations` (`createOrganizationInvitation({emailAddress, role,
/// publicMetadata})`).
async fn create_invitation(State(st): State<AppState>, Path(id): Path<String>, Input(b): Input<Body>) -> ApiResult<Json> {
    let now = st.now();
    st.db(move |st, tx| {
        let o = org_by_id(tx, &id)?;
        let email: Vec<String> = text(&b, "email_address").map(str::to_owned).into_iter().collect();
        let role = orgs::check_role(text(&b, "role"))?;
        let public = match b.get("public_metadata").filter(|v| !v.is_null()) {
            Some(v) => orgs::metadata_value(v, "public_metadata")?,
            None => json!({}),
        };
        let mut made = invitations::invite(st, tx, &o, &email, &role, public, now)?;
        Ok(Done(Json(invitation_json(&made.remove(0), true))))
    })
    .await
}

/// `POST /v1/organizations/{id}/invitations/bulk` (`createOrganizationInvitationBulk`): an array
/// of invitations, each with its role; all or none. Answers the bare array, as Clerk does.
async fn create_invitations(State(st): State<AppState>, Path(id): Path<String>, Input(items): Input<Vec<Body>>) -> ApiResult<Json> {
    let now = st.now();
    st.db(move |st, tx| {
        let o = org_by_id(tx, &id)?;
        if items.is_empty() {
            return Err(ApiError::missing_param("email_address"));
        }
        let mut out = Vec::new();
        for b in &items {
            let email: Vec<String> = text(b, "email_address").map(str::to_owned).into_iter().collect();
            let role = orgs::check_role(text(b, "role"))?;
            let public = match b.get("public_metadata").filter(|v| !v.is_null()) {
                Some(v) => orgs::metadata_value(v, "public_metadata")?,
                None => json!({}),
            };
            // One at a time in this transaction: a repeated address is a duplicate of the first.
            for i in invitations::invite(st, tx, &o, &email, &role, public, now)? {
                out.push(invitation_json(&i, true));
            }
        }
        Ok(Done(Json(Value::Array(out))))
    })
    .await
}

/// `GET /v1/organizations/{id}/invitations/{inv}` (`getOrganizationInvitation`).
async fn get_invitation(State(st): State<AppState>, Path((id, inv)): Path<(String, String)>) -> ApiResult<Json> {
    st.db(move |_, tx| Ok(Done(Json(invitation_json(&invitations::of_org(tx, &id, &inv)?, true))))).await
}

/// `POST /v1/organizations/{id}/invitations/{inv}/revoke` (`revokeOrganizationInvitation`).
async fn revoke_invitation(State(st): State<AppState>, Path((id, inv)): Path<(String, String)>) -> ApiResult<Json> {
    let now = st.now();
    st.db(move |_, tx| {
        let found = invitations::of_org(tx, &id, &inv)?;
        Ok(Done(Json(invitation_json(&invitations::revoke(tx, found, now)?, true))))
    })
    .await
}
