//! `getToken`: the cache, shared requests, minting and checking what the server sent, and the
//! background refresh-ahead of the active token.

use super::clerk::*;
use super::error::{ClerkError, Result, codes};
use super::exchange::Outcome;
use super::fapi::{Request, Retry, Verb};
use super::flow::{Then, Waiter};
use super::json::Json;
use super::text::decimal;
use super::tokens::{CachedToken, Leeway, Lookup, Minted, TokenKey, cached_token};

impl Clerk {
    // ---- tokens -------------------------------------------------------------------------------

    /// A session token: from the cache when fresh (answered in this input), else from one
    /// request shared by every concurrent caller asking for the same session, template and
    /// organization. With `throw_on_error: false` a failure resolves to an empty string, as
    /// Clerk documents.
    pub(super) fn start_get_token(&self, call: u32, session_id: &str, options: &GetTokenOptions) {
        let (key, leeway) = match self.token_key(session_id, options) {
            Ok(found) => found,
            Err(error) => return self.answer_token(call, options.throw_on_error, Err(error)),
        };
        let waiter = Waiter::Call { call, throw_on_error: options.throw_on_error, forced: options.skip_cache };
        match self.0.tokens.lookup(&key, self.now_ms(), leeway, options.skip_cache) {
            // `token_key` checked the session in this very input.
            Lookup::Fresh(token) => {
                self.hand_out(&key, &token, options.skip_cache);
                self.answer_token(call, options.throw_on_error, Ok(token));
            }
            Lookup::InFlight(request) => {
                let mut flows = self.0.flows.borrow_mut();
                match flows.minting.get_mut(&request) {
                    Some(waiters) => waiters.push(waiter),
                    None => {
                        flows.minting.insert(request, vec![waiter]);
                    }
                }
            }
            Lookup::Miss => {
                let request = self.0.tokens.begin(key.clone());
                self.0.flows.borrow_mut().minting.insert(request, vec![waiter]);
                self.mint(key, request, options.skip_cache);
            }
        }
    }

    /// Settles `getToken()` call `call`: with `throw_on_error: false` a failure resolves to an
    /// empty string.
    fn answer_token(&self, call: u32, throw_on_error: bool, token: Result<CachedToken>) {
        match token {
            Ok(token) => self.0.port.settle_token(call, &token.jwt),
            Err(_) if !throw_on_error => self.settle(call, Ok(EMPTY_TOKEN.into())),
            Err(error) => self.settle(call, Err(error)),
        }
    }

    /// The cache key and leeway of a `getToken()`, once its arguments and session are checked.
    fn token_key(&self, session_id: &str, options: &GetTokenOptions) -> Result<(TokenKey, Leeway)> {
        self.require_loaded()?;
        let active_organization = self.require_signed_in(session_id)?;
        if let Some(leeway_secs) = options.leeway_secs.filter(|l| *l >= MAX_LEEWAY_SECS && options.template.is_none()) {
            return Err(ClerkError::invalid_argument(
                [
                    "leewayInSeconds must be under the token lifetime (",
                    &decimal(MAX_LEEWAY_SECS.into()),
                    " s), got ",
                    &decimal(leeway_secs.into()),
                ]
                .concat(),
            ));
        }
        let leeway = Leeway { requested_ms: options.leeway_secs.map(|l| u64::from(l) * 1000), default_ms: DEFAULT_LEEWAY_MS };
        if let Some(template) = &options.template {
            validate_path_segment("template", template)?;
        }
        let organization_id = match &options.organization {
            Selection::Keep => active_organization,
            Selection::Clear => None,
            Selection::Id(id) => Some(id.clone()),
        };
        Ok((TokenKey { session_id: session_id.to_owned(), template: options.template.clone(), organization_id }, leeway))
    }

    /// A token for `key` goes to a caller of a signed-in session: the active one shows it.
    fn hand_out(&self, key: &TokenKey, token: &CachedToken, forced: bool) {
        self.schedule_refresh();
        self.token_arrived(key, &token.jwt, forced);
    }

    /// Sends the cache's request `request` for `key`.
    pub(super) fn mint(&self, key: TokenKey, request: u64, skip_cache: bool) {
        let path = match &key.template {
            Some(template) => ["/client/sessions/", &key.session_id, "/tokens/", template].concat(),
            None => ["/client/sessions/", &key.session_id, "/tokens"].concat(),
        };
        // Template tokens too: the cache keys them by organization, so the server must be told
        // which one (clerk-js leaves it out and gets the session's active organization).
        let mut form = vec![("organization_id", key.organization_id.as_deref().unwrap_or_default())];
        if key.template.is_none()
            && let Some(tab_state) = self.0.port.tab_state()
        {
            form.push(("tab_state", tab_state));
        }
        // `skip_cache`: the caller asked for a fresh token, which clerk-js tells the server as
        // `?debug=skip_cache`.
        let query: &[(&str, &str)] = if skip_cache { &[("debug", "skip_cache")] } else { &[] };
        let http = Request::form(Verb::Post, path, &form, Retry::Idempotent).with_query(query);
        self.send(http, Then::Mint { key, request });
    }

    /// The cache's request `request` for `key` was answered: the cache keeps the token, and
    /// every caller that waited on the request hears of it.
    pub(super) fn minted(&self, key: TokenKey, request: u64, outcome: Outcome) {
        let token = outcome.and_then(|body| self.check_minted(&key, &body));
        self.0.tokens.settle(&key, request, &token);
        let waiters = self.0.flows.borrow_mut().minting.remove(&request).unwrap_or_default();
        for waiter in waiters {
            match waiter {
                Waiter::Call { call, throw_on_error, forced } => {
                    // The session may have ended while the request was under way.
                    let handed = token.clone().and_then(|token| {
                        self.require_signed_in(&key.session_id)?;
                        self.hand_out(&key, &token, forced);
                        Ok(token)
                    });
                    self.answer_token(call, throw_on_error, handed);
                }
                // A failure keeps the old token; the next getToken() after it expires asks the
                // server itself.
                Waiter::Refresh => {
                    if let Ok(token) = &token {
                        if self.signed_in_session(&key.session_id).is_none() {
                            self.0.tokens.clear_session(&key.session_id);
                        }
                        self.schedule_refresh();
                        self.token_arrived(&key, &token.jwt, false);
                    }
                }
            }
        }
    }

    /// A token for `key` was handed out. When it is the active session's default token, the
    /// session shows it (listeners hear of a new one) and the page's cookies follow, as after
    /// clerk-js's `TokenUpdate`, which every such `getToken()` emits, cached or not. A `forced`
    /// one (`skipCache`) is emitted even when the server sent the same token again (within the
    /// same second), as clerk-js emits it.
    pub(super) fn token_arrived(&self, key: &TokenKey, jwt: &std::rc::Rc<str>, forced: bool) {
        if key.template.is_some() || self.active_token_key().as_ref() != Some(key) {
            return;
        }
        let shown = {
            let state = self.0.state.borrow();
            let session = state.client.as_ref().and_then(|c| c.session(&key.session_id));
            session.and_then(|s| s.last_active_token.as_ref()?.jwt.as_deref()) == Some(&**jwt)
        };
        if shown {
            self.sync_cookies();
            if forced {
                self.emit_again();
            }
        } else {
            self.apply(super::state::Change::TokenMinted { session_id: key.session_id.clone(), jwt: jwt.clone() });
        }
    }

    /// The cache key of the token `getToken()` gives by default: the active session's, for
    /// its active organization.
    /// Read in place: it runs on every getToken() call, so no copy of the session and its user.
    pub(crate) fn active_token_key(&self) -> Option<TokenKey> {
        let state = self.0.state.borrow();
        if !state.loaded || state.transitioning {
            return None;
        }
        let session = state.client.as_ref()?.signed_in_session(state.active_session_id.as_deref()?)?;
        Some(TokenKey { session_id: session.id.clone(), template: None, organization_id: session.last_active_organization_id.clone() })
    }

    /// Checks the session can issue tokens and returns its active organization. Read in place:
    /// it runs twice on every getToken() call.
    fn require_signed_in(&self, session_id: &str) -> Result<Option<String>> {
        let organization = {
            let state = self.0.state.borrow();
            state.client.as_ref().and_then(|c| c.signed_in_session(session_id)).map(|s| s.last_active_organization_id.clone())
        };
        organization.ok_or_else(|| {
            let status = self.session(session_id).map(|s| s.status);
            ClerkError::new(codes::SESSION_NOT_ACTIVE, "The session is not active").with_long_message(match status {
                Some(status) => ["Session ", session_id, " is ", &status, "; it can no longer issue tokens."].concat(),
                None => ["Session ", session_id, " does not belong to this client."].concat(),
            })
        })
    }

    /// Checks a token answer is for the session and organization asked for, and tells the
    /// other tabs of it.
    fn check_minted(&self, key: &TokenKey, body: &Json) -> Result<CachedToken> {
        // A bare `{object: "token", jwt}`; tolerate the `{response: …}` envelope too.
        let jwt = body
            .get("jwt")
            .or_else(|| body.get("response").and_then(|r| r.get("jwt")))
            .and_then(Json::as_str)
            .ok_or_else(|| ClerkError::unexpected_response(200, "the token response has no jwt"))?;
        let (token, claims) = cached_token(jwt, self.now_ms(), Minted::JustNow)?;
        if claims.sid.as_deref().is_some_and(|sid| sid != key.session_id) {
            return Err(ClerkError::unexpected_response(200, "the server sent a token for another session"));
        }
        if key.template.is_none() && organization_claim(&claims) != key.organization_id {
            return Err(ClerkError::unexpected_response(200, "the server sent a token for another organization"));
        }
        if let Some(message) = Self::token_message(key, jwt) {
            self.0.port.post(&message);
        }
        Ok(token)
    }
}

/// What `getToken()` answers with `throwOnError: false` when it failed: `""`, as JSON.
const EMPTY_TOKEN: &str = "\"\"";
