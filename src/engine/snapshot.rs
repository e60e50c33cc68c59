//! The engine's state as one JSON text: what the object layer builds its `Client`, `Session`,
//! `SignIn` and `SignUp` objects from, in one call instead of one call per getter.
//!
//! Keys stay as the Frontend API writes them (snake_case, timestamps in ms); the object layer
//! renames and wraps them generically. Everything that is a decision is made here: which
//! session, user and organization are current (or `undefined` while loading and switching),
//! which sessions count as signed in, and the user's derived
//! `full_name` and `primary_email_address`.

use super::clerk::{Clerk, Slot};
use super::json::{Json, object};
use super::resources::{Client, Session, str_field};
use super::text::decimal;

impl Session {
    /// The session as the Frontend API sent it (as far as the engine keeps it), with the
    /// user's derived fields.
    pub fn to_json(&self) -> Json {
        let opt_i64 = |v: Option<i64>| v.map_or(Json::Null, |n| Json::Number(decimal_i64(n).into()));
        let token = self.last_active_token.as_ref().map_or(Json::Null, |t| object([("object", Json::String("token".into())), ("jwt", Json::string_or_null(t.jwt.as_deref()))]));
        let age = self.factor_verification_age.map_or(Json::Null, |[a, b]| Json::Array(vec![Json::Number(decimal_i64(a).into()), Json::Number(decimal_i64(b).into())]));
        object([
            ("object", Json::String("session".into())),
            ("id", Json::String(self.id.clone())),
            ("status", Json::String(self.status.clone())),
            ("expire_at", opt_i64(self.expire_at)),
            ("abandon_at", opt_i64(self.abandon_at)),
            ("last_active_at", opt_i64(self.last_active_at)),
            ("created_at", opt_i64(self.created_at)),
            ("updated_at", opt_i64(self.updated_at)),
            ("last_active_organization_id", Json::string_or_null(self.last_active_organization_id.as_deref())),
            ("last_active_token", token),
            ("factor_verification_age", age),
            ("actor", self.actor.clone().unwrap_or_default()),
            ("tasks", self.tasks.clone().unwrap_or_default()),
            ("user", self.user.as_ref().map_or(Json::Null, user_view)),
            ("public_user_data", self.public_user_data.clone().unwrap_or_default()),
        ])
    }
}

impl Client {
    pub fn to_json(&self) -> Json {
        let opt_i64 = |v: Option<i64>| v.map_or(Json::Null, |n| Json::Number(decimal_i64(n).into()));
        object([
            ("object", Json::String("client".into())),
            ("id", Json::String(self.id.clone())),
            ("sessions", Json::Array(self.sessions.iter().map(Session::to_json).collect())),
            ("signed_in_session_ids", Json::Array(self.signed_in_sessions().map(|s| Json::String(s.id.clone())).collect())),
            ("last_active_session_id", Json::string_or_null(self.last_active_session_id.as_deref())),
            ("last_authentication_strategy", Json::string_or_null(self.last_authentication_strategy.as_deref())),
            ("sign_in", self.sign_in.clone().unwrap_or_default()),
            ("sign_up", self.sign_up.clone().unwrap_or_default()),
            ("cookie_expires_at", opt_i64(self.cookie_expires_at)),
            ("created_at", opt_i64(self.created_at)),
            ("updated_at", opt_i64(self.updated_at)),
        ])
    }
}

/// A user with clerk-js's derived fields: `full_name` ("first last", `null` when both are
/// empty) and `primary_email_address` (the entry of `email_addresses` whose id is
/// `primary_email_address_id`, or `null`).
pub fn user_view(user: &Json) -> Json {
    let mut view = user.clone();
    let name = |k| str_field(user, k).unwrap_or("");
    let full = [name("first_name"), " ", name("last_name")].concat();
    let full = full.trim();
    let primary = str_field(user, "primary_email_address_id").and_then(|id| {
        user.get("email_addresses")?.as_array()?.iter().find(|e| str_field(e, "id") == Some(id)).cloned()
    });
    if let Json::Object(entries) = &mut view {
        entries.retain(|(k, _)| k != "full_name" && k != "primary_email_address");
        entries.push(("full_name".into(), if full.is_empty() { Json::Null } else { Json::String(full.to_owned()) }));
        entries.push(("primary_email_address".into(), primary.unwrap_or_default()));
    }
    view
}

fn decimal_i64(n: i64) -> String {
    if n < 0 { ["-", &decimal(n.unsigned_abs())].concat() } else { decimal(n as u64) }
}

impl Clerk {
    /// Everything the object layer shows, as JSON text:
    /// `{version, loaded, resources, client, known_sessions}`.
    /// - `resources`: `null` while the session is `undefined` (before load, during setActive),
    ///   else `{session: id|null, organization: object|null}`.
    /// - `known_sessions`: sessions the client no longer lists, as they last were (a held
    ///   `Session` object keeps showing them).
    pub fn snapshot(&self) -> String {
        let resources = self.resources();
        let resources = match &resources.session {
            Slot::Undefined => Json::Null,
            Slot::Null => object([("session", Json::Null), ("organization", Json::Null)]),
            Slot::Value(session) => object([
                ("session", Json::String(session.id.clone())),
                ("organization", resources.organization.value().cloned().unwrap_or_default()),
            ]),
        };
        let client = self.client();
        let known = self.known_sessions().into_iter().filter(|s| client.as_ref().is_none_or(|c| c.session(&s.id).is_none()));
        object([
            ("version", Json::Number(decimal(self.state_version()).into())),
            ("loaded", Json::Bool(self.loaded())),
            ("resources", resources),
            ("client", client.as_deref().map_or(Json::Null, Client::to_json)),
            ("known_sessions", Json::Array(known.map(|s| s.to_json()).collect())),
        ])
        .to_text()
    }
}
