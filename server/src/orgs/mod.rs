//! Organization administration, shared by the Frontend API (`fapi::organizations` and its
//! siblings, for the signed-in member) and the Backend API (`bapi::organizations`): validation,
//! memberships and their invariants (an organization keeps an admin), invitations, domains and
//! the suggestions and invitations they make. Handlers check who may call; this module checks
//! what may be done. Everything runs inside the caller's transaction: an `Err` writes nothing.

pub mod domains;
pub mod invitations;
pub mod json;

use axum::http::StatusCode;
use serde_json::Value;

use crate::errors::{ApiError, ApiResult};
use crate::store::{Membership, Organization, SessionFilter, Tx, User};
use crate::util::new_id;

/// Clerk's limit on organization names and slugs.
pub const NAME_MAX: usize = 256;

/// The roles every instance has (Clerk's default role set).
pub const ROLES: [&str; 2] = ["org:admin", "org:member"];

pub fn is_role(role: &str) -> bool {
    ROLES.contains(&role)
}

/// The organization's name: present, not blank, at most [`NAME_MAX`] characters (trimmed).
pub fn check_name(name: Option<&str>) -> ApiResult<String> {
    let name = name.map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return Err(ApiError::missing_param("name"));
    }
    if name.chars().count() > NAME_MAX {
        return Err(too_long("name"));
    }
    Ok(name.to_owned())
}

fn too_long(param: &str) -> ApiError {
    ApiError::unprocessable("form_param_max_length_exceeded", format!("{param} must be at most {NAME_MAX} characters long"))
        .long(format!("`{param}` must be at most {NAME_MAX} characters long."))
        .param(param)
}

/// A slug is lower-case letters, digits, `-` and `_`, and neither starts nor ends with `-`.
pub fn check_slug(slug: &str) -> ApiResult<()> {
    if slug.chars().count() > NAME_MAX {
        return Err(too_long("slug"));
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
    if slug.is_empty() || !slug.chars().all(allowed) || slug.starts_with('-') || slug.ends_with('-') {
        return Err(ApiError::unprocessable("form_param_format_invalid", "slug must contain only lowercase letters, digits, - and _")
            .long("An organization's slug contains only lowercase alphanumeric characters, hyphens and underscores, and does not start or end with a hyphen.")
            .param("slug"));
    }
    Ok(())
}

/// The slug Clerk derives from a name when none is given: lower-cased, runs of anything else
/// than letters and digits become one `-`.
pub fn slug_from(name: &str) -> String {
    let mut out = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let slug = out.trim_matches('-');
    if slug.is_empty() { "organization".to_owned() } else { slug.chars().take(NAME_MAX).collect() }
}

fn slug_taken() -> ApiError {
    ApiError::unprocessable("form_identifier_exists", "This slug is already taken. Please try another.").param("slug")
}

/// 403 unless organizations are on, the user may create them (`create_organization_enabled`,
/// which the Backend API's `updateUser` sets) and `user` is under the creation limit (theirs,
/// else the instance's: the organizations the user created and still belongs to). Both codes
/// are our names.
pub fn check_can_create(config: &crate::config::Config, tx: &mut dyn Tx, user: &User) -> ApiResult<()> {
    if !config.organizations {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "organizations_disabled", "Organizations are not enabled for this instance")
            .long("This instance has organizations turned off (clerk-server --no-organizations)."));
    }
    if user.profile.create_organization_enabled == Some(false) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "organization_creation_not_allowed", "You may not create organizations")
            .long("This user's create_organization_enabled is false (the Backend API's updateUser sets it)."));
    }
    if let Some(limit) = user.profile.create_organizations_limit.or(config.org_creation_limit) {
        let created = tx.memberships_of(&user.id)?.iter().filter(|(_, o)| o.created_by.as_deref() == Some(user.id.as_str())).count();
        if created >= limit as usize {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "organization_creation_limit_exceeded",
                "You have reached your limit of organizations",
            )
            .long(format!("A user may create at most {limit} organizations on this instance.")));
        }
    }
    Ok(())
}

/// A new organization; `creator` (if any) becomes its `org:admin`.
pub fn create(tx: &mut dyn Tx, name: Option<&str>, slug: Option<&str>, creator: Option<&User>, now: i64) -> ApiResult<Organization> {
    let name = check_name(name)?;
    let slug = match slug.filter(|s| !s.is_empty()) {
        Some(s) => s.to_owned(),
        None => slug_from(&name),
    };
    check_slug(&slug)?;
    if tx.org_by_slug(&slug)?.is_some() {
        return Err(slug_taken());
    }
    let org = Organization::new(new_id("org"), name, slug, creator.map(|u| u.id.clone()), now);
    tx.put_org(&org)?;
    if let Some(u) = creator {
        put_new_membership(tx, &org.id, &u.id, "org:admin", now)?;
    }
    Ok(org)
}

/// Renames; `None` keeps a field. A slug another organization has is refused.
pub fn rename(tx: &mut dyn Tx, mut org: Organization, name: Option<&str>, slug: Option<&str>, now: i64) -> ApiResult<Organization> {
    if let Some(n) = name {
        org.name = check_name(Some(n))?;
    }
    if let Some(s) = slug {
        check_slug(s)?;
        if s != org.slug && tx.org_by_slug(s)?.is_some() {
            return Err(slug_taken());
        }
        org.slug = s.to_owned();
    }
    org.updated_at = now;
    tx.put_org(&org)?;
    Ok(org)
}

/// Deletes the organization; no session keeps it active.
pub fn delete(tx: &mut dyn Tx, org: &Organization, now: i64) -> ApiResult<()> {
    let (members, _) = tx.memberships_in_org(&org.id, &[], u32::MAX, 0)?;
    for (m, _) in members {
        clear_active_org(tx, &m.user_id, &org.id, now)?;
    }
    tx.delete_org(&org.id)?;
    Ok(())
}

/// `metadata` merged into `target` (Clerk's "deep merge": objects merge key by key, `null`
/// removes a key). Anything but an object is refused.
pub fn merge_metadata(target: &mut Value, patch: &Value, param: &str) -> ApiResult<()> {
    let Some(patch) = patch.as_object() else {
        return Err(ApiError::unprocessable("form_param_type_invalid", format!("{param} must be an object")).param(param));
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    let obj = target.as_object_mut().expect("an object");
    for (k, v) in patch {
        match (obj.get_mut(k), v) {
            (_, Value::Null) => {
                obj.remove(k);
            }
            (Some(existing @ Value::Object(_)), Value::Object(_)) => merge_metadata(existing, v, param)?,
            _ => {
                obj.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(())
}

/// A metadata field sent as a form value (clerk-js and form bodies send JSON text) or as JSON.
pub fn metadata_value(raw: &Value, param: &str) -> ApiResult<Value> {
    let v = match raw {
        Value::String(s) => serde_json::from_str(s)
            .map_err(|_| ApiError::unprocessable("form_param_format_invalid", format!("{param} must be a JSON object")).param(param))?,
        other => other.clone(),
    };
    if !v.is_object() {
        return Err(ApiError::unprocessable("form_param_type_invalid", format!("{param} must be an object")).param(param));
    }
    Ok(v)
}

pub fn membership(tx: &mut dyn Tx, org_id: &str, user_id: &str) -> ApiResult<Option<Membership>> {
    Ok(tx.memberships_of(user_id)?.into_iter().find(|(m, _)| m.org_id == org_id).map(|(m, _)| m))
}

fn put_new_membership(tx: &mut dyn Tx, org_id: &str, user_id: &str, role: &str, now: i64) -> ApiResult<Membership> {
    let m = Membership {
        id: new_id("orgmem"),
        org_id: org_id.to_owned(),
        user_id: user_id.to_owned(),
        role: role.to_owned(),
        created_at: now,
        updated_at: now,
    };
    tx.put_membership(&m)?;
    Ok(m)
}

pub fn check_role(role: Option<&str>) -> ApiResult<String> {
    match role.filter(|r| !r.is_empty()) {
        None => Err(ApiError::missing_param("role")),
        Some(r) if is_role(r) => Ok(r.to_owned()),
        Some(r) => Err(ApiError::unprocessable("form_param_value_invalid", format!("`{r}` is not a role of this instance"))
            .long(format!("The role must be one of {}.", ROLES.join(", ")))
            .param("role")),
    }
}

/// 403 when the organization is full: members plus pending invitations at
/// `max_allowed_memberships` (0: no limit).
pub fn check_quota(tx: &mut dyn Tx, org: &Organization, adding: u64) -> ApiResult<()> {
    if org.max_allowed_memberships == 0 {
        return Ok(());
    }
    serialize_on_org(tx, &org.id)?;
    let used = tx.members_count(&org.id)? + invitations::pending_count(tx, &org.id)?;
    if used + adding > org.max_allowed_memberships {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "organization_membership_quota_exceeded",
            "You have reached your limit of organization memberships, including outstanding invitations.",
        )
        .long(format!("The organization allows {} memberships, including pending invitations.", org.max_allowed_memberships)));
    }
    Ok(())
}

pub fn already_member(email_or_user: &str) -> ApiError {
    // Clerk's code (clerk-js localizes it as "{{email}} is already a member of the organization.").
    ApiError::bad_request("already_a_member_in_organization", format!("{email_or_user} is already a member of the organization."))
}

/// Makes `user_id` a member with `role`: the user must exist and not be a member yet, and the
/// organization must have room.
pub fn add_member(tx: &mut dyn Tx, org: &Organization, user_id: &str, role: &str, now: i64) -> ApiResult<Membership> {
    let user = tx.user(user_id)?.ok_or_else(|| ApiError::not_found("user").param("user_id"))?;
    if membership(tx, &org.id, &user.id)?.is_some() {
        return Err(already_member(&user.id).param("user_id"));
    }
    check_quota(tx, org, 1)?;
    put_new_membership(tx, &org.id, &user.id, role, now)
}

/// Rewrites the organization's row unchanged, so that two transactions checking a rule over its
/// members or invitations (the last admin, the member limit, one pending invitation per
/// address) conflict: on PostgreSQL's snapshot isolation the
/// later one runs again and sees the first one's change, instead of both passing (write skew).
/// SQLite runs one transaction at a time anyway.
pub(crate) fn serialize_on_org(tx: &mut dyn Tx, org_id: &str) -> ApiResult<()> {
    if let Some(o) = tx.org(org_id)? {
        tx.put_org(&o)?;
    }
    Ok(())
}

/// An organization keeps at least one admin: Clerk refuses to demote or remove the last one.
fn last_admin() -> ApiError {
    // Clerk's code (clerk-js's localizations list `organization_minimum_permissions_needed`); the
    // status is ours: the request is understood and refused.
    ApiError::new(
        StatusCode::FORBIDDEN,
        "organization_minimum_permissions_needed",
        "There has to be at least one organization member with the administrator role.",
    )
    .long("An organization needs at least one member with the `org:admin` role; make another member an admin first.")
}

fn is_last_admin(tx: &mut dyn Tx, m: &Membership) -> ApiResult<bool> {
    if m.role != "org:admin" {
        return Ok(false);
    }
    serialize_on_org(tx, &m.org_id)?;
    let (admins, _) = tx.memberships_in_org(&m.org_id, &["org:admin".to_owned()], 2, 0)?;
    Ok(admins.len() < 2)
}

fn member_not_found() -> ApiError {
    ApiError::not_found("organization membership")
}

pub fn set_role(tx: &mut dyn Tx, org_id: &str, user_id: &str, role: &str, now: i64) -> ApiResult<Membership> {
    let mut m = membership(tx, org_id, user_id)?.ok_or_else(member_not_found)?;
    if role != "org:admin" && is_last_admin(tx, &m)? {
        return Err(last_admin());
    }
    m.role = role.to_owned();
    m.updated_at = now;
    tx.put_membership(&m)?;
    Ok(m)
}

/// Removes a membership (also how a member leaves); the last admin cannot go.
pub fn remove_member(tx: &mut dyn Tx, org_id: &str, user_id: &str, now: i64) -> ApiResult<Membership> {
    let m = membership(tx, org_id, user_id)?.ok_or_else(member_not_found)?;
    if is_last_admin(tx, &m)? {
        return Err(last_admin());
    }
    tx.delete_membership(org_id, user_id)?;
    clear_active_org(tx, user_id, org_id, now)?;
    Ok(m)
}

/// The user's sessions that had `org_id` active have no active organization any more.
fn clear_active_org(tx: &mut dyn Tx, user_id: &str, org_id: &str, now: i64) -> ApiResult<()> {
    let filter = SessionFilter { user_id: Some(user_id.to_owned()), ..Default::default() };
    let (sessions, _) = tx.list_sessions(&filter, u32::MAX, 0)?;
    for mut s in sessions {
        if s.last_active_organization_id.as_deref() == Some(org_id) {
            s.last_active_organization_id = None;
            s.updated_at = now;
            tx.put_session(&s)?;
        }
    }
    Ok(())
}

/// Whether `u` (with its email addresses) matches a member-list `query`: a case-insensitive
/// substring of the user id, names, username or an email address, as Clerk's `query` filter.
pub fn user_matches(tx: &mut dyn Tx, u: &User, query: &str) -> ApiResult<bool> {
    let q = query.to_lowercase();
    let fields = [Some(&u.id), u.first_name.as_ref(), u.last_name.as_ref(), u.username.as_ref()];
    if fields.into_iter().flatten().any(|f| f.to_lowercase().contains(&q)) {
        return Ok(true);
    }
    Ok(tx.emails_of(&u.id)?.iter().any(|e| e.email.to_lowercase().contains(&q)))
}
