//! Frontend API resources as the server sends them (snake_case JSON, timestamps in ms).
//!
//! `Client` and `Session` are typed because the core reasons about them. Users, sign-ins,
//! sign-ups and organizations stay JSON objects with typed accessors for the few fields the
//! core needs: the JS layer exposes them whole, so fields the server adds reach the app
//! without a library release.

use serde::Deserialize;
use serde_json::Value;

pub type Json = Value;

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct Client {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub sessions: Vec<Session>,
    #[serde(default)]
    pub last_active_session_id: Option<String>,
    #[serde(default)]
    pub last_authentication_strategy: Option<String>,
    #[serde(default)]
    pub sign_in: Option<Json>,
    #[serde(default)]
    pub sign_up: Option<Json>,
    #[serde(default)]
    pub cookie_expires_at: Option<i64>,
    #[serde(default)]
    pub created_at: Option<i64>,
    #[serde(default)]
    pub updated_at: Option<i64>,
}

impl Client {
    pub fn session(&self, id: &str) -> Option<&Session> {
        self.sessions.iter().find(|s| s.id == id)
    }

    /// Sessions that count as signed in: `active` and `pending`.
    pub fn signed_in_sessions(&self) -> impl Iterator<Item = &Session> {
        self.sessions.iter().filter(|s| s.is_signed_in())
    }

    pub fn signed_in_session(&self, id: &str) -> Option<&Session> {
        self.signed_in_sessions().find(|s| s.id == id)
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct TokenResource {
    #[serde(default)]
    pub jwt: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Session {
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub expire_at: Option<i64>,
    #[serde(default)]
    pub abandon_at: Option<i64>,
    #[serde(default)]
    pub last_active_at: Option<i64>,
    #[serde(default)]
    pub created_at: Option<i64>,
    #[serde(default)]
    pub updated_at: Option<i64>,
    #[serde(default)]
    pub last_active_organization_id: Option<String>,
    #[serde(default)]
    pub last_active_token: Option<TokenResource>,
    #[serde(default)]
    pub actor: Option<Json>,
    #[serde(default)]
    pub user: Option<Json>,
    #[serde(default)]
    pub public_user_data: Option<Json>,
    /// Minutes since the first and second factor were verified; -1 when never.
    #[serde(default)]
    pub factor_verification_age: Option<[i64; 2]>,
    #[serde(default)]
    pub tasks: Option<Json>,
}

impl Session {
    pub fn is_signed_in(&self) -> bool {
        self.status == "active" || self.status == "pending"
    }

    pub fn user_id(&self) -> Option<&str> {
        self.user.as_ref().and_then(|u| str_field(u, "id"))
    }

    /// The user's membership in `organization_id`, when the session's user has one.
    pub fn membership(&self, organization_id: &str) -> Option<&Json> {
        memberships(self.user.as_ref()?).find(|m| {
            m.get("organization").and_then(|o| str_field(o, "id")) == Some(organization_id)
        })
    }

    /// The organization object of the session's active organization.
    pub fn active_organization(&self) -> Option<&Json> {
        let org_id = self.last_active_organization_id.as_deref()?;
        self.membership(org_id)?.get("organization")
    }
}

pub fn memberships(user: &Json) -> impl Iterator<Item = &Json> {
    user.get("organization_memberships")
        .and_then(Value::as_array)
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
}

/// Parses JSON text. Every decoding in the library goes through this one parser and then
/// `T::deserialize(&Value)`: one serde_json front-end instead of several keeps the wasm small.
pub fn parse_json(text: &str) -> serde_json::Result<Json> {
    serde_json::from_str(text)
}

pub fn str_field<'a>(value: &'a Json, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// `{response, client}`: what mutations answer. The piggy-backed client is the source of truth.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    #[serde(default)]
    pub response: Json,
    #[serde(default)]
    pub client: Option<Client>,
}

/// The client from `GET /v1/client`: `{response: client|null}` or, leniently, a bare client.
pub fn client_from_body(body: &Json) -> serde_json::Result<Option<Client>> {
    let inner = match body.get("response") {
        Some(r) => r,
        None if body.get("object").and_then(Value::as_str) == Some("client") => body,
        None => &Value::Null,
    };
    if inner.is_null() {
        return Ok(None);
    }
    Client::deserialize(inner).map(Some)
}

/// Decodes a body as each resource the core reads from the Frontend API (for fuzzing).
#[doc(hidden)]
pub fn decode_any(text: &str) -> Option<()> {
    let body = parse_json(text).ok()?;
    let _ = client_from_body(&body);
    let _ = Envelope::deserialize(&body);
    let _ = Session::deserialize(&body);
    Some(())
}
