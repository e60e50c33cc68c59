//! Wire shapes of Clerk objects (snake_case, timestamps in ms).

use serde_json::{Value, json};

use crate::AppState;
use crate::errors::ApiResult;
use crate::store::{Client, Membership, Organization, Session, SignIn, SignUp, Tx, User};
use crate::tokens::{self, OrgChoice};

// Kept reachable as `render::role_permissions`; defined with the token claims that carry them,
// so that tokens need nothing from render (render uses tokens, never the other way).
pub use crate::tokens::role_permissions;

/// Per-request rendering context.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Request Origin, the `azp` of tokens minted while rendering.
    pub origin: Option<String>,
    pub now: i64,
}

pub fn org_json(tx: &mut dyn Tx, o: &Organization) -> ApiResult<Value> {
    Ok(json!({
        "object": "organization",
        "id": o.id,
        "name": o.name,
        "slug": o.slug,
        "image_url": "",
        "has_image": false,
        "members_count": tx.members_count(&o.id)?,
        "public_metadata": {},
        "created_at": o.created_at,
        "updated_at": o.updated_at,
    }))
}

/// The user object; `with_memberships` adds `organization_memberships` (Frontend API shape).
pub fn user_json(tx: &mut dyn Tx, u: &User, with_memberships: bool) -> ApiResult<Value> {
    let emails = tx.emails_of(&u.id)?;
    let email_json: Vec<Value> = emails
        .iter()
        .map(|e| {
            json!({
                "object": "email_address",
                "id": e.id,
                "email_address": e.email,
                "verification": if e.verified {
                    json!({"status": "verified", "strategy": "email_code", "attempts": null, "expire_at": null})
                } else { Value::Null },
                "linked_to": [],
                "reserved": false,
                "created_at": e.created_at,
                "updated_at": e.created_at,
            })
        })
        .collect();
    let external_accounts: Vec<Value> = tx
        .external_accounts_of(&u.id)?
        .into_iter()
        .map(|a| {
            json!({
                "object": "external_account", "id": a.id, "provider": a.provider, "identification_id": a.id,
                "provider_user_id": a.provider_user_id, "approved_scopes": "openid email profile",
                "email_address": a.email_address, "first_name": a.first_name, "last_name": a.last_name,
                "image_url": "", "username": null, "public_metadata": {}, "label": null,
                "verification": {"status": "verified", "strategy": format!("oauth_{}", a.provider), "attempts": null, "expire_at": null},
                "created_at": a.created_at, "updated_at": a.created_at,
            })
        })
        .collect();
    let mut v = json!({
        "object": "user",
        "id": u.id,
        "username": u.username,
        "first_name": u.first_name,
        "last_name": u.last_name,
        "image_url": "",
        "has_image": false,
        "primary_email_address_id": u.primary_email_address_id,
        "primary_phone_number_id": null,
        "primary_web3_wallet_id": null,
        "email_addresses": email_json,
        "phone_numbers": [],
        "web3_wallets": [],
        "external_accounts": external_accounts,
        "passkeys": [],
        "password_enabled": u.password_hash.is_some(),
        "two_factor_enabled": u.totp_secret.is_some(),
        "totp_enabled": u.totp_secret.is_some(),
        "backup_code_enabled": false,
        "public_metadata": {},
        "private_metadata": {},
        "unsafe_metadata": {},
        "last_sign_in_at": u.last_sign_in_at,
        "created_at": u.created_at,
        "updated_at": u.updated_at,
    });
    if with_memberships {
        let mut memberships = Vec::new();
        for (m, o) in tx.memberships_of(&u.id)? {
            memberships.push(membership_json(tx, &m, &o, None)?);
        }
        v["organization_memberships"] = Value::Array(memberships);
    }
    Ok(v)
}

/// An organization membership. `member` adds `public_user_data` (the lists of the Frontend API's
/// `/me/organization_memberships` and `/organizations/{id}/memberships` carry it; the user's own
/// `organization_memberships` do not need it).
pub fn membership_json(tx: &mut dyn Tx, m: &Membership, o: &Organization, member: Option<&User>) -> ApiResult<Value> {
    let mut v = json!({
        "object": "organization_membership",
        "id": m.id,
        "role": m.role,
        "role_name": if m.role == "org:admin" { "Admin" } else { "Member" },
        "permissions": role_permissions(&m.role),
        "organization": org_json(tx, o)?,
        "public_metadata": {},
        "created_at": m.created_at,
        "updated_at": m.updated_at,
    });
    if let Some(u) = member {
        v["public_user_data"] = public_user_data(tx, u)?;
    }
    Ok(v)
}

fn primary_email(tx: &mut dyn Tx, u: &User) -> ApiResult<Option<String>> {
    Ok(match &u.primary_email_address_id {
        Some(id) => tx.emails_of(&u.id)?.into_iter().find(|e| &e.id == id).map(|e| e.email),
        None => None,
    })
}

pub fn public_user_data(tx: &mut dyn Tx, u: &User) -> ApiResult<Value> {
    Ok(json!({
        "first_name": u.first_name,
        "last_name": u.last_name,
        "image_url": "",
        "has_image": false,
        "identifier": primary_email(tx, u)?.or_else(|| u.username.clone()).unwrap_or_default(),
        "user_id": u.id,
    }))
}

/// Frontend API session object. Signed-in sessions carry a fresh `last_active_token`, which
/// primes clerk-js's token cache and saves it a `/tokens` round trip after `setActive`.
pub fn session_json(st: &AppState, tx: &mut dyn Tx, s: &Session, ctx: &Ctx) -> ApiResult<Value> {
    let status = s.effective_status(ctx.now);
    let user = tx.user(&s.user_id)?;
    let (user_v, pud) = match &user {
        Some(u) => (user_json(tx, u, true)?, public_user_data(tx, u)?),
        None => (Value::Null, Value::Null),
    };
    let token = if status.is_signed_in() {
        let claims = tokens::session_claims(st, tx, s, &OrgChoice::Active, ctx.origin.clone(), st.config.token_ttl, ctx.now)?;
        json!({ "object": "token", "jwt": st.key.sign(&claims) })
    } else {
        Value::Null
    };
    Ok(json!({
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
        "factor_verification_age": tokens::factor_verification_age(s, ctx.now),
        "tasks": [],
        "created_at": s.created_at,
        "updated_at": s.updated_at,
    }))
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
pub fn client_json(st: &AppState, tx: &mut dyn Tx, c: &Client, ctx: &Ctx) -> ApiResult<Value> {
    let mut sessions = Vec::new();
    let mut signed_in = Vec::new();
    for s in tx.sessions_of_client(&c.id)? {
        let status = s.effective_status(ctx.now);
        if status.stays_on_client() {
            sessions.push(session_json(st, tx, &s, ctx)?);
        }
        if status.is_signed_in() {
            signed_in.push(s.id);
        }
    }
    // Only a signed-in session can be the active one.
    let last_active = c.last_active_session_id.clone().filter(|id| signed_in.contains(id));
    let sign_in = match &c.sign_in_id {
        Some(id) => match tx.sign_in(id)? {
            Some(si) => sign_in_json(st, tx, &si)?,
            None => Value::Null,
        },
        None => Value::Null,
    };
    let sign_up = match &c.sign_up_id {
        Some(id) => match tx.sign_up(id)? {
            Some(su) => sign_up_json(&su, ctx.now),
            None => Value::Null,
        },
        None => Value::Null,
    };
    Ok(json!({
        "object": "client",
        "id": c.id,
        "sessions": sessions,
        "sign_in": sign_in,
        "sign_up": sign_up,
        "last_active_session_id": last_active,
        "last_authentication_strategy": c.last_authentication_strategy,
        "cookie_expires_at": c.expires_at(),
        "captcha_bypass": false,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }))
}

/// Factors a user can sign in with (the `supported_first_factors` list): those the user has,
/// among the instance's enabled strategies.
pub fn first_factors(st: &AppState, tx: &mut dyn Tx, u: &User) -> ApiResult<Vec<Value>> {
    let on = |s: &str| crate::strategies::is_enabled(&st.config, s);
    let mut f = Vec::new();
    if u.password_hash.is_some() && on("password") {
        f.push(json!({"strategy": "password"}));
    }
    for e in tx.emails_of(&u.id)? {
        for strategy in ["email_code", "email_link"].into_iter().filter(|s| on(s)) {
            f.push(json!({
                "strategy": strategy,
                "safe_identifier": e.email,
                "email_address_id": e.id,
                "primary": u.primary_email_address_id.as_deref() == Some(e.id.as_str()),
            }));
        }
    }
    Ok(f)
}

pub fn second_factors(st: &AppState, u: &User) -> Vec<Value> {
    if u.totp_secret.is_some() && crate::strategies::is_enabled(&st.config, "totp") { vec![json!({"strategy": "totp"})] } else { vec![] }
}

/// A verification as of `now`: one still `unverified` past its `expire_at` reads `expired`
/// (how a tab polling for an email link learns that it ran out).
fn as_of(v: &Option<Value>, now: i64) -> Value {
    match v {
        Some(v) if v["status"] == "unverified" && v["expire_at"].as_i64().is_some_and(|t| t <= now) => {
            let mut v = v.clone();
            v["status"] = json!("expired");
            v
        }
        Some(v) => v.clone(),
        None => Value::Null,
    }
}

pub fn sign_in_json(st: &AppState, tx: &mut dyn Tx, si: &SignIn) -> ApiResult<Value> {
    let user = match &si.user_id {
        Some(id) => tx.user(id)?,
        None => None,
    };
    let (first, second, user_data) = match &user {
        Some(u) => (json!(first_factors(st, tx, u)?), json!(second_factors(st, u)), public_user_data(tx, u)?),
        None => (json!([]), json!([]), Value::Null),
    };
    Ok(json!({
        "object": "sign_in_attempt",
        "id": si.id,
        "status": si.status,
        "supported_identifiers": ["email_address", "username"],
        "identifier": si.identifier,
        "supported_first_factors": first,
        "supported_second_factors": second,
        "first_factor_verification": as_of(&si.first_factor_verification, st.now()),
        "second_factor_verification": si.second_factor_verification,
        "user_data": user_data,
        "created_session_id": si.created_session_id,
        "abandon_at": si.abandon_at,
        "created_at": si.created_at,
        "updated_at": si.updated_at,
    }))
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
    let unverified: Vec<&str> = if su.email_address.is_some() && !su.email_verified { vec!["email_address"] } else { vec![] };
    json!({
        "object": "sign_up_attempt",
        "id": su.id,
        "status": su.status,
        "required_fields": ["email_address", "password"],
        "optional_fields": ["first_name", "last_name", "username"],
        "missing_fields": missing,
        "unverified_fields": unverified,
        "verifications": { "email_address": as_of(&su.email_verification, now), "external_account": as_of(&su.external_account_verification, now) },
        "username": su.username,
        "email_address": su.email_address,
        "phone_number": null,
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
