//! `Clerk`: the client state (loaded flag, client, active session, user, organization), the
//! operations that change it, and listener emission.
//!
//! Everything runs on one thread (the browser's): state lives in `RefCell`s that are never
//! borrowed while a listener runs or a step commands the next, so listeners may call back in.

use super::error::{ClerkError, Result, codes};
use super::fapi::{self, FrontendApi};
use super::flow::Flows;
use super::json::{DecodeError, object};
use super::listeners::Listeners;
use super::port::Port;
use super::refresh::RefreshSchedule;
use super::resources::{Client, Json, Session, str_field};
use super::state::State;
use super::sync::TabSync;
use super::tokens::{CachedToken, TokenCache, TokenKey};
use super::view::ObjectView;
use clerk_token::{InstanceType, PublishableKey};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Tokens are treated as expired this long before they really expire (at most 5 % of their
/// lifetime, so short-lived tokens still cache; see `tokens::CachedToken::leeway_ms`).
pub const DEFAULT_LEEWAY_SECS: u32 = 10;
pub(super) const DEFAULT_LEEWAY_MS: u64 = DEFAULT_LEEWAY_SECS as u64 * 1000;
/// The active token is refreshed this long (at most 2.5% of its lifetime) before its leeway
/// starts, so the new token is usually there before anyone asks; a caller who comes during
/// the refresh joins it rather than starting another request.
pub(super) const REFRESH_MARGIN_MS: u64 = 2_000;
/// clerk-js refuses a leeway of a whole default token lifetime: the cache would be useless.
pub(super) const MAX_LEEWAY_SECS: u32 = 60;

/// A resource that may be not known yet (`undefined` in JS), known to be absent (`null`) or set.
#[derive(Clone, Debug, PartialEq)]
pub enum Slot<T> {
    Undefined,
    Null,
    Value(T),
}

impl<T> Slot<T> {
    pub fn value(&self) -> Option<&T> {
        match self {
            Slot::Value(v) => Some(v),
            _ => None,
        }
    }
}

/// What listeners receive. Built in one place from the state, so a session always comes with
/// its own user and its own organization.
#[derive(Clone, Debug, PartialEq)]
pub struct Resources {
    pub client: Option<Rc<Client>>,
    pub session: Slot<Session>,
    pub user: Slot<Json>,
    pub organization: Slot<Json>,
}

/// `undefined` / `null` / an id, for the `session` and `organization` of `setActive`.
/// A listener's failure is reported and then ignored: it must not stop the others.
pub type Listener = Rc<dyn Fn(&Resources) -> std::result::Result<(), String>>;

#[derive(Clone, Debug, PartialEq)]
pub enum Selection {
    Keep,
    Clear,
    Id(String),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClerkOptions {
    /// Where to send Frontend API requests instead of `https://<key host>`; how an http
    /// server such as the local clerk-server is reached.
    pub proxy_url: Option<String>,
    /// The page's origin (`location.origin`), where there is a page. A Frontend API reached at
    /// that origin gets first-party cookies, so a development instance needs no dev browser there
    /// (see [`fapi::needs_dev_browser`]).
    pub page_origin: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GetTokenOptions {
    pub template: Option<String>,
    /// `Keep`: the session's active organization; `Clear`: the personal account.
    pub organization: Selection,
    pub leeway_secs: Option<u32>,
    pub skip_cache: bool,
    /// When false, a failure resolves to `None` instead of an error.
    pub throw_on_error: bool,
}

impl Default for GetTokenOptions {
    fn default() -> Self {
        GetTokenOptions { template: None, organization: Selection::Keep, leeway_secs: None, skip_cache: false, throw_on_error: true }
    }
}

/// The fields of one instance, grouped by concern; each group's rules live in its own module.
pub(crate) struct Instance {
    pub(super) identity: Identity,
    pub(super) fapi: FrontendApi,
    /// Where commands go, and the time of the current input.
    pub(super) port: Port,
    /// What every request, timer and multi-step call under way is for.
    pub(super) flows: RefCell<Flows>,
    /// Changed only through [`Clerk::apply`] (state.rs).
    pub(super) state: RefCell<State>,
    pub(super) listeners: Listeners,
    pub(super) tabs: TabSync,
    pub(super) refresh: RefreshSchedule,
    /// Bumped by every `setActive` and by a differing state from another tab; a call that sees
    /// another number was superseded.
    pub(super) set_active_generation: Cell<u64>,
    pub(super) tokens: Rc<TokenCache>,
    pub(super) view: ObjectView,
    pub(super) cookies: super::cookies::PageCookies,
    pub(super) disposed: Cell<bool>,
}

pub(super) struct Identity {
    pub(super) publishable_key: String,
    pub(super) key: PublishableKey,
    pub(super) proxy_url: Option<String>,
}

#[derive(Clone)]
pub struct Clerk(pub(crate) Rc<Instance>);

/// A reference that does not keep the instance alive (for the tab channel's handler).
pub struct WeakClerk(std::rc::Weak<Instance>);

impl WeakClerk {
    pub fn upgrade(&self) -> Option<Clerk> {
        self.0.upgrade().map(Clerk)
    }
}

impl Clerk {
    pub fn new(publishable_key: &str, options: ClerkOptions, port: Port, cookies: Rc<dyn super::cookies::CookieJar>) -> Result<Clerk> {
        let key = clerk_token::parse_publishable_key(publishable_key).map_err(|e| {
            ClerkError::new(codes::INVALID_PUBLISHABLE_KEY, "The publishable key is not valid")
                .with_long_message([&e.message(), ". Copy the key from your instance settings (pk_test_… or pk_live_…)."].concat())
        })?;
        // A relative proxyUrl (`/__clerk`) is on the page's own origin, as clerk-js resolves it.
        let proxy_url = options.proxy_url.map(|p| match (p.starts_with('/'), options.page_origin.as_deref()) {
            (true, Some(origin)) => [origin.trim_end_matches('/'), &p].concat(),
            _ => p,
        });
        let base_url = fapi::base_url(&key.frontend_api, proxy_url.as_deref())?;
        let uses_dev_browser = key.instance_type == InstanceType::Development
            && fapi::needs_dev_browser(&key.frontend_api, &base_url, options.page_origin.as_deref());
        let refresh = RefreshSchedule::new(port.now_ms());
        let fapi = FrontendApi::new(base_url, uses_dev_browser, port.clone());
        let clerk = Clerk(Rc::new(Instance {
            identity: Identity { publishable_key: publishable_key.to_owned(), key, proxy_url },
            fapi,
            port: port.clone(),
            flows: RefCell::default(),
            state: RefCell::default(),
            listeners: Listeners::default(),
            tabs: TabSync::new(port),
            refresh,
            set_active_generation: Cell::new(0),
            tokens: TokenCache::new(),
            view: ObjectView::default(),
            cookies: super::cookies::PageCookies::new(cookies, publishable_key),
            disposed: Cell::new(false),
        }));
        Ok(clerk)
    }

    pub fn downgrade(&self) -> WeakClerk {
        WeakClerk(Rc::downgrade(&self.0))
    }

    // ---- identity -------------------------------------------------------------------------

    pub fn publishable_key(&self) -> &str {
        &self.0.identity.publishable_key
    }

    pub fn frontend_api(&self) -> &str {
        &self.0.identity.key.frontend_api
    }

    pub fn instance_type(&self) -> InstanceType {
        self.0.identity.key.instance_type
    }

    pub fn proxy_url(&self) -> Option<&str> {
        self.0.identity.proxy_url.as_deref()
    }

    pub fn fapi_base_url(&self) -> &str {
        self.0.fapi.base_url()
    }

    pub fn dev_browser_token(&self) -> Option<String> {
        self.0.fapi.dev_browser_token()
    }

    pub fn now_ms(&self) -> u64 {
        self.0.port.now_ms()
    }

    /// `{publishable_key, frontend_api, proxy_url, instance_type, version}`.
    pub fn info(&self) -> Json {
        let instance_type = match self.instance_type() {
            InstanceType::Development => "development",
            InstanceType::Production => "production",
        };
        object([
            ("publishable_key", Json::String(self.0.identity.publishable_key.clone())),
            ("frontend_api", Json::String(self.0.identity.key.frontend_api.clone())),
            ("proxy_url", Json::string_or_null(self.proxy_url())),
            ("instance_type", Json::String(instance_type.into())),
            ("version", Json::String(env!("CARGO_PKG_VERSION").into())),
        ])
    }

    /// Stops everything this instance does: the background refresh and its timer, tab sync
    /// (the channel is closed), listeners; cached tokens are forgotten. Every later operation
    /// fails with `clerk_disposed`. Idempotent.
    pub fn dispose(&self) {
        if self.0.disposed.replace(true) {
            return;
        }
        self.cancel_refresh();
        self.abandon_flows();
        self.0.listeners.clear();
        self.0.view.stop();
        self.0.tokens.clear();
    }

    pub fn is_disposed(&self) -> bool {
        self.0.disposed.get()
    }

    // ---- state ------------------------------------------------------------------------------

    pub fn loaded(&self) -> bool {
        self.0.state.borrow().loaded
    }

    pub fn client(&self) -> Option<Rc<Client>> {
        self.0.state.borrow().client.clone()
    }

    pub fn environment(&self) -> Option<Rc<Json>> {
        self.0.state.borrow().environment.clone()
    }

    /// The current session, user and organization, exactly as listeners see them.
    pub fn resources(&self) -> Resources {
        let state = self.0.state.borrow();
        let client = state.client.clone();
        if !state.loaded || state.transitioning {
            return Resources { client, session: Slot::Undefined, user: Slot::Undefined, organization: Slot::Undefined };
        }
        let session = state.active_session_id.as_deref().and_then(|id| client.as_ref()?.signed_in_session(id).cloned());
        match session {
            None => Resources { client, session: Slot::Null, user: Slot::Null, organization: Slot::Null },
            Some(session) => {
                let user = session.user.clone().map_or(Slot::Null, Slot::Value);
                let organization = session.active_organization().cloned().map_or(Slot::Null, Slot::Value);
                Resources { client, session: Slot::Value(session), user, organization }
            }
        }
    }

    /// A signed-in session of the current client, by id.
    pub fn signed_in_session(&self, session_id: &str) -> Option<Session> {
        self.client()?.signed_in_session(session_id).cloned()
    }

    /// Any session of the current client, by id, whatever its status.
    pub fn session(&self, session_id: &str) -> Option<Session> {
        self.client()?.session(session_id).cloned()
    }

    /// A session of the current client or, once the client dropped it, as it last was.
    pub fn session_or_last_known(&self, session_id: &str) -> Option<Session> {
        self.session(session_id).or_else(|| self.0.view.forgotten_session(session_id))
    }

    // ---- listeners ----------------------------------------------------------------------------

    /// Registers `listener` and calls it at once with the current state. Returns its id for
    /// [`Clerk::remove_listener`].
    pub fn add_listener(&self, listener: Listener) -> u64 {
        self.0.listeners.add(listener, &self.resources())
    }

    pub fn remove_listener(&self, id: u64) {
        self.0.listeners.remove(id);
    }

    /// The latest errors thrown by listeners (they are otherwise swallowed), oldest first.
    pub fn take_listener_errors(&self) -> Vec<String> {
        self.0.listeners.take_errors()
    }

    /// After every change: the object layer is told, listeners hear of the new state unless it
    /// is what they saw last, the refresh follows the active token, and other tabs are told.
    pub(super) fn emit(&self) {
        self.0.view.changed();
        if self.0.listeners.notify(&self.resources(), false) {
            self.schedule_refresh();
            self.post_state();
        }
        self.sync_cookies();
    }

    /// Listeners hear the same state again (a forced token the server sent unchanged): nothing
    /// else follows, since nothing changed.
    pub(super) fn emit_again(&self) {
        self.0.listeners.notify(&self.resources(), true);
    }

    /// Tells the other tabs about this tab's settled state, once per change.
    fn post_state(&self) {
        if let Some(message) = self.state_message() {
            self.0.tabs.post_state(message);
        }
    }

    pub fn transitioning(&self) -> bool {
        self.0.state.borrow().transitioning
    }

    pub(crate) fn prime_token(&self, key: TokenKey, token: CachedToken) {
        if self.0.tokens.prime(key, token) {
            self.schedule_refresh();
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Emit {
    Now,
    /// The caller emits soon itself (setActive's steps).
    Later,
}

/// The organization id a session token is for: `o.id` (v2) or `org_id` (v1).
pub(super) fn organization_claim(claims: &super::tokens::TokenClaims) -> Option<String> {
    claims.organization_id.clone()
}

/// An organization of the session's user, by id (`org_…`) or slug.
pub(super) fn resolve_organization(session: &Session, id_or_slug: &str) -> Result<String> {
    let memberships = session.user.as_ref().map(super::resources::memberships);
    let found = memberships
        .into_iter()
        .flatten()
        .filter_map(|m| m.get("organization"))
        .find(|o| str_field(o, "id") == Some(id_or_slug) || str_field(o, "slug") == Some(id_or_slug));
    match found.and_then(|o| str_field(o, "id")) {
        Some(id) => Ok(id.to_owned()),
        None => Err(ClerkError::new(
            codes::ORGANIZATION_NOT_FOUND,
            ["The user of session ", &session.id, " is not a member of organization \"", id_or_slug, "\""].concat(),
        )),
    }
}

/// Ids and names that go into URL paths: refuse anything that could change the path.
pub(super) fn validate_path_segment(what: &str, value: &str) -> Result<()> {
    let ok = !value.is_empty() && value.len() <= 128 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok { Ok(()) } else { Err(ClerkError::invalid_argument([what, " \"", value, "\" is not valid"].concat())) }
}

/// A 2xx answer that is not the resource it should be.
pub(super) fn unexpected(error: DecodeError) -> ClerkError {
    ClerkError::unexpected_response(200, &error.message())
}
