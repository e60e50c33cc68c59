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

/// `value` with `key` set (replaced where present, else added).
pub(super) fn set(value: &mut Json, key: &str, field: Json) {
    if !value.is_object() {
        *value = Json::Object(Vec::new());
    }
    if let Json::Object(entries) = value {
        match entries.iter_mut().find(|(k, _)| k == key) {
            Some((_, slot)) => *slot = field,
            None => entries.push((key.to_owned(), field)),
        }
    }
}

impl Session {
    /// The session as the server sent it, with what the engine may have learnt since (its
    /// status and organization, from another tab) and the user's derived fields.
    pub fn to_json(&self) -> Json {
        let mut json = self.raw.clone();
        set(&mut json, "id", Json::String(self.id.clone()));
        set(&mut json, "status", Json::String(self.status.clone()));
        set(&mut json, "last_active_organization_id", Json::string_or_null(self.last_active_organization_id.as_deref()));
        set(&mut json, "user", self.user.as_ref().map_or(Json::Null, user_view));
        json
    }
}

impl Client {
    /// The client as the server sent it, with what the engine changed (its sessions, attempts
    /// and last active session) and which sessions count as signed in.
    pub fn to_json(&self) -> Json {
        let mut json = self.raw.clone();
        set(&mut json, "id", Json::String(self.id.clone()));
        set(&mut json, "sessions", Json::Array(self.sessions.iter().map(Session::to_json).collect()));
        set(&mut json, "signed_in_session_ids", Json::Array(self.signed_in_sessions().map(|s| Json::String(s.id.clone())).collect()));
        set(&mut json, "last_active_session_id", Json::string_or_null(self.last_active_session_id.as_deref()));
        set(&mut json, "sign_in", self.sign_in.clone().unwrap_or_default());
        set(&mut json, "sign_up", self.sign_up.clone().unwrap_or_default());
        json
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
    let primary = str_field(user, "primary_email_address_id")
        .and_then(|id| user.get("email_addresses")?.as_array()?.iter().find(|e| str_field(e, "id") == Some(id)).cloned());
    if let Json::Object(entries) = &mut view {
        entries.retain(|(k, _)| k != "full_name" && k != "primary_email_address");
        entries.push(("full_name".into(), if full.is_empty() { Json::Null } else { Json::String(full.to_owned()) }));
        entries.push(("primary_email_address".into(), primary.unwrap_or_default()));
    }
    view
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
