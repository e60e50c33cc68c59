//! Frontend API resources as the server sends them (snake_case JSON, timestamps in ms).
//!
//! `Client` and `Session` are typed because the core reasons about them. Users, sign-ins,
//! sign-ups and organizations stay JSON objects with typed accessors for the few fields the
//! core needs: the JS layer exposes them whole, so fields the server adds reach the app
//! without a library release.

pub use super::json::Json;
use super::json::{DecodeError, Fields};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Client {
    pub id: String,
    pub sessions: Vec<Session>,
    pub last_active_session_id: Option<String>,
    pub last_authentication_strategy: Option<String>,
    pub sign_in: Option<Json>,
    pub sign_up: Option<Json>,
    pub cookie_expires_at: Option<i64>,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
    /// The object as the server sent it: what the object layer shows, with the fields above
    /// that the engine may change written over it (see `snapshot.rs`).
    pub raw: Json,
}

impl Client {
    pub fn from_json(value: &Json) -> Result<Client, DecodeError> {
        if !value.is_object() {
            return Err(DecodeError { field: "client", expected: "an object" });
        }
        let sessions = match value.get("sessions") {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Array(items)) => items.iter().map(Session::from_json).collect::<Result<_, _>>()?,
            Some(_) => return Err(DecodeError { field: "sessions", expected: "an array" }),
        };
        Ok(Client {
            id: value.optional_str("id")?.unwrap_or_default(),
            sessions,
            last_active_session_id: value.optional_str("last_active_session_id")?,
            last_authentication_strategy: value.optional_str("last_authentication_strategy")?,
            sign_in: value.optional_json("sign_in"),
            sign_up: value.optional_json("sign_up"),
            cookie_expires_at: value.optional_i64("cookie_expires_at")?,
            created_at: value.optional_i64("created_at")?,
            updated_at: value.optional_i64("updated_at")?,
            raw: value.clone(),
        })
    }

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

#[derive(Clone, Debug, PartialEq)]
pub struct TokenResource {
    pub jwt: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub id: String,
    pub status: String,
    pub expire_at: Option<i64>,
    pub abandon_at: Option<i64>,
    pub last_active_at: Option<i64>,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
    pub last_active_organization_id: Option<String>,
    pub last_active_token: Option<TokenResource>,
    pub actor: Option<Json>,
    pub user: Option<Json>,
    pub public_user_data: Option<Json>,
    /// Minutes since the first and second factor were verified; -1 when never.
    pub factor_verification_age: Option<[i64; 2]>,
    pub tasks: Option<Json>,
    /// The object as the server sent it (see [`Client::raw`]).
    pub raw: Json,
}

impl Session {
    pub fn from_json(value: &Json) -> Result<Session, DecodeError> {
        let token = match value.get("last_active_token") {
            None | Some(Json::Null) => None,
            Some(t) if t.is_object() => Some(TokenResource { jwt: t.optional_str("jwt")? }),
            Some(_) => return Err(DecodeError { field: "last_active_token", expected: "an object" }),
        };
        let age = match value.get("factor_verification_age") {
            None | Some(Json::Null) => None,
            Some(v) => match (v.at(0).and_then(Json::as_i64), v.at(1).and_then(Json::as_i64), v.at(2)) {
                (Some(first), Some(second), None) => Some([first, second]),
                _ => return Err(DecodeError { field: "factor_verification_age", expected: "two integers" }),
            },
        };
        Ok(Session {
            id: value.required_str("id")?,
            status: value.required_str("status")?,
            expire_at: value.optional_i64("expire_at")?,
            abandon_at: value.optional_i64("abandon_at")?,
            last_active_at: value.optional_i64("last_active_at")?,
            created_at: value.optional_i64("created_at")?,
            updated_at: value.optional_i64("updated_at")?,
            last_active_organization_id: value.optional_str("last_active_organization_id")?,
            last_active_token: token,
            actor: value.optional_json("actor"),
            user: value.optional_json("user"),
            public_user_data: value.optional_json("public_user_data"),
            factor_verification_age: age,
            tasks: value.optional_json("tasks"),
            raw: value.clone(),
        })
    }

    pub fn is_signed_in(&self) -> bool {
        self.status == "active" || self.status == "pending"
    }

    pub fn user_id(&self) -> Option<&str> {
        self.user.as_ref().and_then(|u| str_field(u, "id"))
    }

    /// The user's membership in `organization_id`, when the session's user has one.
    pub fn membership(&self, organization_id: &str) -> Option<&Json> {
        memberships(self.user.as_ref()?).find(|m| m.get("organization").and_then(|o| str_field(o, "id")) == Some(organization_id))
    }

    /// The organization object of the session's active organization.
    pub fn active_organization(&self) -> Option<&Json> {
        let org_id = self.last_active_organization_id.as_deref()?;
        self.membership(org_id)?.get("organization")
    }
}

pub fn memberships(user: &Json) -> impl Iterator<Item = &Json> {
    user.get("organization_memberships").and_then(Json::as_array).unwrap_or_default().iter()
}

pub fn str_field<'a>(value: &'a Json, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Json::as_str)
}

/// `{response, client}`: what mutations answer. The piggy-backed client is the source of truth.
#[derive(Debug)]
pub struct Envelope {
    pub response: Json,
    pub client: Option<Client>,
}

impl Envelope {
    pub fn from_json(body: Json) -> Result<Envelope, DecodeError> {
        let Json::Object(mut entries) = body else {
            return Err(DecodeError { field: "response", expected: "an object with `response` and `client`" });
        };
        // Owned: the response is handed on without a copy.
        let mut take = |key: &str| entries.iter().rposition(|(k, _)| k == key).map(|i| entries.swap_remove(i).1);
        let response = take("response").unwrap_or_default();
        let client = match take("client") {
            None | Some(Json::Null) => None,
            Some(client) => Some(Client::from_json(&client)?),
        };
        Ok(Envelope { response, client })
    }
}

/// The client from `GET /v1/client`: `{response: client|null}` or, leniently, a bare client.
pub fn client_from_body(body: &Json) -> Result<Option<Client>, DecodeError> {
    let inner = match body.get("response") {
        Some(r) => r,
        None if str_field(body, "object") == Some("client") => body,
        None => &Json::Null,
    };
    if inner.is_null() {
        return Ok(None);
    }
    Client::from_json(inner).map(Some)
}

/// Decodes a body as each resource the core reads from the Frontend API (for fuzzing).
#[doc(hidden)]
pub fn decode_any(text: &str) -> Option<()> {
    let body = Json::parse(text).ok()?;
    let _ = client_from_body(&body);
    let _ = Session::from_json(&body);
    let _ = Envelope::from_json(body);
    Some(())
}
