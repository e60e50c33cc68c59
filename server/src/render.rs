//! Wire shapes of Clerk objects (snake_case, timestamps in ms). Pure: everything shown is loaded
//! beforehand (`views`), and tokens are signed before rendering (`Tokens`), so nothing here reads
//! the database or signs.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::store::{EmailAddress, ExternalAccount, Session, SignUp};
use crate::tokens;
use crate::views::{ClientView, MembershipView, OrgView, SessionView, SignInView, UserView};

// Kept reachable as `render::role_permissions`; defined with the token claims that carry them,
// so that tokens need nothing from render (render uses tokens, never the other way).
pub use crate::tokens::role_permissions;

/// Signed `last_active_token`s by session id, signed after the transaction (`fapi::reply`).
pub type Tokens = HashMap<String, String>;

pub fn org_json(o: &OrgView) -> Value {
    let OrgView { org: o, members_count, pending_invitations_count } = o;
    json!({
        "object": "organization",
        "id": o.id,
        "name": o.name,
        "slug": o.slug,
        "image_url": o.image_url.clone().unwrap_or_default(),
        "has_image": o.image_url.is_some(),
        "members_count": members_count,
        "pending_invitations_count": pending_invitations_count,
        "max_allowed_memberships": o.max_allowed_memberships,
        "admin_delete_enabled": o.admin_delete_enabled,
        "public_metadata": o.public_metadata,
        "created_at": o.created_at,
        "updated_at": o.updated_at,
    })
}

/// The organization as the Backend API shows it: with its private metadata and creator.
pub fn org_backend_json(v: &OrgView) -> Value {
    let mut out = org_json(v);
    out["private_metadata"] = v.org.private_metadata.clone();
    out["created_by"] = json!(v.org.created_by.clone().unwrap_or_default());
    out
}

pub fn email_json(e: &EmailAddress) -> Value {
    json!({
        "object": "email_address",
        "id": e.id,
        "email_address": e.email,
        // Verified, or the verification in progress of an address added to the account.
        "verification": match &e.verification {
            Some(v) => v.clone(),
            None if e.verified => json!({"status": "verified", "strategy": "email_code", "attempts": null, "expire_at": null}),
            None => Value::Null,
        },
        "linked_to": [],
        "matches_sso_connection": false,
        "reserved": false,
        "created_at": e.created_at,
        "updated_at": e.created_at,
    })
}

/// A user's account at an OAuth provider (clerk-js's `ExternalAccount`), linked and verified.
pub fn external_account_json(a: &ExternalAccount) -> Value {
    json!({
        "object": "external_account", "id": a.id, "provider": a.provider, "identification_id": a.id,
        "provider_user_id": a.provider_user_id, "approved_scopes": "openid email profile",
        "email_address": a.email_address, "first_name": a.first_name, "last_name": a.last_name,
        "image_url": "", "username": null, "phone_number": null, "public_metadata": {}, "label": null,
        "verification": {"status": "verified", "strategy": format!("oauth_{}", a.provider), "attempts": null, "expire_at": null},
        "created_at": a.created_at, "updated_at": a.created_at,
    })
}

/// The user object; loaded with memberships, it has `organization_memberships` (Frontend API shape).
pub fn user_json(v: &UserView) -> Value {
    let u = &v.user;
    let second_phone = v.second_factor_phone().map(|p| p.id.as_str());
    // The one chosen with `makeDefaultSecondFactor()`, else the first reserved number when
    // there is no authenticator app.
    let chosen = v.phones.iter().find(|p| p.verified && p.reserved_for_second_factor && p.default_second_factor).map(|p| p.id.as_str());
    let default_phone = chosen.or(second_phone.filter(|_| u.totp_secret.is_none()));
    let phones: Vec<Value> = v.phones.iter().map(|p| crate::phone::phone_json(p, default_phone == Some(p.id.as_str()))).collect();
    let two_factor = u.totp_secret.is_some() || second_phone.is_some();
    let external_accounts: Vec<Value> = v.external_accounts.iter().map(external_account_json).collect();
    let mut out = json!({
        "object": "user",
        "id": u.id,
        "username": u.username,
        "first_name": u.first_name,
        "last_name": u.last_name,
        "external_id": null,
        "image_url": u.profile.image.as_ref().map_or("", |i| i.url.as_str()),
        "has_image": u.profile.image.is_some(),
        "profile_image_id": u.profile.image.as_ref().map(|i| i.id.as_str()),
        "primary_email_address_id": u.primary_email_address_id,
        "primary_phone_number_id": u.primary_phone_number_id,
        "primary_web3_wallet_id": null,
        "email_addresses": v.emails.iter().map(email_json).collect::<Vec<_>>(),
        "phone_numbers": phones,
        "web3_wallets": [],
        "external_accounts": external_accounts,
        "passkeys": crate::passkeys::user_passkeys_json(u),
        "password_enabled": u.password_hash.is_some(),
        "two_factor_enabled": two_factor,
        "totp_enabled": u.totp_secret.is_some(),
        "backup_code_enabled": !u.backup_codes.is_empty(),
        "enterprise_accounts": [],
        "public_metadata": u.profile.public_metadata,
        "unsafe_metadata": u.profile.unsafe_metadata,
        "create_organization_enabled": u.profile.create_organization_enabled.unwrap_or(true),
        "create_organizations_limit": u.profile.create_organizations_limit,
        "delete_self_enabled": crate::account::delete_self_enabled(u),
        "legal_accepted_at": null,
        "last_sign_in_at": u.last_sign_in_at,
        "created_at": u.created_at,
        "updated_at": u.updated_at,
    });
    if let Some(memberships) = &v.memberships {
        out["organization_memberships"] = memberships.iter().map(membership_json).collect();
    }
    out
}

/// The Backend API's user: the Frontend API's, plus what only the app may read.
pub fn bapi_user_json(v: &UserView) -> Value {
    let mut out = user_json(v);
    out["private_metadata"] = v.user.profile.private_metadata.clone();
    out
}

/// An organization membership. Loaded with its member, it has `public_user_data` (the lists of
/// the Frontend API's `/me/organization_memberships` and `/organizations/{id}/memberships` carry
/// it; the user's own `organization_memberships` do not need it).
pub fn membership_json(v: &MembershipView) -> Value {
    let m = &v.membership;
    let mut out = json!({
        "object": "organization_membership",
        "id": m.id,
        "role": m.role,
        "role_name": if m.role == "org:admin" { "Admin" } else { "Member" },
        "permissions": role_permissions(&m.role),
        "organization": org_json(&v.org),
        "public_metadata": {},
        "created_at": m.created_at,
        "updated_at": m.updated_at,
    });
    if let Some(u) = &v.member {
        out["public_user_data"] = public_user_data(u);
    }
    out
}

pub fn public_user_data(v: &UserView) -> Value {
    let u = &v.user;
    json!({
        "first_name": u.first_name,
        "last_name": u.last_name,
        "image_url": u.profile.image.as_ref().map_or("", |i| i.url.as_str()),
        "has_image": u.profile.image.is_some(),
        "identifier": v.primary_email().map(str::to_owned).or_else(|| u.username.clone()).unwrap_or_default(),
        "user_id": u.id,
    })
}

/// Frontend API session object. Signed-in sessions carry a fresh `last_active_token` (from
/// `tokens`), which primes clerk-js's token cache and saves it a `/tokens` round trip after
/// `setActive`.
pub fn session_json(v: &SessionView, tokens: &Tokens) -> Value {
    let s = &v.session;
    let status = s.effective_status(v.now);
    let (user_v, pud) = match &v.user {
        Some(u) => (user_json(u), public_user_data(u)),
        None => (Value::Null, Value::Null),
    };
    let token = match tokens.get(&s.id).filter(|_| status.is_signed_in()) {
        Some(jwt) => json!({ "object": "token", "jwt": jwt }),
        None => Value::Null,
    };
    json!({
        "object": "session",
        "id": s.id,
        "status": status.as_str(),
        "expire_at": s.expire_at,
        "abandon_at": s.abandon_at,
        "last_active_at": s.last_active_at,
        "last_active_organization_id": s.last_active_organization_id,
        "last_active_token": token,
        "actor": s.actor,
        "user": user_v,
        "public_user_data": pud,
        "factor_verification_age": tokens::factor_verification_age(s, v.now),
        "tasks": [],
        "created_at": s.created_at,
        "updated_at": s.updated_at,
    })
}

/// Backend API session object.
pub fn bapi_session_json(s: &Session, now: i64) -> Value {
    json!({
        "object": "session",
        "id": s.id,
        "client_id": s.client_id,
        "user_id": s.user_id,
        "status": s.effective_status(now).as_str(),
        "last_active_at": s.last_active_at,
        "last_active_organization_id": s.last_active_organization_id,
        "actor": s.actor,
        "expire_at": s.expire_at,
        "abandon_at": s.abandon_at,
        "created_at": s.created_at,
        "updated_at": s.updated_at,
    })
}

/// The full client: the sessions that stay on it (`SessionStatus::stays_on_client`), the current
/// sign-in / sign-up and the last active session.
pub fn client_json(v: &ClientView, tokens: &Tokens) -> Value {
    let c = &v.client;
    json!({
        "object": "client",
        "id": c.id,
        "sessions": v.sessions.iter().map(|s| session_json(s, tokens)).collect::<Vec<_>>(),
        "sign_in": v.sign_in.as_ref().map_or(Value::Null, sign_in_json),
        "sign_up": v.sign_up.as_ref().map_or(Value::Null, |su| sign_up_json(su, v.now)),
        "last_active_session_id": v.last_active_session_id,
        "last_authentication_strategy": c.last_authentication_strategy,
        "cookie_expires_at": c.expires_at(),
        "captcha_bypass": false,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    })
}

pub fn sign_in_json(v: &SignInView) -> Value {
    let si = &v.sign_in;
    let user_data = v.user.as_ref().map_or(Value::Null, public_user_data);
    json!({
        "object": "sign_in_attempt",
        "id": si.id,
        "status": si.status,
        "supported_identifiers": ["email_address", "username", "phone_number"],
        "identifier": si.identifier,
        "supported_first_factors": v.first_factors,
        "supported_second_factors": v.second_factors,
        "first_factor_verification": as_of(&si.first_factor_verification, v.now),
        "second_factor_verification": si.second_factor_verification,
        "user_data": user_data,
        "created_session_id": si.created_session_id,
        "abandon_at": si.abandon_at,
        "created_at": si.created_at,
        "updated_at": si.updated_at,
    })
}

/// A sign-up's status as Clerk documents it: `abandoned` once it has been left for 24 hours
/// without completing.
pub fn sign_up_status(su: &SignUp, now: i64) -> &str {
    if su.status != "complete" && now >= su.abandon_at { "abandoned" } else { &su.status }
}

/// A sign-up verification: what the app has to do next (`needs_prepare` before a code was sent,
/// `needs_attempt` while one waits), as clerk-js's `SignUpVerification` reads it.
/// A verification as of `now`: one still `unverified` past its `expire_at` reads `expired`
/// (how a tab polling for an email link learns that it ran out).
fn as_of(v: &Option<Value>, now: i64) -> Option<Value> {
    let mut v = v.clone()?;
    if v["status"] == "unverified" && v["expire_at"].as_i64().is_some_and(|t| t <= now) {
        v["status"] = json!("expired");
    }
    Some(v)
}

fn sign_up_verification(given: bool, v: &Option<Value>, strategy: &str) -> Value {
    match v {
        Some(v) => {
            let mut v = v.clone();
            v["next_action"] = json!(if v["status"] == "verified" { "" } else { "needs_attempt" });
            v["supported_strategies"] = json!([strategy]);
            v
        }
        None if given => json!({
            "object": "verification", "status": "unverified", "strategy": null, "attempts": null, "expire_at": null,
            "next_action": "needs_prepare", "supported_strategies": [strategy],
        }),
        None => Value::Null,
    }
}

pub fn sign_up_json(su: &SignUp, now: i64) -> Value {
    let mut missing = Vec::new();
    if su.email_address.is_none() {
        missing.push("email_address");
    }
    // OAuth sign-ups need no password (Clerk asks for one only with email and password).
    if su.password_hash.is_none() && su.external_account_verification.is_none() {
        missing.push("password");
    }
    let mut unverified = Vec::new();
    if su.email_address.is_some() && !su.email_verified {
        unverified.push("email_address");
    }
    if su.phone_number.is_some() && !su.phone_verified {
        unverified.push("phone_number");
    }
    json!({
        "object": "sign_up_attempt",
        "id": su.id,
        "status": sign_up_status(su, now),
        "required_fields": ["email_address", "password"],
        "optional_fields": ["first_name", "last_name", "username", "phone_number"],
        "missing_fields": missing,
        "unverified_fields": unverified,
        "verifications": {
            "email_address": sign_up_verification(su.email_address.is_some(), &as_of(&su.email_verification, now), "email_code"),
            "phone_number": sign_up_verification(su.phone_number.is_some(), &as_of(&su.phone_verification, now), "phone_code"),
            "web3_wallet": null,
            "external_account": as_of(&su.external_account_verification, now),
        },
        "username": su.username,
        "email_address": su.email_address,
        "phone_number": su.phone_number,
        "web3_wallet": null,
        "first_name": su.first_name,
        "last_name": su.last_name,
        "password_enabled": su.password_hash.is_some(),
        "unsafe_metadata": {},
        "created_session_id": su.created_session_id,
        "created_user_id": su.created_user_id,
        "abandon_at": su.abandon_at,
        "created_at": su.created_at,
        "updated_at": su.updated_at,
    })
}
