//! Users on the Backend API, as `@clerk/backend`'s `clerkClient.users` calls them:
//! `getUser`, `getUserList` (with `getCount` beside it), `updateUser`, `updateUserMetadata`
//! (merge), `replaceUserMetadata`, `deleteUser`. The checks are the account's own
//! (`crate::account::rules`), with the same codes as on the Frontend API. (`createUser` is
//! in `admin`.)

use axum::extract::{Path, RawQuery, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::pagination;
use crate::AppState;
use crate::account::{self, rules};
use crate::errors::{ApiError, ApiResult, Json};
use crate::extract::Input;
use crate::render::bapi_user_json;
use crate::store::{Done, SessionStatus, Tx, User};
use crate::views::{self, UserView};

fn user_or_404(tx: &mut dyn Tx, id: &str) -> ApiResult<User> {
    tx.user(id)?.ok_or_else(|| ApiError::not_found("user"))
}

fn shown(tx: &mut dyn Tx, u: &User) -> ApiResult<Value> {
    Ok(bapi_user_json(&views::user(tx, u, false)?))
}

/// The filters of `GET /v1/users` and `/v1/users/count`. Each list filter takes repeated
/// parameters (`email_address=a&email_address=b`, as @clerk/backend sends arrays).
#[derive(Default)]
struct Filters {
    email_address: Vec<String>,
    phone_number: Vec<String>,
    username: Vec<String>,
    user_id: Vec<String>,
    query: Option<String>,
}

impl Filters {
    fn parse(pairs: &[(String, String)]) -> Self {
        let mut f = Filters::default();
        for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
            match k.trim_end_matches("[]") {
                "email_address" => f.email_address.push(v.to_lowercase()),
                // Any spelling of a number matches its E.164 form.
                "phone_number" => f.phone_number.push(crate::phone::normalize(v, "phone_number").unwrap_or_else(|_| v.clone())),
                "username" => f.username.push(v.to_lowercase()),
                "user_id" => f.user_id.push(v.clone()),
                "query" => f.query = Some(v.to_lowercase()),
                _ => {}
            }
        }
        f
    }

    fn matches(&self, v: &UserView) -> bool {
        let u = &v.user;
        let emails: Vec<String> = v.emails.iter().map(|e| e.email.to_lowercase()).collect();
        let phones: Vec<&str> = v.phones.iter().map(|p| p.phone.as_str()).collect();
        let username = u.username.as_deref().map(str::to_lowercase);
        let any = |wanted: &[String], has: &dyn Fn(&String) -> bool| wanted.is_empty() || wanted.iter().any(has);
        let query_ok = self.query.as_deref().is_none_or(|q| {
            let fields = [
                Some(u.id.to_lowercase()),
                username.clone(),
                u.first_name.as_deref().map(str::to_lowercase),
                u.last_name.as_deref().map(str::to_lowercase),
            ];
            fields.iter().flatten().any(|f| f.contains(q)) || emails.iter().any(|e| e.contains(q)) || phones.iter().any(|p| p.contains(q))
        });
        any(&self.email_address, &|e| emails.contains(e))
            && any(&self.phone_number, &|p| phones.contains(&p.as_str()))
            && any(&self.username, &|n| username.as_deref() == Some(n.as_str()))
            && any(&self.user_id, &|id| *id == u.id)
            && query_ok
    }
}

/// `order_by`: a field, `-` (the default) for descending or `+` for ascending.
fn sort(users: &mut [UserView], order_by: Option<&str>) -> ApiResult<()> {
    let spec = order_by.filter(|o| !o.is_empty()).unwrap_or("-created_at");
    let (descending, field) = match spec.as_bytes()[0] {
        b'-' => (true, &spec[1..]),
        b'+' => (false, &spec[1..]),
        _ => (false, spec),
    };
    let key = |v: &UserView| -> (Option<String>, i64) {
        let u = &v.user;
        match field {
            "created_at" => (None, u.created_at),
            "updated_at" => (None, u.updated_at),
            "last_sign_in_at" | "last_active_at" => (None, u.last_sign_in_at.unwrap_or(0)),
            "first_name" => (u.first_name.as_deref().map(str::to_lowercase), 0),
            "last_name" => (u.last_name.as_deref().map(str::to_lowercase), 0),
            "username" => (u.username.as_deref().map(str::to_lowercase), 0),
            "email_address" => (v.primary_email().map(str::to_lowercase), 0),
            _ => (v.phones.first().map(|p| p.phone.clone()), 0),
        }
    };
    let known = [
        "created_at",
        "updated_at",
        "last_sign_in_at",
        "last_active_at",
        "first_name",
        "last_name",
        "username",
        "email_address",
        "phone_number",
    ];
    if !known.contains(&field) {
        return Err(ApiError::invalid_param("order_by", format!("`{spec}` is not a field users can be ordered by")));
    }
    users.sort_by(|a, b| {
        let ord = key(a).cmp(&key(b)).then_with(|| a.user.id.cmp(&b.user.id));
        if descending { ord.reverse() } else { ord }
    });
    Ok(())
}

/// Every user the filters match, each loaded with its identifiers.
fn matching(tx: &mut dyn Tx, f: &Filters) -> ApiResult<Vec<UserView>> {
    let (all, _) = tx.users(u32::MAX, 0)?;
    let mut out = Vec::new();
    for u in &all {
        let v = views::user(tx, u, false)?;
        if f.matches(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.map(|q| crate::form_pairs(q).collect()).unwrap_or_default()
}

/// `GET /v1/users`: a bare array (`getUserList` asks `/users/count` for the total).
pub async fn list(State(st): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json> {
    let pairs = pairs(raw.as_deref());
    let (limit, offset) = pagination(&pairs.iter().cloned().collect::<std::collections::HashMap<_, _>>())?;
    let order_by = pairs.iter().find(|(k, _)| k == "order_by").map(|(_, v)| v.clone());
    let filters = Filters::parse(&pairs);
    st.db(move |_, tx| {
        let mut users = matching(tx, &filters)?;
        sort(&mut users, order_by.as_deref())?;
        let page = users.iter().skip(offset as usize).take(limit as usize).map(bapi_user_json).collect();
        Ok(Done(Json(Value::Array(page))))
    })
    .await
}

/// `GET /v1/users/count`: `{object: "total_count", total_count}`.
pub async fn count(State(st): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json> {
    let filters = Filters::parse(&pairs(raw.as_deref()));
    st.db(move |_, tx| Ok(Done(Json(json!({"object": "total_count", "total_count": matching(tx, &filters)?.len()}))))).await
}

pub async fn get(State(st): State<AppState>, Path(id): Path<String>) -> ApiResult<Json> {
    st.db(move |_, tx| {
        let u = user_or_404(tx, &id)?;
        Ok(Done(Json(shown(tx, &u)?)))
    })
    .await
}

#[derive(Deserialize, Default, Clone)]
pub struct UpdateUser {
    first_name: Option<String>,
    last_name: Option<String>,
    username: Option<String>,
    password: Option<String>,
    skip_password_checks: Option<bool>,
    sign_out_of_other_sessions: Option<bool>,
    primary_email_address_id: Option<String>,
    primary_phone_number_id: Option<String>,
    totp_secret: Option<String>,
    delete_self_enabled: Option<bool>,
    create_organization_enabled: Option<bool>,
    create_organizations_limit: Option<u32>,
    public_metadata: Option<Value>,
    private_metadata: Option<Value>,
    unsafe_metadata: Option<Value>,
}

/// `PATCH /v1/users/{id}` (`updateUser`): every field is checked before anything is saved.
pub async fn update(State(st): State<AppState>, Path(id): Path<String>, Input(body): Input<UpdateUser>) -> ApiResult<Json> {
    if let Some(p) = body.password.as_deref().filter(|_| body.skip_password_checks != Some(true)) {
        rules::new_password(p, "password")?;
    }
    let now = st.now();
    st.db_checked(move |_, tx, checks| {
        let mut u = user_or_404(tx, &id)?;
        let b = &body;
        if let Some(v) = &b.first_name {
            u.first_name = rules::name(v, "first_name")?;
        }
        if let Some(v) = &b.last_name {
            u.last_name = rules::name(v, "last_name")?;
        }
        if let Some(v) = &b.username {
            u.username = rules::username(tx, &u.id, v)?;
        }
        if let Some(e) = &b.primary_email_address_id {
            u.primary_email_address_id = Some(rules::primary_email(tx, &u, e, "primary_email_address_id")?.id);
        }
        if let Some(p) = &b.primary_phone_number_id {
            u.primary_phone_number_id = Some(rules::primary_phone(tx, &u, p, "primary_phone_number_id")?.id);
        }
        if let Some(s) = &b.totp_secret {
            if crate::util::totp_now(s).is_none() {
                return Err(ApiError::invalid_param("totp_secret", "totp_secret must be base32, 128 bits or more"));
            }
            u.totp_secret = Some(s.clone());
        }
        for (value, slot, param) in [
            (&b.public_metadata, &mut u.profile.public_metadata, "public_metadata"),
            (&b.private_metadata, &mut u.profile.private_metadata, "private_metadata"),
            (&b.unsafe_metadata, &mut u.profile.unsafe_metadata, "unsafe_metadata"),
        ] {
            if let Some(v) = value {
                *slot = rules::metadata_value(v.clone(), param)?;
            }
        }
        u.profile.delete_self_enabled = b.delete_self_enabled.or(u.profile.delete_self_enabled);
        u.profile.create_organization_enabled = b.create_organization_enabled.or(u.profile.create_organization_enabled);
        if let Some(n) = b.create_organizations_limit {
            // Clerk: 0 means unlimited.
            u.profile.create_organizations_limit = Some(n).filter(|n| *n > 0);
        }
        if let Some(p) = &b.password {
            u.password_hash = Some(checks.hash_password(p)?);
            if b.sign_out_of_other_sessions == Some(true) {
                account::end_sessions(tx, &u.id, None, SessionStatus::Revoked, now)?;
            }
        }
        u.updated_at = now;
        tx.put_user(&u)?;
        Ok(Done(Json(shown(tx, &u)?)))
    })
    .await
}

#[derive(Deserialize, Default, Clone)]
pub struct MetadataBody {
    public_metadata: Option<Value>,
    private_metadata: Option<Value>,
    unsafe_metadata: Option<Value>,
}

/// `PATCH /v1/users/{id}/metadata` (`updateUserMetadata`, an RFC 7396 merge of each object
/// given) and `PUT` (`replaceUserMetadata`, each object given replaces the stored one).
async fn metadata(st: AppState, id: String, body: MetadataBody, merge: bool) -> ApiResult<Json> {
    let now = st.now();
    st.db(move |_, tx| {
        let mut u = user_or_404(tx, &id)?;
        for (value, slot, param) in [
            (&body.public_metadata, &mut u.profile.public_metadata, "public_metadata"),
            (&body.private_metadata, &mut u.profile.private_metadata, "private_metadata"),
            (&body.unsafe_metadata, &mut u.profile.unsafe_metadata, "unsafe_metadata"),
        ] {
            let Some(v) = value else { continue };
            *slot = if merge {
                rules::merge_metadata(slot, &rules::metadata_value(v.clone(), param)?, param)?
            } else {
                rules::metadata_value(v.clone(), param)?
            };
        }
        u.updated_at = now;
        tx.put_user(&u)?;
        Ok(Done(Json(shown(tx, &u)?)))
    })
    .await
}

pub async fn merge_metadata(State(st): State<AppState>, Path(id): Path<String>, Input(body): Input<MetadataBody>) -> ApiResult<Json> {
    metadata(st, id, body, true).await
}

pub async fn replace_metadata(State(st): State<AppState>, Path(id): Path<String>, Input(body): Input<MetadataBody>) -> ApiResult<Json> {
    metadata(st, id, body, false).await
}

/// `DELETE /v1/users/{id}` (`deleteUser`): `{object: "user", id, deleted: true}`; the user's
/// sessions leave their clients.
pub async fn delete(State(st): State<AppState>, Path(id): Path<String>) -> ApiResult<Json> {
    let now = st.now();
    st.db(move |_, tx| {
        let u = user_or_404(tx, &id)?;
        account::delete_user(tx, &u, now)?;
        Ok(Done(Json(account::deleted("user", &u.id))))
    })
    .await
}
