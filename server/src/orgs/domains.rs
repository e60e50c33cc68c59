//! Verified domains, and what they do for users with a verified email address at them: an
//! `automatic_suggestion` domain suggests the organization (accepting makes a membership request
//! for an admin to accept), an `automatic_invitation` domain invites them. Both are made when
//! the user next lists their suggestions or invitations ([`sync_user`]).

use serde_json::json;

use super::put_new_membership;
use crate::AppState;
use crate::errors::{ApiError, ApiResult};
use crate::fapi::{consume_email_code, incorrect_code, issue_email_code_as};
use crate::store::orgs::{self, Domain, DomainVerification, Invitation, MembershipRequest, Record, RecordsOf, Suggestion};
use crate::store::{Organization, Tx, User};
use crate::util::new_id;

pub const ENROLLMENT_MODES: [&str; 3] = ["manual_invitation", "automatic_invitation", "automatic_suggestion"];

/// Email providers' domains, which no organization can claim (Clerk: `organization_domain_common`).
const COMMON_DOMAINS: [&str; 12] = [
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "live.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
];

pub fn check_mode(mode: Option<&str>) -> ApiResult<String> {
    match mode.filter(|m| !m.is_empty()) {
        None => Err(ApiError::missing_param("enrollment_mode")),
        Some(m) if ENROLLMENT_MODES.contains(&m) => Ok(m.to_owned()),
        Some(m) => Err(ApiError::invalid_param("enrollment_mode", format!("`{m}` is not an enrollment mode"))
            .long(format!("The enrollment mode must be one of {}.", ENROLLMENT_MODES.join(", ")))),
    }
}

/// A host name: dot-separated labels of letters, digits and inner hyphens, with a top-level
/// label of letters.
fn is_domain_name(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    labels.len() >= 2
        && name.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
        && labels.last().is_some_and(|t| t.chars().all(|c| c.is_ascii_alphabetic()))
}

pub fn create(tx: &mut dyn Tx, org: &Organization, name: Option<&str>, mode: Option<&str>, now: i64) -> ApiResult<Domain> {
    let name = name.map(|n| n.trim().to_lowercase()).filter(|n| !n.is_empty()).ok_or_else(|| ApiError::missing_param("name"))?;
    if !is_domain_name(&name) {
        return Err(ApiError::unprocessable("form_param_format_invalid", format!("{name} is not a valid domain name")).param("name"));
    }
    if COMMON_DOMAINS.contains(&name.as_str()) {
        return Err(ApiError::bad_request("organization_domain_common", "This is a common email provider domain")
            .long(format!("{name} is an email provider's domain; an organization can only add a domain it owns."))
            .param("name"));
    }
    if !orgs::list::<Domain>(tx, RecordsOf::Subjects(std::slice::from_ref(&name)))?.is_empty() {
        // Our choice of code: the domain is an identifier another organization (or this one) has.
        return Err(ApiError::unprocessable("form_identifier_exists", "This domain is already in use").param("name"));
    }
    let mode = match mode.filter(|m| !m.is_empty()) {
        Some(m) => check_mode(Some(m))?,
        None => "manual_invitation".to_owned(),
    };
    let d = Domain {
        id: new_id("orgdmn"),
        org_id: org.id.clone(),
        name,
        enrollment_mode: mode,
        affiliation_email_address: None,
        verification: None,
        status: "unverified".into(),
        created_at: now,
        updated_at: now,
    };
    orgs::put(tx, &d)?;
    Ok(d)
}

pub fn of_org(tx: &mut dyn Tx, org_id: &str, id: &str) -> ApiResult<Domain> {
    orgs::get::<Domain>(tx, id)?.filter(|d| d.org_id == org_id).ok_or_else(|| ApiError::not_found("organization domain"))
}

/// Sets the enrollment mode; `delete_pending` also revokes the pending invitations and
/// suggestions the domain made (`deletePending` in clerk-js).
pub fn set_mode(tx: &mut dyn Tx, mut d: Domain, mode: Option<&str>, delete_pending: bool, now: i64) -> ApiResult<Domain> {
    let mode = check_mode(mode)?;
    if mode != "manual_invitation" && d.status != "verified" {
        // Our name: Clerk needs a verified domain for automatic enrollment.
        return Err(ApiError::bad_request("organization_domain_not_verified", "The domain is not verified")
            .long("Verify the domain's affiliation before turning on automatic invitations or suggestions.")
            .param("enrollment_mode"));
    }
    if delete_pending {
        for s in orgs::list::<Suggestion>(tx, RecordsOf::Org(&d.org_id))? {
            if s.domain_id == d.id && s.status == "pending" {
                tx.delete_org_record(Suggestion::KIND, &s.id)?;
            }
        }
        let suffix = format!("@{}", d.name);
        for mut i in orgs::list::<Invitation>(tx, RecordsOf::Org(&d.org_id))? {
            if i.status == "pending" && i.email.to_lowercase().ends_with(&suffix) {
                i.status = "revoked".into();
                i.updated_at = now;
                orgs::put(tx, &i)?;
            }
        }
    }
    d.enrollment_mode = mode;
    d.updated_at = now;
    orgs::put(tx, &d)?;
    Ok(d)
}

/// Emails a code to `email`, an address at the domain.
pub fn prepare_affiliation(st: &AppState, tx: &mut dyn Tx, mut d: Domain, email: Option<&str>, now: i64) -> ApiResult<Domain> {
    let email = email.map(str::trim).filter(|e| !e.is_empty()).ok_or_else(|| ApiError::missing_param("affiliation_email_address"))?;
    let at_domain = email.rsplit_once('@').is_some_and(|(local, host)| !local.is_empty() && host.eq_ignore_ascii_case(&d.name));
    if !at_domain {
        return Err(ApiError::unprocessable("form_param_format_invalid", format!("The email address must be at {}", d.name))
            .long(format!("The affiliation email address must be an address at {}.", d.name))
            .param("affiliation_email_address"));
    }
    let expire_at =
        issue_email_code_as(tx, &d.id, email, now, |code| st.send_email(email, &format!("Verify your affiliation with {}", d.name), code))?;
    d.affiliation_email_address = Some(email.to_owned());
    d.verification = Some(DomainVerification { status: "unverified".into(), attempts: 0, expire_at: Some(expire_at) });
    d.status = "unverified".into();
    d.updated_at = now;
    orgs::put(tx, &d)?;
    Ok(d)
}

/// Checks the code. A wrong one is counted on the verification: the caller must commit
/// (`Refused`) the domain this returns alongside the error.
pub fn attempt_affiliation(tx: &mut dyn Tx, mut d: Domain, code: Option<&str>, now: i64) -> ApiResult<Result<Domain, (Domain, ApiError)>> {
    let code = code.map(str::trim).filter(|c| !c.is_empty()).ok_or_else(|| ApiError::missing_param("code"))?;
    let Some(mut v) = d.verification.clone() else {
        return Err(ApiError::unprocessable("verification_missing", "No code was sent")
            .long("Prepare the affiliation verification first.")
            .param("code"));
    };
    if v.status == "verified" {
        return Err(ApiError::bad_request("verification_already_verified", "This domain is already verified"));
    }
    v.attempts += 1;
    let ok = consume_email_code(tx, &d.id, code, now)?;
    d.updated_at = now;
    if ok {
        v.status = "verified".into();
        d.status = "verified".into();
    }
    d.verification = Some(v);
    orgs::put(tx, &d)?;
    Ok(if ok { Ok(d) } else { Err((d, incorrect_code())) })
}

pub fn delete(tx: &mut dyn Tx, d: &Domain) -> ApiResult<()> {
    for s in orgs::list::<Suggestion>(tx, RecordsOf::Org(&d.org_id))? {
        if s.domain_id == d.id && s.status == "pending" {
            tx.delete_org_record(Suggestion::KIND, &s.id)?;
        }
    }
    tx.delete_org_record(Domain::KIND, &d.id)?;
    Ok(())
}

/// Pending suggestions and invitations that domain `d` makes, for its counters.
pub fn pending_counts(tx: &mut dyn Tx, d: &Domain) -> ApiResult<(u64, u64)> {
    let suggestions = orgs::list::<Suggestion>(tx, RecordsOf::Org(&d.org_id))?;
    let suffix = format!("@{}", d.name);
    let invitations = orgs::list::<Invitation>(tx, RecordsOf::Org(&d.org_id))?;
    Ok((
        suggestions.iter().filter(|s| s.domain_id == d.id && s.status == "pending").count() as u64,
        invitations.iter().filter(|i| i.status == "pending" && i.email.to_lowercase().ends_with(&suffix)).count() as u64,
    ))
}

/// Makes the suggestions and invitations the verified domains owe `user`: one per organization
/// with a verified domain in an automatic mode at one of the user's verified addresses, unless
/// the user is a member or was suggested / invited there before.
pub fn sync_user(tx: &mut dyn Tx, user: &User, now: i64) -> ApiResult<()> {
    let emails = super::invitations::verified_emails(tx, &user.id)?;
    let hosts: Vec<String> = emails.iter().filter_map(|e| e.rsplit_once('@').map(|(_, h)| h.to_owned())).collect();
    let suggested = orgs::list::<Suggestion>(tx, RecordsOf::Subjects(std::slice::from_ref(&user.id)))?;
    let invited = orgs::list::<Invitation>(tx, RecordsOf::Subjects(&emails))?;
    for d in orgs::list::<Domain>(tx, RecordsOf::Subjects(&hosts))? {
        if d.status != "verified" || super::membership(tx, &d.org_id, &user.id)?.is_some() {
            continue;
        }
        let email = emails.iter().find(|e| e.ends_with(&format!("@{}", d.name))).cloned().unwrap_or_default();
        match d.enrollment_mode.as_str() {
            "automatic_suggestion" if !suggested.iter().any(|s| s.org_id == d.org_id) => {
                let s = Suggestion {
                    id: new_id("orgsug"),
                    org_id: d.org_id.clone(),
                    user_id: user.id.clone(),
                    domain_id: d.id.clone(),
                    status: "pending".into(),
                    created_at: now,
                    updated_at: now,
                };
                orgs::put(tx, &s)?;
            }
            "automatic_invitation" if !invited.iter().any(|i| i.org_id == d.org_id) => {
                let inv = Invitation {
                    id: new_id("orginv"),
                    org_id: d.org_id.clone(),
                    email,
                    role: "org:member".into(),
                    status: "pending".into(),
                    public_metadata: json!({}),
                    private_metadata: json!({}),
                    user_id: None,
                    created_at: now,
                    updated_at: now,
                    expires_at: now + 30 * 24 * 3600 * 1000,
                };
                orgs::put(tx, &inv)?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Accepting a suggestion asks to join: a pending membership request for an admin to accept.
pub fn accept_suggestion(tx: &mut dyn Tx, user: &User, id: &str, now: i64) -> ApiResult<Suggestion> {
    let mut s =
        orgs::get::<Suggestion>(tx, id)?.filter(|s| s.user_id == user.id).ok_or_else(|| ApiError::not_found("organization suggestion"))?;
    if s.status != "pending" {
        return Err(ApiError::bad_request("organization_suggestion_already_accepted", "This suggestion was accepted already"));
    }
    s.status = "accepted".into();
    s.updated_at = now;
    orgs::put(tx, &s)?;
    let r = MembershipRequest {
        id: new_id("orgmbrreq"),
        org_id: s.org_id.clone(),
        user_id: user.id.clone(),
        status: "pending".into(),
        created_at: now,
        updated_at: now,
    };
    orgs::put(tx, &r)?;
    Ok(s)
}

pub fn request_of_org(tx: &mut dyn Tx, org_id: &str, id: &str) -> ApiResult<MembershipRequest> {
    orgs::get::<MembershipRequest>(tx, id)?
        .filter(|r| r.org_id == org_id)
        .ok_or_else(|| ApiError::not_found("organization membership request"))
}

/// Accepts (the requester becomes an `org:member`) or rejects a pending membership request.
pub fn decide_request(
    tx: &mut dyn Tx,
    org: &Organization,
    mut r: MembershipRequest,
    accept: bool,
    now: i64,
) -> ApiResult<MembershipRequest> {
    if r.status != "pending" {
        // Our name, as for invitations.
        return Err(ApiError::bad_request("organization_membership_request_not_pending", format!("This request is {}", r.status)));
    }
    if accept {
        if super::membership(tx, &org.id, &r.user_id)?.is_some() {
            return Err(super::already_member(&r.user_id));
        }
        super::check_quota(tx, org, 1)?;
        put_new_membership(tx, &org.id, &r.user_id, "org:member", now)?;
    }
    r.status = if accept { "accepted" } else { "rejected" }.into();
    r.updated_at = now;
    orgs::put(tx, &r)?;
    Ok(r)
}
