//! Session-token and JWT-template claims. Claims are built inside a transaction; signing happens
//! afterwards (see [`AppState::sign`](crate::AppState::sign)) so that RSA work does not hold the
//! database lock.

use axum::http::StatusCode;
use clerk_token::{OrgClaim, OrgPermissions, SessionClaims};
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::errors::{ApiError, ApiResult, Json};
use crate::store::{Done, JwtTemplate, Membership, Organization, Session, Tx};

/// Permissions of the built-in roles (Clerk's system permissions).
pub fn role_permissions(role: &str) -> &'static [&'static str] {
    match role {
        "org:admin" => &[
            "org:sys_profile:manage",
            "org:sys_profile:delete",
            "org:sys_memberships:read",
            "org:sys_memberships:manage",
            "org:sys_domains:read",
            "org:sys_domains:manage",
        ],
        "org:member" => &["org:sys_memberships:read", "org:sys_profile:read"],
        _ => &[],
    }
}

/// Which organization a token is minted for.
#[derive(Debug, Clone)]
pub enum OrgChoice {
    /// The session's `last_active_organization_id`.
    Active,
    /// No organization (personal account).
    Personal,
    Org(String),
}

impl OrgChoice {
    /// `organization_id` form field: absent → the active org; empty → personal; else that org.
    pub fn from_param(p: Option<&str>) -> Self {
        match p {
            None => OrgChoice::Active,
            Some("") => OrgChoice::Personal,
            Some(id) => OrgChoice::Org(id.to_owned()),
        }
    }
}

/// Minutes since each factor was verified; -1 for never.
pub fn factor_verification_age(s: &Session, now_ms: i64) -> [i64; 2] {
    let age = |t: Option<i64>| t.map(|t| ((now_ms - t).max(0)) / 60_000).unwrap_or(-1);
    [age(s.first_factor_verified_at), age(s.second_factor_verified_at)]
}

/// Ended, removed, revoked and expired sessions mint nothing: 401 `session_not_active`
/// (the client is effectively signed out of that session).
pub fn ensure_mintable(s: &Session, now_ms: i64) -> ApiResult<()> {
    let status = s.effective_status(now_ms);
    if status.is_signed_in() {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::UNAUTHORIZED, "session_not_active", format!("Session is {}", status.as_str())).long(format!(
            "Session {} is {} and cannot issue tokens.",
            s.id,
            status.as_str()
        )))
    }
}

/// The membership of the session's user in the chosen organization, if any.
pub fn org_for(tx: &mut dyn Tx, s: &Session, choice: &OrgChoice) -> ApiResult<Option<(Membership, Organization)>> {
    let org_id = match choice {
        OrgChoice::Active => match &s.last_active_organization_id {
            Some(id) => id.clone(),
            None => return Ok(None),
        },
        OrgChoice::Personal => return Ok(None),
        OrgChoice::Org(id) => id.clone(),
    };
    let found = tx.memberships_of(&s.user_id)?.into_iter().find(|(_, o)| o.id == org_id);
    match found {
        Some(m) => Ok(Some(m)),
        // A stale active org (membership removed) just means no org; an explicit one is an error.
        None if matches!(choice, OrgChoice::Active) => Ok(None),
        None => Err(ApiError::not_found("organization membership").param("organization_id")),
    }
}

/// Claims of a session token (Clerk v2 format).
pub fn session_claims(
    st: &AppState,
    tx: &mut dyn Tx,
    s: &Session,
    choice: &OrgChoice,
    azp: Option<String>,
    ttl: i64,
    now_ms: i64,
) -> ApiResult<SessionClaims> {
    let iat = now_ms / 1000;
    let mut claims = SessionClaims {
        sub: s.user_id.clone(),
        sid: Some(s.id.clone()),
        iss: st.issuer.clone(),
        azp,
        exp: iat + ttl,
        iat,
        nbf: iat - 10,
        v: Some(2),
        fva: Some(factor_verification_age(s, now_ms)),
        sts: (s.status == crate::store::SessionStatus::Pending).then(|| "pending".to_owned()),
        act: s.actor.clone(),
        ..Default::default()
    };
    if let Some((m, o)) = org_for(tx, s, choice)? {
        let perms = OrgPermissions::encode(role_permissions(&m.role));
        claims.o = Some(OrgClaim {
            id: o.id,
            rol: m.role.strip_prefix("org:").unwrap_or(&m.role).to_owned(),
            slg: o.slug,
            per: perms.per,
            fpm: perms.fpm,
        });
        claims.fea = Some(perms.fea).filter(|f| !f.is_empty());
    }
    Ok(claims)
}

/// What a `/tokens` endpoint mints.
pub enum Mint {
    /// A session token that lives `ttl` seconds.
    Session { ttl: i64 },
    /// A token of the JWT template `name`; `lifetime` (seconds) overrides the template's.
    Template { name: String, lifetime: Option<i64> },
}

/// The one mint path of the Frontend and Backend API `/tokens` endpoints: `find` loads the session
/// (on the Frontend API, scoped to the caller's client), the claims are built in the transaction,
/// and they are signed after it, with no lock held. Answers a bare `{object: "token", jwt}`.
pub async fn mint<F>(st: &AppState, what: Mint, choice: OrgChoice, azp: Option<String>, now: i64, mut find: F) -> ApiResult<Json>
where
    F: FnMut(&mut dyn Tx) -> ApiResult<Session> + Send + 'static,
{
    let claims = st
        .db(move |st, tx| {
            let s = find(tx)?;
            ensure_mintable(&s, now)?;
            let claims = match &what {
                Mint::Session { ttl } => serde_json::to_value(session_claims(st, tx, &s, &choice, azp.clone(), *ttl, now)?)
                    .map_err(|e| ApiError::internal(e.to_string()))?,
                Mint::Template { name, lifetime } => {
                    let tpl = tx.jwt_template(name)?.ok_or_else(|| ApiError::not_found("JWT template"))?;
                    template_claims(st, tx, &s, &tpl, &choice, azp.clone(), *lifetime, now)?
                }
            };
            Ok(Done(claims))
        })
        .await?;
    Ok(Json(json!({ "object": "token", "jwt": st.sign(claims).await? })))
}

/// Claims of a JWT-template token: the template's claims with shortcodes filled in, plus the
/// standard claims (which templates cannot override).
#[allow(clippy::too_many_arguments)]
pub fn template_claims(
    st: &AppState,
    tx: &mut dyn Tx,
    s: &Session,
    tpl: &JwtTemplate,
    choice: &OrgChoice,
    azp: Option<String>,
    lifetime: Option<i64>,
    now_ms: i64,
) -> ApiResult<Value> {
    let user = tx.user(&s.user_id)?.ok_or_else(|| ApiError::not_found("user"))?;
    let primary_email = match &user.primary_email_address_id {
        Some(id) => tx.emails_of(&user.id)?.into_iter().find(|e| &e.id == id).map(|e| e.email),
        None => None,
    };
    let org = org_for(tx, s, choice)?;
    let lookup = |code: &str| -> Value {
        let opt = |v: &Option<String>| v.clone().map(Value::String).unwrap_or(Value::Null);
        match code {
            "user.id" => Value::String(user.id.clone()),
            "user.first_name" => opt(&user.first_name),
            "user.last_name" => opt(&user.last_name),
            "user.username" => opt(&user.username),
            "user.primary_email_address" => opt(&primary_email),
            "user.two_factor_enabled" => Value::Bool(user.totp_secret.is_some()),
            "session.id" => Value::String(s.id.clone()),
            "org.id" => org.as_ref().map(|(_, o)| Value::String(o.id.clone())).unwrap_or(Value::Null),
            "org.name" => org.as_ref().map(|(_, o)| Value::String(o.name.clone())).unwrap_or(Value::Null),
            "org.slug" => org.as_ref().map(|(_, o)| Value::String(o.slug.clone())).unwrap_or(Value::Null),
            "org.role" => org.as_ref().map(|(m, _)| Value::String(m.role.clone())).unwrap_or(Value::Null),
            _ => Value::Null,
        }
    };
    let mut claims = match fill_shortcodes(&tpl.claims, &lookup) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let iat = now_ms / 1000;
    let lifetime = lifetime.unwrap_or(tpl.lifetime);
    let mut standard = Map::new();
    standard.insert("sub".into(), Value::String(s.user_id.clone()));
    standard.insert("iss".into(), Value::String(st.issuer.clone()));
    standard.insert("iat".into(), iat.into());
    standard.insert("nbf".into(), (iat - 10).into());
    standard.insert("exp".into(), (iat + lifetime).into());
    standard.insert("jti".into(), Value::String(crate::util::random_string(20)));
    if let Some(azp) = azp {
        standard.insert("azp".into(), Value::String(azp));
    }
    claims.extend(standard);
    Ok(Value::Object(claims))
}

/// Replaces `{{path}}` shortcodes: a string that is exactly one shortcode takes the value's
/// JSON type; shortcodes inside longer strings are interpolated as text.
fn fill_shortcodes(v: &Value, lookup: &dyn Fn(&str) -> Value) -> Value {
    match v {
        Value::String(s) => {
            let t = s.trim();
            if t.starts_with("{{") && t.ends_with("}}") && t.matches("{{").count() == 1 {
                return lookup(t[2..t.len() - 2].trim());
            }
            let mut out = String::new();
            let mut rest = s.as_str();
            while let Some(start) = rest.find("{{") {
                let Some(end) = rest[start..].find("}}") else { break };
                out.push_str(&rest[..start]);
                match lookup(rest[start + 2..start + end].trim()) {
                    Value::String(x) => out.push_str(&x),
                    Value::Null => {}
                    other => out.push_str(&other.to_string()),
                }
                rest = &rest[start + end + 2..];
            }
            out.push_str(rest);
            Value::String(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| fill_shortcodes(x, lookup)).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), fill_shortcodes(x, lookup))).collect()),
        other => other.clone(),
    }
}
