//! The session-token cache.
//!
//! Entries are keyed by (session, template, organization), so a token can never be handed to
//! another session or organization, whatever happens meanwhile. An entry is either a token
//! with its local expiry or one shared in-flight request: concurrent callers with the same
//! key await the same request. Expiry is measured from the moment the token arrived plus its
//! own lifetime (`exp - iat`), which keeps the cache right when the browser's clock is off.

use super::error::{ClerkError, Result};
use super::json::{DecodeError, Fields, Json};
use super::small_map::SmallMap;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenKey {
    pub session_id: String,
    pub template: Option<String>,
    pub organization_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CachedToken {
    pub jwt: Rc<str>,
    /// Local time (ms) at which the token stops being valid.
    pub expires_at_ms: u64,
    /// Its whole lifetime (`exp - iat`), which bounds the default leeway.
    pub lifetime_ms: u64,
}

impl CachedToken {
    /// How long before expiry the token is treated as expired: the caller's leeway, or by
    /// default `default_ms` but at most 5% of the lifetime, so a token is used for nearly all
    /// of its life and short-lived ones (seconds) are still served from the cache.
    pub fn leeway_ms(&self, requested_ms: Option<u64>, default_ms: u64) -> u64 {
        requested_ms.unwrap_or(default_ms.min(self.lifetime_ms / 20))
    }

    fn is_fresh(&self, now_ms: u64, leeway: Leeway) -> bool {
        self.expires_at_ms > now_ms + self.leeway_ms(leeway.requested_ms, leeway.default_ms)
    }
}

/// The leeway asked for (`leewayInSeconds`), or the default applied per token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leeway {
    pub requested_ms: Option<u64>,
    pub default_ms: u64,
}

/// What a `getToken()` finds in the cache ([`TokenCache::lookup`]).
pub enum Lookup {
    Fresh(CachedToken),
    /// The number of the request under way to wait on.
    InFlight(u64),
    Miss,
}

enum Entry {
    Ready(CachedToken),
    /// Request `request_id` is under way; its callers wait in [`super::flow::Flows::minting`].
    InFlight {
        request_id: u64,
    },
    /// A background refresh is under way; `token` serves callers while it is still fresh,
    /// later callers join the refresh instead of starting another request.
    Refreshing {
        token: CachedToken,
        request_id: u64,
    },
}

#[derive(Default)]
pub struct TokenCache {
    entries: RefCell<SmallMap<TokenKey, Entry>>,
    next_request_id: Cell<u64>,
}

impl TokenCache {
    pub fn new() -> Rc<Self> {
        Rc::new(Self::default())
    }

    /// A token still valid for more than its leeway at `now_ms`, without any request.
    pub fn fresh(&self, key: &TokenKey, now_ms: u64, leeway: Leeway) -> Option<CachedToken> {
        match self.entries.borrow().get(key) {
            Some(Entry::Ready(token) | Entry::Refreshing { token, .. }) if token.is_fresh(now_ms, leeway) => Some(token.clone()),
            _ => None,
        }
    }

    /// The cached token under `key`, fresh or not, unless a request for it is under way.
    pub fn ready(&self, key: &TokenKey) -> Option<CachedToken> {
        match self.entries.borrow().get(key) {
            Some(Entry::Ready(token)) => Some(token.clone()),
            _ => None,
        }
    }

    /// The newest token under `key`, also while a background refresh of it is under way.
    pub fn latest(&self, key: &TokenKey) -> Option<CachedToken> {
        match self.entries.borrow().get(key) {
            Some(Entry::Ready(token) | Entry::Refreshing { token, .. }) => Some(token.clone()),
            _ => None,
        }
    }

    fn next_request_id(&self) -> u64 {
        let id = self.next_request_id.get() + 1;
        self.next_request_id.set(id);
        id
    }

    /// What a `getToken()` for `key` finds: a fresh token, a request to wait on, or nothing
    /// (it starts a request with [`Self::begin`]). `skip_cache` always finds nothing.
    pub fn lookup(&self, key: &TokenKey, now_ms: u64, leeway: Leeway, skip_cache: bool) -> Lookup {
        if skip_cache {
            return Lookup::Miss;
        }
        match self.entries.borrow().get(key) {
            Some(Entry::Ready(token) | Entry::Refreshing { token, .. }) if token.is_fresh(now_ms, leeway) => Lookup::Fresh(token.clone()),
            Some(Entry::InFlight { request_id } | Entry::Refreshing { request_id, .. }) => Lookup::InFlight(*request_id),
            _ => Lookup::Miss,
        }
    }

    /// A request for `key` starts; its number names it to [`Self::settle`]. It replaces any
    /// entry (a `skipCache` call replaces a fresh token).
    pub fn begin(&self, key: TokenKey) -> u64 {
        let request_id = self.next_request_id();
        self.entries.borrow_mut().insert(key, Entry::InFlight { request_id });
        request_id
    }

    /// Starts a background refresh of the cached token under `key`: the token keeps serving
    /// callers while it is fresh, and later callers wait on the refresh. `None` when there is no
    /// cached token (or a request is already under way).
    pub fn begin_refresh(&self, key: &TokenKey) -> Option<u64> {
        let token = self.ready(key)?;
        let request_id = self.next_request_id();
        self.entries.borrow_mut().insert(key.clone(), Entry::Refreshing { token, request_id });
        Some(request_id)
    }

    /// Records a request's outcome, unless the entry was dropped or replaced while it ran.
    /// A failed refresh puts back the token it was refreshing.
    pub fn settle(&self, key: &TokenKey, request_id: u64, outcome: &Result<CachedToken>) {
        let mut entries = self.entries.borrow_mut();
        let previous = match entries.get(key) {
            Some(Entry::InFlight { request_id: id, .. }) if *id == request_id => None,
            Some(Entry::Refreshing { request_id: id, token, .. }) if *id == request_id => Some(token.clone()),
            _ => return,
        };
        match outcome.as_ref().ok().cloned().or(previous) {
            Some(token) => {
                entries.insert(key.clone(), Entry::Ready(token));
            }
            None => {
                entries.remove(key);
            }
        }
    }

    /// Puts a token that arrived by other means (a session's `last_active_token`, another tab)
    /// in the cache, unless a longer-lived one is already there. Returns whether it was kept.
    pub fn prime(&self, key: TokenKey, token: CachedToken) -> bool {
        let mut entries = self.entries.borrow_mut();
        match entries.get(&key) {
            Some(Entry::Ready(existing)) if existing.expires_at_ms >= token.expires_at_ms => false,
            Some(Entry::InFlight { .. } | Entry::Refreshing { .. }) => false,
            _ => {
                entries.insert(key, Entry::Ready(token));
                true
            }
        }
    }

    /// Forgets every token of a session (it ended, was removed or revoked).
    pub fn clear_session(&self, session_id: &str) {
        self.entries.borrow_mut().retain(|k, _| k.session_id != session_id);
    }

    pub fn clear(&self) {
        self.entries.borrow_mut().clear();
    }
}

/// How much is known about when a token was minted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Minted {
    /// It is the answer to our own request: it lives `exp - iat` (less the second `iat` rounds off) from now, whatever our clock says.
    JustNow,
    /// It came along with a resource (`last_active_token`) and may be old: also bound it by
    /// `exp` on the local clock, so an old token is never taken for a fresh one.
    AtSomePoint,
}

/// The claims the cache needs: the token's times, its session and organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenClaims {
    pub exp: i64,
    pub iat: i64,
    pub sid: Option<String>,
    /// `o.id` (v2 tokens) or `org_id` (v1).
    pub organization_id: Option<String>,
}

impl TokenClaims {
    fn from_json(payload: &Json) -> Result<TokenClaims, DecodeError> {
        let v2_org = match payload.get("o") {
            None | Some(Json::Null) => None,
            Some(o) => Some(o.required_str("id").map_err(|_| DecodeError { field: "o", expected: "an object with an id" })?),
        };
        Ok(TokenClaims {
            exp: payload.optional_i64("exp")?.ok_or(DecodeError { field: "exp", expected: "an integer" })?,
            iat: payload.optional_i64("iat")?.unwrap_or(0),
            sid: payload.optional_str("sid")?,
            organization_id: match v2_org {
                Some(id) => Some(id),
                None => payload.optional_str("org_id")?,
            },
        })
    }
}

/// Turns a JWT into a cache entry, with its lifetime from its own `exp - iat`, less a second.
pub fn cached_token(jwt: &str, received_at_ms: u64, minted: Minted) -> Result<(CachedToken, TokenClaims)> {
    let undecodable = |why: String| ClerkError::unexpected_response(200, &["the session token could not be decoded: ", &why].concat());
    let payload = clerk_token::payload_json(jwt).map_err(|e| undecodable(e.message()))?;
    let value = Json::parse(&payload).map_err(|e| undecodable(e.message()))?;
    let claims = TokenClaims::from_json(&value).map_err(|e| undecodable(e.message()))?;
    // `iat` is whole seconds, rounded down from the moment of minting: the token may have been
    // minted up to a second later than `iat` says, so a second less is all that is certain.
    let lifetime_ms = claims.exp.saturating_sub(claims.iat).saturating_sub(1).clamp(0, i64::MAX / 1000) as u64 * 1000;
    let mut expires_at_ms = received_at_ms.saturating_add(lifetime_ms);
    if minted == Minted::AtSomePoint {
        expires_at_ms = expires_at_ms.min((claims.exp.clamp(0, i64::MAX / 1000) as u64) * 1000);
    }
    Ok((CachedToken { jwt: Rc::from(jwt), expires_at_ms, lifetime_ms }, claims))
}
