//! Wire shapes of the organization records (as clerk-js 6.40's resources and @clerk/backend read
//! them). Pure, like `render`: everything shown is loaded beforehand.

use serde_json::{Value, json};

use super::ROLES;
use crate::render::{public_user_data, role_permissions};
use crate::store::Organization;
use crate::store::orgs::{Domain, Invitation, MembershipRequest, Suggestion};
use crate::views::UserView;

pub fn role_name(role: &str) -> &'static str {
    match role {
        "org:admin" => "Admin",
        "org:member" => "Member",
        _ => "",
    }
}

/// `public_organization_data` of what a user sees of an organization before joining it.
pub fn public_org_data(o: &Organization) -> Value {
    json!({
        "id": o.id,
        "name": o.name,
        "slug": o.slug,
        "has_image": o.image_url.is_some(),
        "image_url": o.image_url.clone().unwrap_or_default(),
    })
}

/// An invitation as the organization's admins see it; the Backend API adds what only it shows.
pub fn invitation_json(i: &Invitation, backend: bool) -> Value {
    let mut out = json!({
        "object": "organization_invitation",
        "id": i.id,
        "email_address": i.email,
        "organization_id": i.org_id,
        "public_metadata": i.public_metadata,
        "role": i.role,
        "role_name": role_name(&i.role),
        "status": i.status,
        "created_at": i.created_at,
        "updated_at": i.updated_at,
    });
    if backend {
        out["private_metadata"] = i.private_metadata.clone();
        out["url"] = Value::Null;
        out["expires_at"] = json!(i.expires_at);
        if let Some(u) = &i.user_id {
            out["user_id"] = json!(u);
        }
    }
    out
}

/// An invitation as the invited user sees it (clerk-js's `UserOrganizationInvitation`).
pub fn user_invitation_json(i: &Invitation, o: &Organization) -> Value {
    json!({
        "object": "organization_invitation",
        "id": i.id,
        "email_address": i.email,
        "public_organization_data": public_org_data(o),
        "public_metadata": i.public_metadata,
        "role": i.role,
        "status": i.status,
        "created_at": i.created_at,
        "updated_at": i.updated_at,
    })
}

pub fn request_json(r: &MembershipRequest, requester: &UserView) -> Value {
    json!({
        "object": "organization_membership_request",
        "id": r.id,
        "organization_id": r.org_id,
        "status": r.status,
        "public_user_data": public_user_data(requester),
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    })
}

/// `pending`: the domain's pending suggestions and invitations.
pub fn domain_json(d: &Domain, pending: (u64, u64)) -> Value {
    let verification = d
        .verification
        .as_ref()
        .map(|v| json!({ "status": v.status, "strategy": "email_code", "attempts": v.attempts, "expires_at": v.expire_at }));
    json!({
        "object": "organization_domain",
        "id": d.id,
        "name": d.name,
        "organization_id": d.org_id,
        "enrollment_mode": d.enrollment_mode,
        "affiliation_email_address": d.affiliation_email_address,
        "verification": verification,
        "total_pending_suggestions": pending.0,
        "total_pending_invitations": pending.1,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
    })
}

pub fn suggestion_json(s: &Suggestion, o: &Organization) -> Value {
    json!({
        "object": "organization_suggestion",
        "id": s.id,
        "public_organization_data": public_org_data(o),
        "status": s.status,
        "created_at": s.created_at,
        "updated_at": s.updated_at,
    })
}

/// What a system permission is called (Clerk's names and descriptions).
fn permission_text(key: &str) -> (&'static str, &'static str) {
    match key {
        "org:sys_profile:manage" => ("Manage organization", "Permission to manage an organization."),
        "org:sys_profile:delete" => ("Delete organization", "Permission to delete an organization."),
        "org:sys_profile:read" => ("Read organization", "Permission to read an organization's profile."),
        "org:sys_memberships:read" => ("Read members", "Permission to read the members of an organization."),
        "org:sys_memberships:manage" => ("Manage members", "Permission to manage the members of an organization."),
        "org:sys_domains:read" => ("Read domains", "Permission to read the domains of an organization."),
        "org:sys_domains:manage" => ("Manage domains", "Permission to manage the domains of an organization."),
        _ => ("", ""),
    }
}

/// The instance's roles with their permissions (`GET /organizations/{id}/roles`). System roles
/// and permissions have fixed ids and the instance's creation time.
pub fn roles_json(created_at: i64) -> Vec<Value> {
    ROLES
        .iter()
        .map(|role| {
            let key = role.strip_prefix("org:").unwrap_or(role);
            let permissions: Vec<Value> = role_permissions(role)
                .iter()
                .map(|p| {
                    let (name, description) = permission_text(p);
                    json!({
                        "object": "permission",
                        "id": format!("perm_{}", p.replace([':'], "_")),
                        "key": p, "name": name, "description": description, "type": "system",
                        "created_at": created_at, "updated_at": created_at,
                    })
                })
                .collect();
            json!({
                "object": "role",
                "id": format!("role_{key}"),
                "key": role,
                "name": role_name(role),
                "description": if *role == "org:admin" { "Role with elevated permissions" } else { "Role with non-elevated permissions" },
                "is_creator_eligible": *role == "org:admin",
                "permissions": permissions,
                "created_at": created_at,
                "updated_at": created_at,
            })
        })
        .collect()
}

/// Clerk's answer to a deletion.
pub fn deleted_json(object: &str, id: &str) -> Value {
    json!({ "object": object, "id": id, "deleted": true })
}
