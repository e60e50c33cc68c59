//! Users, organizations and JWT templates: enough of the Backend API to seed an instance.
//! The `create_*` functions are shared with `clerk-server seed`.

use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::errors::{ApiError, ApiResult, Json};
use crate::extract::Input;
use crate::render::bapi_user_json;
use crate::store::{Done, EmailAddress, JwtTemplate, Membership, Organization, Tx, User};
use crate::util::{is_plausible_email, new_id, now_ms};
use crate::views;

/// One email or a list of them (Clerk's BAPI takes `email_address: [..]`).
#[derive(Deserialize, Debug, Clone)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize, Debug, Clone, Default)]
pub struct NewUser {
    pub email_address: Option<OneOrMany>,
    pub password: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub username: Option<String>,
    /// Base32 TOTP secret: enables an authenticator-app second factor.
    pub totp_secret: Option<String>,
    /// Verified phone numbers (any spelling with the country code; stored in E.164).
    pub phone_number: Option<OneOrMany>,
    #[serde(default)]
    pub public_metadata: Option<Value>,
    #[serde(default)]
    pub private_metadata: Option<Value>,
    #[serde(default)]
    pub unsafe_metadata: Option<Value>,
}

/// `hash_password` gives the argon2 hash of the password: through [`crate::checks::Checks`] in a
/// request, so that the hashing happens outside the transaction.
pub fn create_user(tx: &mut dyn Tx, new: NewUser, hash_password: &dyn Fn(&str) -> ApiResult<String>) -> ApiResult<User> {
    let now = now_ms();
    let emails = match new.email_address {
        None => vec![],
        Some(OneOrMany::One(e)) => vec![e],
        Some(OneOrMany::Many(v)) => v,
    };
    for e in &emails {
        if !is_plausible_email(e) {
            return Err(
                ApiError::unprocessable("form_param_format_invalid", format!("`{e}` is not a valid email address")).param("email_address")
            );
        }
        if tx.email(e)?.is_some() {
            return Err(ApiError::unprocessable("form_identifier_exists", "That email address is taken.").param("email_address"));
        }
    }
    if let Some(u) = &new.username
        && tx.user_by_username(u)?.is_some()
    {
        return Err(ApiError::unprocessable("form_identifier_exists", "That username is taken.").param("username"));
    }
    if new.password.as_ref().is_some_and(|p| p.chars().count() < 8) {
        return Err(ApiError::unprocessable("form_password_length_too_short", "Passwords must be 8 characters or more.").param("password"));
    }
    if new.totp_secret.as_deref().is_some_and(|s| crate::util::totp_now(s).is_none()) {
        return Err(ApiError::invalid_param("totp_secret", "totp_secret must be base32, 128 bits or more"));
    }
    let mut user = User {
        id: new_id("user"),
        first_name: new.first_name,
        last_name: new.last_name,
        username: new.username,
        primary_email_address_id: None,
        password_hash: new.password.as_deref().map(hash_password).transpose()?,
        totp_secret: new.totp_secret,
        created_at: now,
        updated_at: now,
        last_sign_in_at: None,
        backup_codes: Vec::new(),
        primary_phone_number_id: None,
        passkeys: Vec::new(),
        profile: Default::default(),
    };
    for (value, slot, param) in [
        (new.public_metadata, &mut user.profile.public_metadata, "public_metadata"),
        (new.private_metadata, &mut user.profile.private_metadata, "private_metadata"),
        (new.unsafe_metadata, &mut user.profile.unsafe_metadata, "unsafe_metadata"),
    ] {
        if let Some(v) = value {
            *slot = crate::account::rules::metadata_value(v, param)?;
        }
    }
    let mut addresses = Vec::new();
    for e in emails {
        addresses.push(EmailAddress {
            id: new_id("idn"),
            user_id: user.id.clone(),
            email: e,
            verified: true,
            created_at: now,
            verification: None,
        });
    }
    user.primary_email_address_id = addresses.first().map(|a| a.id.clone());
    tx.put_user(&user)?;
    for a in &addresses {
        tx.put_email(a)?;
    }
    let phones = match new.phone_number {
        None => vec![],
        Some(OneOrMany::One(p)) => vec![p],
        Some(OneOrMany::Many(v)) => v,
    };
    for p in phones {
        super::phone_numbers::add_phone(tx, &user.id, &p, true, false, false)?;
    }
    // Re-read: the first number became the primary one.
    Ok(tx.user(&user.id)?.unwrap_or(user))
}

pub fn create_org(tx: &mut dyn Tx, name: &str, slug: &str) -> ApiResult<Organization> {
    if tx.org_by_slug(slug)?.is_some() {
        return Err(ApiError::unprocessable("form_identifier_exists", "That slug is taken.").param("slug"));
    }
    let now = now_ms();
    let org = Organization::new(new_id("org"), name.to_owned(), slug.to_owned(), None, now);
    tx.put_org(&org)?;
    Ok(org)
}

pub fn add_member(tx: &mut dyn Tx, org_id: &str, user_id: &str, role: &str) -> ApiResult<Membership> {
    if !matches!(role, "org:admin" | "org:member") {
        return Err(ApiError::invalid_param("role", "role must be org:admin or org:member"));
    }
    tx.org(org_id)?.ok_or_else(|| ApiError::not_found("organization"))?;
    tx.user(user_id)?.ok_or_else(|| ApiError::not_found("user").param("user_id"))?;
    let existing = tx.memberships_of(user_id)?.into_iter().find(|(m, _)| m.org_id == org_id);
    let now = now_ms();
    let m = match existing {
        Some((mut m, _)) => {
            m.role = role.to_owned();
            m.updated_at = now;
            m
        }
        None => Membership {
            id: new_id("orgmem"),
            org_id: org_id.to_owned(),
            user_id: user_id.to_owned(),
            role: role.to_owned(),
            created_at: now,
            updated_at: now,
        },
    };
    tx.put_membership(&m)?;
    Ok(m)
}

/// Creates or replaces the template called `name`.
pub fn put_template(tx: &mut dyn Tx, name: &str, claims: Value, lifetime: i64) -> ApiResult<JwtTemplate> {
    if !claims.is_object() {
        return Err(ApiError::invalid_param("claims", "claims must be a JSON object"));
    }
    if !(30..=315_360_000).contains(&lifetime) {
        return Err(ApiError::invalid_param("lifetime", "lifetime must be between 30 and 315360000 seconds"));
    }
    let now = now_ms();
    let existing = tx.jwt_template(name)?;
    let t = JwtTemplate {
        id: existing.as_ref().map(|t| t.id.clone()).unwrap_or_else(|| new_id("jtmp")),
        name: name.to_owned(),
        claims,
        lifetime,
        allowed_clock_skew: 5,
        created_at: existing.map(|t| t.created_at).unwrap_or(now),
        updated_at: now,
    };
    tx.put_jwt_template(&t)?;
    Ok(t)
}

fn template_json(t: &JwtTemplate) -> Value {
    json!({
        "object": "jwt_template", "id": t.id, "name": t.name, "claims": t.claims,
        "lifetime": t.lifetime, "allowed_clock_skew": t.allowed_clock_skew,
        "custom_signing_key": false, "signing_algorithm": "RS256",
        "created_at": t.created_at, "updated_at": t.updated_at,
    })
}

pub async fn post_user(State(st): State<AppState>, Input(new): Input<NewUser>) -> ApiResult<Json> {
    st.db_checked(move |_, tx, checks| {
        let u = create_user(tx, new.clone(), &|password| checks.hash_password(password))?;
        Ok(Done(Json(bapi_user_json(&views::user(tx, &u, false)?))))
    })
    .await
}

#[derive(Deserialize, Default)]
pub struct NewTemplate {
    name: Option<String>,
    claims: Option<Value>,
    lifetime: Option<i64>,
}

pub async fn post_template(State(st): State<AppState>, Input(body): Input<NewTemplate>) -> ApiResult<Json> {
    let name = body.name.filter(|n| !n.is_empty()).ok_or_else(|| ApiError::missing_param("name"))?;
    let claims = body.claims.ok_or_else(|| ApiError::missing_param("claims"))?;
    st.db(move |_, tx| {
        if tx.jwt_template(&name)?.is_some() {
            return Err(ApiError::unprocessable("form_identifier_exists", "A template with that name exists").param("name"));
        }
        let t = put_template(tx, &name, claims.clone(), body.lifetime.unwrap_or(60))?;
        Ok(Done(Json(template_json(&t))))
    })
    .await
}

/// `{data, total_count}`, as Clerk answers for templates.
pub async fn list_templates(State(st): State<AppState>) -> ApiResult<Json> {
    st.db(move |_, tx| {
        let all = tx.jwt_templates()?;
        let data: Vec<Value> = all.iter().map(template_json).collect();
        Ok(Done(Json(json!({ "data": data, "total_count": all.len() }))))
    })
    .await
}
