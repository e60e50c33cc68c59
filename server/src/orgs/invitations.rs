//! Invitations to organizations: made by an admin (one or several addresses), sent to the
//! development outbox, accepted by a user who owns the address (verified), revoked by an admin.

use serde_json::{Value, json};

use super::{already_member, check_quota, put_new_membership};
use crate::AppState;
use crate::errors::{ApiError, ApiResult};
use crate::store::orgs::{self, Invitation, RecordsOf};
use crate::store::{Organization, Tx, User};
use crate::util::{is_plausible_email, new_id};

/// Invitations are good for 30 days (Clerk's default).
const INVITATION_TTL_MS: i64 = 30 * 24 * 3600 * 1000;

pub fn pending_count(tx: &mut dyn Tx, org_id: &str) -> ApiResult<u64> {
    Ok(orgs::list::<Invitation>(tx, RecordsOf::Org(org_id))?.iter().filter(|i| i.status == "pending").count() as u64)
}

/// Invites each address (all or none): each must look like an email address, belong to no
/// member and have no pending invitation, and the organization must have room for all of them.
pub fn invite(
    st: &AppState,
    tx: &mut dyn Tx,
    org: &Organization,
    emails: &[String],
    role: &str,
    public_metadata: Value,
    now: i64,
) -> ApiResult<Vec<Invitation>> {
    if emails.is_empty() {
        return Err(ApiError::missing_param("email_address"));
    }
    let mut wanted: Vec<String> = Vec::new();
    for e in emails {
        let e = e.trim();
        if !is_plausible_email(e) {
            return Err(
                ApiError::unprocessable("form_param_format_invalid", format!("{e} is not a valid email address")).param("email_address")
            );
        }
        if !wanted.iter().any(|w| w.eq_ignore_ascii_case(e)) {
            wanted.push(e.to_owned());
        }
    }
    for e in &wanted {
        if let Some(addr) = tx.email(e)?
            && super::membership(tx, &org.id, &addr.user_id)?.is_some()
        {
            return Err(already_member(e).long(format!("{e} is already a member of the organization.")).param("email_address"));
        }
    }
    super::serialize_on_org(tx, &org.id)?;
    let lowered: Vec<String> = wanted.iter().map(|e| e.to_lowercase()).collect();
    let duplicates: Vec<String> = orgs::list::<Invitation>(tx, RecordsOf::Subjects(&lowered))?
        .into_iter()
        .filter(|i| i.org_id == org.id && i.status == "pending")
        .map(|i| i.email)
        .collect();
    if !duplicates.is_empty() {
        // Clerk's answer, as clerk-js's InviteMembersForm reads it (`meta.email_addresses`).
        return Err(ApiError::bad_request("duplicate_record", "duplicate invitation")
            .long(format!("There are already pending invitations for the following email addresses: {}", duplicates.join(", ")))
            .meta(json!({ "email_addresses": duplicates })));
    }
    check_quota(tx, org, wanted.len() as u64)?;
    let mut made = Vec::new();
    for e in wanted {
        let inv = Invitation {
            id: new_id("orginv"),
            org_id: org.id.clone(),
            email: e,
            role: role.to_owned(),
            status: "pending".into(),
            public_metadata: public_metadata.clone(),
            private_metadata: json!({}),
            user_id: None,
            created_at: now,
            updated_at: now,
            expires_at: now + INVITATION_TTL_MS,
        };
        orgs::put(tx, &inv)?;
        st.send_email_message(&inv.email, &format!("You're invited to join {}", org.name), &format!("Invitation {}", inv.id));
        made.push(inv);
    }
    Ok(made)
}

/// An invitation of `org_id`; another organization's id is a 404.
pub fn of_org(tx: &mut dyn Tx, org_id: &str, id: &str) -> ApiResult<Invitation> {
    orgs::get::<Invitation>(tx, id)?.filter(|i| i.org_id == org_id).ok_or_else(|| ApiError::not_found("organization invitation"))
}

fn not_pending(inv: &Invitation) -> ApiError {
    // Our name: the invitation was accepted or revoked already.
    ApiError::bad_request("organization_invitation_not_pending", format!("This invitation is {}", inv.status))
        .long("Only a pending invitation can be accepted or revoked.")
}

pub fn revoke(tx: &mut dyn Tx, mut inv: Invitation, now: i64) -> ApiResult<Invitation> {
    if inv.status != "pending" {
        return Err(not_pending(&inv));
    }
    inv.status = "revoked".into();
    inv.updated_at = now;
    orgs::put(tx, &inv)?;
    Ok(inv)
}

/// The user's verified email addresses, lower-cased (what invitations are matched by).
pub fn verified_emails(tx: &mut dyn Tx, user_id: &str) -> ApiResult<Vec<String>> {
    Ok(tx.emails_of(user_id)?.into_iter().filter(|e| e.verified).map(|e| e.email.to_lowercase()).collect())
}

/// The invitations to the user's verified addresses.
pub fn of_user(tx: &mut dyn Tx, user_id: &str) -> ApiResult<Vec<Invitation>> {
    let emails = verified_emails(tx, user_id)?;
    Ok(orgs::list::<Invitation>(tx, RecordsOf::Subjects(&emails))?)
}

/// Accepts an invitation to one of the user's verified addresses: the user becomes a member with
/// the invitation's role. Someone else's invitation is a 404.
pub fn accept(tx: &mut dyn Tx, user: &User, id: &str, now: i64) -> ApiResult<Invitation> {
    let mut inv = of_user(tx, &user.id)?.into_iter().find(|i| i.id == id).ok_or_else(|| ApiError::not_found("organization invitation"))?;
    if inv.status != "pending" {
        return Err(not_pending(&inv));
    }
    let org = tx.org(&inv.org_id)?.ok_or_else(|| ApiError::not_found("organization"))?;
    if super::membership(tx, &org.id, &user.id)?.is_some() {
        return Err(already_member(&inv.email));
    }
    put_new_membership(tx, &org.id, &user.id, &inv.role, now)?;
    inv.status = "accepted".into();
    inv.user_id = Some(user.id.clone());
    inv.updated_at = now;
    orgs::put(tx, &inv)?;
    Ok(inv)
}
