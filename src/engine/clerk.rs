//! `Clerk`: the client state (loaded flag, client, active session, user, organization), the
//! operations that change it, and listener emission.
//!
//! Everything runs on one thread (the browser's): state lives in `RefCell`s that are never
//! borrowed across an `.await` or while a listener runs, so listeners may call back in.

use super::authz::{AuthorizationParams, check_authorization};
use super::error::{ClerkError, Result, codes};
use super::fapi::{self, Fapi, Retry, Verb};
use super::platform::{Broadcast, Clock, Spawner, Storage, Transport};
use super::resources::{Client, Json, Session, client_from_body, str_field};
use super::tokens::{CachedToken, Leeway, Minted, TokenCache, TokenKey, cached_token};
use clerk_token::{InstanceType, PublishableKey};
use futures::FutureExt;
use futures::future::LocalBoxFuture;
use super::json::{DecodeError, object};
use super::task::{TaskHandle, cancellable};
use super::text::decimal;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Tokens are treated as expired this long before they really expire (at most 5 % of their
/// lifetime, so short-lived tokens still cache; see `tokens::CachedToken::leeway_ms`).
pub const DEFAULT_LEEWAY_SECS: u32 = 10;
const DEFAULT_LEEWAY_MS: u64 = DEFAULT_LEEWAY_SECS as u64 * 1000;
/// The active token is refreshed this long (at most 2.5% of its lifetime) before its leeway
/// starts, so the new token is usually there before anyone asks; a caller who comes during
/// the refresh joins it rather than starting another request.
const REFRESH_MARGIN_MS: u64 = 2_000;
/// Listener errors kept for inspection; older ones are dropped.
const MAX_KEPT_LISTENER_ERRORS: usize = 16;
/// clerk-js refuses a leeway of a whole default token lifetime: the cache would be useless.
const MAX_LEEWAY_SECS: u32 = 60;

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

/// A listener's failure is reported and then ignored: it must not stop the others.
pub type Listener = Rc<dyn Fn(&Resources) -> std::result::Result<(), String>>;
/// Runs between the "session is undefined" and the "new session is set" emissions.
pub type BeforeEmit = Box<dyn FnOnce(Option<Session>) -> LocalBoxFuture<'static, Result<()>>>;

/// `undefined` / `null` / an id, for the `session` and `organization` of `setActive`.
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
        GetTokenOptions {
            template: None,
            organization: Selection::Keep,
            leeway_secs: None,
            skip_cache: false,
            throw_on_error: true,
        }
    }
}

pub struct Platform {
    pub transport: Rc<dyn Transport>,
    pub clock: Rc<dyn Clock>,
    pub storage: Rc<dyn Storage>,
    pub spawner: Rc<dyn Spawner>,
    pub broadcast: Rc<dyn Broadcast>,
}

#[derive(Default)]
struct State {
    loaded: bool,
    client: Option<Rc<Client>>,
    environment: Option<Rc<Json>>,
    active_session_id: Option<String>,
    /// Between the first and last step of `setActive`: session, user and organization read
    /// as `undefined`.
    transitioning: bool,
}

pub(crate) struct Inner {
    publishable_key: String,
    key: PublishableKey,
    proxy_url: Option<String>,
    fapi: Fapi,
    clock: Rc<dyn Clock>,
    spawner: Rc<dyn Spawner>,
    broadcast: Rc<dyn Broadcast>,
    /// The last state this tab posted or received, so the same state is not posted back.
    last_tab_state: RefCell<Option<String>>,
    /// While the client is reloaded to learn a session another tab signed in: the newest
    /// state to apply once it is known (later messages replace it; there is one reload).
    pub(crate) awaiting_reload: RefCell<Option<String>>,
    /// Spreads the refresh of tabs sharing a token, so one refreshes and the others receive it.
    refresh_jitter_seed: u64,
    tokens: Rc<TokenCache>,
    /// The token the background refresh is set up for: (key, local time it fires).
    refresh_target: RefCell<Option<(TokenKey, u64)>>,
    state: RefCell<State>,
    listeners: RefCell<Vec<(u64, Listener)>>,
    next_listener_id: Cell<u64>,
    last_emitted: RefCell<Option<Resources>>,
    /// Bumped by every `setActive`; a call that sees another number was superseded.
    set_active_generation: Cell<u64>,
    /// Sessions the client no longer lists, as they last were (held JS objects read them).
    forgotten_sessions: RefCell<super::small_map::SmallMap<String, Session>>,
    /// Bumped every time a client is installed; lets adapters cache objects per client version.
    client_version: Cell<u64>,
    listener_errors: RefCell<Vec<String>>,
    /// Sign-in and sign-up answers by attempt id, newest last (at most [`MAX_KEPT_ATTEMPTS`]):
    /// what an attempt object shows once the client has moved on to another attempt.
    attempts: RefCell<Vec<(String, Json)>>,
    /// Bumped on every change the object layer can see; it re-reads the snapshot then.
    state_version: Cell<u64>,
    /// Told (without arguments) that the state changed: the object layer's invalidation.
    on_change: RefCell<Option<Rc<dyn Fn()>>>,
    /// The single background refresh; replacing or dropping it cancels the task and its timer.
    refresh_task: RefCell<Option<TaskHandle>>,
    disposed: Cell<bool>,
}

/// Sign-in and sign-up answers kept for attempt objects the app still holds.
const MAX_KEPT_ATTEMPTS: usize = 8;
/// Sessions the client dropped, kept for `Session` objects the app still holds.
const MAX_KEPT_SESSIONS: usize = 16;

#[derive(Clone)]
pub struct Clerk(pub(crate) Rc<Inner>);

/// A reference that does not keep the instance alive (for the tab channel's handler).
pub struct WeakClerk(std::rc::Weak<Inner>);

impl WeakClerk {
    pub fn upgrade(&self) -> Option<Clerk> {
        self.0.upgrade().map(Clerk)
    }
}

impl Clerk {
    pub fn new(publishable_key: &str, options: ClerkOptions, platform: Platform) -> Result<Clerk> {
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
        let refresh_jitter_seed = platform.clock.now_ms().wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 17;
        let fapi = Fapi::new(base_url, uses_dev_browser, platform.transport, platform.clock.clone(), platform.storage);
        Ok(Clerk(Rc::new(Inner {
            publishable_key: publishable_key.to_owned(),
            key,
            proxy_url,
            fapi,
            clock: platform.clock,
            spawner: platform.spawner,
            broadcast: platform.broadcast,
            last_tab_state: RefCell::default(),
            awaiting_reload: RefCell::default(),
            refresh_jitter_seed,
            tokens: TokenCache::new(),
            refresh_target: RefCell::default(),
            state: RefCell::default(),
            listeners: RefCell::default(),
            next_listener_id: Cell::new(0),
            last_emitted: RefCell::default(),
            set_active_generation: Cell::new(0),
            client_version: Cell::new(0),
            forgotten_sessions: RefCell::default(),
            listener_errors: RefCell::default(),
            attempts: RefCell::default(),
            state_version: Cell::new(0),
            on_change: RefCell::default(),
            refresh_task: RefCell::default(),
            disposed: Cell::new(false),
        })))
    }

    pub fn downgrade(&self) -> WeakClerk {
        WeakClerk(Rc::downgrade(&self.0))
    }

    // ---- identity -------------------------------------------------------------------------

    pub fn publishable_key(&self) -> &str {
        &self.0.publishable_key
    }

    pub fn frontend_api(&self) -> &str {
        &self.0.key.frontend_api
    }

    pub fn instance_type(&self) -> InstanceType {
        self.0.key.instance_type
    }

    pub fn proxy_url(&self) -> Option<&str> {
        self.0.proxy_url.as_deref()
    }

    pub fn fapi_base_url(&self) -> &str {
        self.0.fapi.base_url()
    }

    pub fn dev_browser_token(&self) -> Option<String> {
        self.0.fapi.dev_browser_token()
    }

    pub fn now_ms(&self) -> u64 {
        self.0.clock.now_ms()
    }

    /// `{publishable_key, frontend_api, proxy_url, instance_type, version}`.
    pub fn info(&self) -> Json {
        let instance_type = match self.instance_type() {
            InstanceType::Development => "development",
            InstanceType::Production => "production",
        };
        object([
            ("publishable_key", Json::String(self.0.publishable_key.clone())),
            ("frontend_api", Json::String(self.0.key.frontend_api.clone())),
            ("proxy_url", Json::string_or_null(self.proxy_url())),
            ("instance_type", Json::String(instance_type.into())),
            ("version", Json::String(env!("CARGO_PKG_VERSION").into())),
        ])
    }

    // ---- the object layer's view --------------------------------------------------------------

    /// Calls `on_change` after every change of what [`Clerk::snapshot`] shows.
    pub fn set_on_change(&self, on_change: Rc<dyn Fn()>) {
        *self.0.on_change.borrow_mut() = Some(on_change);
    }

    /// Changes whenever anything the snapshot shows may have changed.
    pub fn state_version(&self) -> u64 {
        self.0.state_version.get()
    }

    fn changed(&self) {
        self.0.state_version.set(self.0.state_version.get() + 1);
        let on_change = self.0.on_change.borrow().clone();
        if let Some(on_change) = on_change {
            on_change();
        }
    }

    /// Sessions the client no longer lists, as they last were.
    pub fn known_sessions(&self) -> Vec<Session> {
        self.0.forgotten_sessions.borrow().values().cloned().collect()
    }

    fn forget_session(&self, session: Session) {
        let mut forgotten = self.0.forgotten_sessions.borrow_mut();
        if forgotten.len() >= MAX_KEPT_SESSIONS {
            forgotten.remove_oldest();
        }
        forgotten.insert(session.id.clone(), session);
    }

    /// Every attempt answer kept, each as it is now: the client's own while it is the same
    /// attempt, else the last answer about it.
    pub fn attempts(&self) -> Vec<(String, Json)> {
        let client = self.client();
        let live = |id: &str| {
            let client = client.as_deref()?;
            [client.sign_in.as_ref(), client.sign_up.as_ref()].into_iter().flatten().find(|a| str_field(a, "id") == Some(id)).cloned()
        };
        self.0.attempts.borrow().iter().map(|(id, answer)| (id.clone(), live(id).unwrap_or_else(|| answer.clone()))).collect()
    }

    fn keep_attempt(&self, answer: &Json) {
        let Some(id) = str_field(answer, "id") else { return };
        let mut attempts = self.0.attempts.borrow_mut();
        attempts.retain(|(kept, _)| kept != id);
        if attempts.len() == MAX_KEPT_ATTEMPTS {
            attempts.remove(0);
        }
        attempts.push((id.to_owned(), answer.clone()));
    }

    /// Stops everything this instance does: the background refresh and its timer, tab sync
    /// (the channel is closed), listeners; cached tokens are forgotten. Every later operation
    /// fails with `clerk_disposed`. Idempotent.
    pub fn dispose(&self) {
        if self.0.disposed.replace(true) {
            return;
        }
        self.0.refresh_task.borrow_mut().take();
        self.0.refresh_target.borrow_mut().take();
        self.0.listeners.borrow_mut().clear();
        self.0.on_change.borrow_mut().take();
        self.0.tokens.clear();
        self.0.broadcast.close();
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

    /// Changes whenever the client (and so any session in it) changes.
    pub fn client_version(&self) -> u64 {
        self.0.client_version.get()
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
        let session = state
            .active_session_id
            .as_deref()
            .and_then(|id| client.as_ref()?.signed_in_session(id).cloned());
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
        self.session(session_id).or_else(|| self.0.forgotten_sessions.borrow().get(session_id).cloned())
    }

    // ---- listeners ----------------------------------------------------------------------------

    /// Registers `listener` and calls it at once with the current state. Returns its id for
    /// [`Clerk::remove_listener`].
    pub fn add_listener(&self, listener: Listener) -> u64 {
        let id = self.0.next_listener_id.get() + 1;
        self.0.next_listener_id.set(id);
        self.0.listeners.borrow_mut().push((id, listener.clone()));
        let resources = self.resources();
        self.call_listener(&listener, &resources);
        id
    }

    pub fn remove_listener(&self, id: u64) {
        self.0.listeners.borrow_mut().retain(|(i, _)| *i != id);
    }

    /// The latest errors thrown by listeners (they are otherwise swallowed), oldest first.
    pub fn take_listener_errors(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.listener_errors.borrow_mut())
    }

    fn call_listener(&self, listener: &Listener, resources: &Resources) {
        if let Err(e) = listener(resources) {
            let mut errors = self.0.listener_errors.borrow_mut();
            if errors.len() == MAX_KEPT_LISTENER_ERRORS {
                errors.remove(0);
            }
            errors.push(e);
        }
    }

    /// Tells listeners about the current state, unless it is what they saw last.
    fn emit(&self) {
        self.changed();
        let resources = self.resources();
        {
            let mut last = self.0.last_emitted.borrow_mut();
            if last.as_ref() == Some(&resources) {
                return;
            }
            *last = Some(resources.clone());
        }
        // A copy: listeners may add or remove listeners while being called.
        let listeners: Vec<Listener> = self.0.listeners.borrow().iter().map(|(_, l)| l.clone()).collect();
        for listener in &listeners {
            self.call_listener(listener, &resources);
        }
        self.schedule_refresh();
        self.post_state();
    }

    /// Tells the other tabs about this tab's settled state, once per change.
    fn post_state(&self) {
        let Some(message) = self.state_message() else { return };
        let mut last = self.0.last_tab_state.borrow_mut();
        if last.as_deref() != Some(message.as_str()) {
            self.0.broadcast.post(&message);
            *last = Some(message);
        }
    }

    pub(crate) fn transitioning(&self) -> bool {
        self.0.state.borrow().transitioning
    }

    pub(crate) fn spawn(&self, task: impl std::future::Future<Output = ()> + 'static) {
        self.0.spawner.spawn(task.boxed_local());
    }

    pub(crate) fn prime_token(&self, key: TokenKey, token: CachedToken) {
        if self.0.tokens.prime(key, token) {
            self.schedule_refresh();
        }
    }

    /// Whether `message` is the state this tab last posted or received: an echo, which changes
    /// nothing and must not supersede a `setActive` under way.
    pub(crate) fn is_echo(&self, message: &str) -> bool {
        self.0.last_tab_state.borrow().as_deref() == Some(message)
    }

    /// Installs a state another tab posted that differs from this tab's: it supersedes a
    /// `setActive` under way here.
    pub(crate) fn apply_remote_state(&self, message: &str, client: Client, active: Option<String>) {
        self.0.set_active_generation.set(self.0.set_active_generation.get() + 1);
        *self.0.last_tab_state.borrow_mut() = Some(message.to_owned());
        {
            let mut state = self.0.state.borrow_mut();
            state.active_session_id = active;
            state.transitioning = false;
        }
        self.replace_client(client);
    }

    // ---- loading and the client ---------------------------------------------------------------

    /// Fetches the environment and the client, then picks the client's last active session.
    pub async fn load(&self) -> Result<()> {
        self.require_live()?;
        self.0.fapi.ensure_dev_browser().await?;
        let environment_verb = match self.instance_type() {
            // Development instances "touch" the environment, as clerk-js does.
            InstanceType::Development => Verb::Patch,
            InstanceType::Production => Verb::Get,
        };
        let environment_retry = if environment_verb == Verb::Get { Retry::Idempotent } else { Retry::Once };
        let (environment, client) = futures::join!(
            self.0.fapi.request(environment_verb, "/environment", &[], environment_retry),
            self.0.fapi.request(Verb::Get, "/client", &[], Retry::Idempotent),
        );
        let environment = environment?;
        let client = client_from_body(&client?).map_err(unexpected)?;
        {
            let mut state = self.0.state.borrow_mut();
            state.environment = Some(Rc::new(environment));
            state.active_session_id = client
                .as_ref()
                .and_then(|c| c.last_active_session_id.as_deref().and_then(|id| c.signed_in_session(id)))
                .map(|s| s.id.clone());
            state.loaded = true;
        }
        self.replace_client(client.unwrap_or_default());
        Ok(())
    }

    /// Installs a newer client: primes the token cache from the sessions' last tokens, forgets
    /// tokens of sessions that are no longer signed in, and emits.
    pub(crate) fn replace_client(&self, client: Client) {
        self.install_client(client);
        self.emit();
    }

    fn install_client(&self, client: Client) {
        let now = self.now_ms();
        let previous = self.client();
        for session in client.sessions.iter().filter(|s| s.is_signed_in()) {
            let Some(jwt) = session.last_active_token.as_ref().and_then(|t| t.jwt.as_deref()) else { continue };
            let Ok((token, claims)) = cached_token(jwt, now, Minted::AtSomePoint) else { continue };
            if claims.sid.as_deref() != Some(&session.id) {
                continue;
            }
            let key = TokenKey { session_id: session.id.clone(), template: None, organization_id: organization_claim(&claims) };
            if self.0.tokens.prime(key.clone(), token)
                && let Some(message) = Self::token_message(&key, jwt)
            {
                self.0.broadcast.post(&message); // other tabs need not ask for it
            }
        }
        if let Some(previous) = previous {
            for old in previous.sessions.iter() {
                if client.signed_in_session(&old.id).is_none() {
                    self.0.tokens.clear_session(&old.id);
                }
                if client.session(&old.id).is_none() {
                    self.forget_session(old.clone());
                }
            }
        }
        {
            let mut state = self.0.state.borrow_mut();
            let still_signed_in = state.active_session_id.as_deref().is_some_and(|id| client.signed_in_session(id).is_some());
            if !still_signed_in {
                state.active_session_id = None;
            }
            state.client = Some(Rc::new(client));
        }
        self.0.client_version.set(self.0.client_version.get() + 1);
    }

    /// Applies the `client` piggy-backed on a mutation's answer, and returns its `response`.
    fn absorb(&self, body: Json, emit: Emit) -> Result<Json> {
        let envelope = super::resources::Envelope::from_json(body).map_err(unexpected)?;
        if let Some(client) = envelope.client {
            self.install_client(client);
            if emit == Emit::Now {
                self.emit();
            }
        }
        Ok(envelope.response)
    }

    fn require_live(&self) -> Result<()> {
        if self.is_disposed() {
            return Err(ClerkError::new(codes::DISPOSED, "This Clerk instance was disposed")
                .with_long_message("dispose() stopped it for good; create a new Clerk instance."));
        }
        Ok(())
    }

    fn require_loaded(&self) -> Result<()> {
        self.require_live()?;
        if self.loaded() {
            Ok(())
        } else {
            Err(ClerkError::new(codes::NOT_LOADED, "Clerk is not loaded yet")
                .with_long_message("Call and await clerk.load() before using the client."))
        }
    }

    /// Fetches the client again from the server.
    pub async fn client_reload(&self) -> Result<()> {
        self.client_request(Verb::Get, Retry::Idempotent).await
    }

    /// Creates a new client on the server (PUT /client).
    pub async fn client_create(&self) -> Result<()> {
        self.client_request(Verb::Put, Retry::Once).await
    }

    /// `/client`, answered with the client (or `null`), which replaces ours.
    async fn client_request(&self, verb: Verb, retry: Retry) -> Result<()> {
        self.require_loaded()?;
        let body = self.0.fapi.request(verb, "/client", &[], retry).await?;
        let client = client_from_body(&body).map_err(unexpected)?;
        self.replace_client(client.unwrap_or_default());
        Ok(())
    }

    /// Destroys the client on the server: every session is signed out, every token forgotten.
    pub async fn client_destroy(&self) -> Result<()> {
        self.require_loaded()?;
        self.0.fapi.request(Verb::Delete, "/client", &[], Retry::Once).await?;
        self.0.tokens.clear();
        self.0.state.borrow_mut().active_session_id = None;
        self.replace_client(Client::default());
        Ok(())
    }

    /// Removes every session of the client.
    pub async fn client_remove_sessions(&self) -> Result<()> {
        self.require_loaded()?;
        let body = self.0.fapi.request(Verb::Delete, "/client/sessions", &[], Retry::Once).await?;
        let response = self.absorb(body, Emit::Now)?;
        // Some servers answer with the client as the response itself.
        if response.get("object").and_then(Json::as_str) == Some("client") {
            let client = Client::from_json(&response).map_err(unexpected)?;
            self.replace_client(client);
        }
        Ok(())
    }

    /// Forgets every cached token.
    pub fn clear_cache(&self) {
        self.0.tokens.clear();
    }

    fn edit_client(&self, edit: impl FnOnce(&mut Client)) {
        let Some(client) = self.client() else { return };
        let mut client = (*client).clone();
        edit(&mut client);
        self.replace_client(client);
    }

    pub fn reset_sign_in(&self) {
        self.edit_client(|c| c.sign_in = None);
    }

    pub fn reset_sign_up(&self) {
        self.edit_client(|c| c.sign_up = None);
    }

    /// True when the client cookie expires within 8 days, as clerk-js decides.
    pub fn client_is_eligible_for_touch(&self) -> bool {
        let Some(expires_at) = self.client().and_then(|c| c.cookie_expires_at) else { return false };
        expires_at - (self.now_ms() as i64) <= 8 * 24 * 60 * 60 * 1000
    }

    pub fn client_is_new(&self) -> bool {
        self.client().is_none_or(|c| c.id.is_empty())
    }

    /// The URL that refreshes the client cookie then redirects to `redirect_url`.
    pub fn build_touch_url(&self, redirect_url: &str) -> String {
        self.0.fapi.url("/client/touch", Verb::Get, &[("redirect_url", redirect_url)])
    }

    // ---- setActive ----------------------------------------------------------------------------

    /// Makes `session` (and `organization`) active, in three steps that listeners observe:
    /// 1. session, user and organization become `undefined`;
    /// 2. `before_emit` runs and is awaited;
    /// 3. the new session, its user and organization are set and emitted.
    ///
    /// The session is touched on the server first; if that fails nothing changes. A later call
    /// supersedes this one: once it has started, this call never emits its session. If
    /// `before_emit` fails, the switch is still completed (the server already made the session
    /// active, so undoing it locally would disagree with the server) and then the error is returned.
    pub async fn set_active(&self, session: Selection, organization: Selection, before_emit: Option<BeforeEmit>) -> Result<()> {
        self.require_loaded()?;
        let client = self.client().unwrap_or_default();
        let target: Option<Session> = match &session {
            Selection::Keep => self.resources().session.value().cloned().or_else(|| {
                let id = self.0.state.borrow().active_session_id.clone()?;
                client.signed_in_session(&id).cloned()
            }),
            Selection::Clear => None,
            Selection::Id(id) => Some(client.signed_in_session(id).cloned().ok_or_else(|| {
                let status = client.session(id).map(|s| s.status.clone());
                ClerkError::new(codes::SESSION_NOT_FOUND, ["No signed-in session with id \"", id, "\""].concat()).with_long_message(
                    match status {
                        Some(status) => ["The session is ", &status, "; only active and pending sessions can be set active."].concat(),
                        None => "The session does not belong to this client; it may have been removed. Reload the client.".into(),
                    },
                )
            })?),
        };
        let organization_id: Option<Option<String>> = match (&organization, &target) {
            (Selection::Keep, _) => None,
            (Selection::Clear, _) => Some(None),
            (Selection::Id(_), None) => {
                return Err(ClerkError::invalid_argument("An organization can only be set active together with a session"));
            }
            (Selection::Id(id_or_slug), Some(session)) => Some(Some(resolve_organization(session, id_or_slug)?)),
        };

        let generation = self.0.set_active_generation.get() + 1;
        self.0.set_active_generation.set(generation);
        let superseded = || self.0.set_active_generation.get() != generation;

        // `session: null` signs the current session out of this client on the server, as Clerk
        // documents it ("removed from the client"), so a reload does not bring it back.
        let current = self.0.state.borrow().active_session_id.clone();
        if let (None, Some(current)) = (&target, current) {
            let removed = self.session_request(&current, "remove", &[], Emit::Later).await;
            if let Err(e) = removed {
                if !superseded() {
                    self.end_transition();
                }
                return Err(e);
            }
            self.0.tokens.clear_session(&current);
        }
        if let Some(session) = &target {
            let org = organization_id.clone().unwrap_or_else(|| session.last_active_organization_id.clone());
            // As clerk-js tells the server: switching only the organization is `select_org`.
            let current = self.0.state.borrow().active_session_id.clone();
            let intent = if current.as_deref() == Some(session.id.as_str()) && organization_id.is_some() { "select_org" } else { "select_session" };
            let form = [("active_organization_id", org.as_deref().unwrap_or("")), ("intent", intent)];
            // Quietly: the client changes, but listeners hear of it with the new session (step 1 on).
            let touched = self.session_request(&session.id, "touch", &form, Emit::Later).await;
            if let Err(e) = touched {
                if !superseded() {
                    self.end_transition();
                }
                return Err(e);
            }
        }
        if superseded() {
            return Ok(());
        }

        // Step 1: the current session becomes undefined.
        self.0.state.borrow_mut().transitioning = true;
        self.emit();

        // Step 2: beforeEmit, with the session as it is now.
        let new_session = target.as_ref().and_then(|s| self.signed_in_session(&s.id));
        let before_emit_outcome = match before_emit {
            Some(callback) => callback(new_session.clone()).await,
            None => Ok(()),
        };
        if superseded() {
            return before_emit_outcome;
        }

        // Step 3: the new session.
        {
            let mut state = self.0.state.borrow_mut();
            state.active_session_id = new_session.map(|s| s.id);
            state.transitioning = false;
        }
        self.emit();
        before_emit_outcome
    }

    /// Leaves the `undefined` step, restoring what was active before it.
    fn end_transition(&self) {
        let was = std::mem::replace(&mut self.0.state.borrow_mut().transitioning, false);
        if was {
            self.emit();
        }
    }

    /// Signs out: one session when `session_id` is given, otherwise every session of the client.
    /// The new client already says who is signed in, so no `setActive` step follows: removing
    /// the current session leaves `session` null, removing another one leaves it as it was.
    pub async fn sign_out(&self, session_id: Option<&str>) -> Result<()> {
        self.require_loaded()?;
        match session_id {
            Some(id) => self.session_remove(id).await.map(drop),
            None => self.client_destroy().await,
        }
    }

    // ---- sessions -----------------------------------------------------------------------------

    /// POST `/client/sessions/{id}/{action}`; returns the session from the answer.
    async fn session_request(&self, session_id: &str, action: &str, form: &[(&str, &str)], emit: Emit) -> Result<Json> {
        validate_path_segment("session id", session_id)?;
        let body = self
            .0
            .fapi
            .request(Verb::Post, &["/client/sessions/", session_id, "/", action].concat(), form, Retry::Once)
            .await?;
        self.absorb(body, emit)
    }

    /// Ends the session on the server; its tokens are forgotten.
    pub async fn session_end(&self, session_id: &str) -> Result<Session> {
        self.session_lifecycle(session_id, "end").await
    }

    /// Removes the session from the client; its tokens are forgotten.
    pub async fn session_remove(&self, session_id: &str) -> Result<Session> {
        self.session_lifecycle(session_id, "remove").await
    }

    async fn session_lifecycle(&self, session_id: &str, action: &str) -> Result<Session> {
        self.require_loaded()?;
        let response = self.session_request(session_id, action, &[], Emit::Now).await?;
        self.0.tokens.clear_session(session_id);
        let session = Session::from_json(&response).map_err(unexpected)?;
        // Servers may leave ended and removed sessions out of the client: the answer is then
        // the freshest word on this session.
        if self.session(session_id).is_none() {
            self.forget_session(session.clone());
        }
        Ok(session)
    }

    /// Marks the session as active now, keeping its organization.
    pub async fn session_touch(&self, session_id: &str) -> Result<Session> {
        self.require_loaded()?;
        let org = self.session(session_id).and_then(|s| s.last_active_organization_id);
        let response = self
            .session_request(session_id, "touch", &[("active_organization_id", org.as_deref().unwrap_or(""))], Emit::Now)
            .await?;
        Session::from_json(&response).map_err(unexpected)
    }

    pub fn check_authorization(&self, session_id: &str, params: &AuthorizationParams) -> bool {
        self.session(session_id).is_some_and(|s| check_authorization(&s, params))
    }

    /// Reverification: `/verify` (start, with `level`) and `/verify/{prepare,attempt}_{first,second}_factor`.
    /// Returns the `session_verification` object.
    pub async fn session_verification(&self, session_id: &str, step: Option<&str>, form: &[(&str, &str)]) -> Result<Json> {
        self.require_loaded()?;
        let action = match step {
            None => "verify".to_owned(),
            Some(step) => {
                validate_path_segment("verification step", step)?;
                ["verify/", step].concat()
            }
        };
        self.session_request(session_id, &action, form, Emit::Now).await
    }

    // ---- tokens -------------------------------------------------------------------------------

    /// A session token: from the cache when fresh, else from one request shared by every
    /// concurrent caller asking for the same session, template and organization.
    /// With `throw_on_error: false` a failure resolves to an empty string, as Clerk documents.
    pub async fn get_token(&self, session_id: &str, options: &GetTokenOptions) -> Result<String> {
        match self.get_token_or_error(session_id, options).await {
            Ok(jwt) => Ok(jwt),
            Err(_) if !options.throw_on_error => Ok(String::new()),
            Err(e) => Err(e),
        }
    }

    async fn get_token_or_error(&self, session_id: &str, options: &GetTokenOptions) -> Result<String> {
        self.require_loaded()?;
        let active_organization = self.require_signed_in(session_id)?;
        if let Some(leeway_secs) = options.leeway_secs.filter(|l| *l >= MAX_LEEWAY_SECS && options.template.is_none()) {
            return Err(ClerkError::invalid_argument(
                ["leewayInSeconds must be under the token lifetime (", &decimal(MAX_LEEWAY_SECS.into()), " s), got ", &decimal(leeway_secs.into())].concat(),
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
        let key = TokenKey { session_id: session_id.to_owned(), template: options.template.clone(), organization_id };
        let this = self.clone();
        let fetch_key = key.clone();
        let skip_cache = options.skip_cache;
        let token = self
            .0
            .tokens
            .get_or_fetch(key, self.now_ms(), leeway, options.skip_cache, move || {
                async move { this.mint_token(&fetch_key, skip_cache).await }.boxed_local()
            })
            .await?;
        // The session may have ended while the request was under way.
        self.require_signed_in(session_id)?;
        self.schedule_refresh();
        Ok(String::from(&*token.jwt))
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

    /// Refresh-ahead: fetches the next token for the active session and organization shortly
    /// before the cached one enters its leeway, so `getToken()` never waits at expiry. Only
    /// the active key is kept warm (clerk-js refreshes every cached session).
    fn schedule_refresh(&self) {
        let key = self.active_token_key().filter(|_| !self.is_disposed());
        let Some(key) = key else {
            self.0.refresh_target.borrow_mut().take();
            self.0.refresh_task.borrow_mut().take();
            return;
        };
        let Some(token) = self.0.tokens.ready(&key) else { return };
        let margin = REFRESH_MARGIN_MS.min(token.lifetime_ms / 40);
        let jitter = self.0.refresh_jitter_seed % (margin / 2 + 1);
        let fire_at = token.expires_at_ms.saturating_sub(token.leeway_ms(None, DEFAULT_LEEWAY_MS) + margin + jitter);
        let target = Some((key.clone(), fire_at));
        if *self.0.refresh_target.borrow() == target {
            return; // already set up for this very token
        }
        *self.0.refresh_target.borrow_mut() = target.clone();
        let clock = self.0.clock.clone();
        let weak = Rc::downgrade(&self.0);
        let (task, handle) = cancellable(
            async move {
                // Until an absolute time: the task may first run a little after it was spawned.
                clock.sleep(fire_at.saturating_sub(clock.now_ms())).await;
                let Some(inner) = weak.upgrade() else { return };
                let clerk = Clerk(inner);
                clerk.0.refresh_target.borrow_mut().take();
                let minting = clerk.clone();
                let mint_key = key.clone();
                let Some(refresh) = clerk.0.tokens.refresh(&key, move || async move { minting.mint_token(&mint_key, false).await }.boxed_local()) else {
                    return;
                };
                // A failure keeps the old token; the next getToken() after it expires asks the
                // server itself.
                if refresh.await.is_ok() {
                    if clerk.signed_in_session(&key.session_id).is_none() {
                        clerk.0.tokens.clear_session(&key.session_id);
                    }
                    clerk.schedule_refresh();
                }
            }
            .boxed_local(),
        );
        // One refresh task per instance: replacing the handle cancels the previous task and
        // clears its timer (2,000 switches used to leave 2,000 timers pending).
        *self.0.refresh_task.borrow_mut() = Some(handle);
        self.0.spawner.spawn(task);
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

    /// Asks the server for a token and checks it is for the session and organization asked for.
    /// `skip_cache`: the caller asked for a fresh token, which clerk-js tells the server as
    /// `?debug=skip_cache`.
    async fn mint_token(&self, key: &TokenKey, skip_cache: bool) -> Result<CachedToken> {
        let path = match &key.template {
            Some(template) => ["/client/sessions/", &key.session_id, "/tokens/", template].concat(),
            None => ["/client/sessions/", &key.session_id, "/tokens"].concat(),
        };
        // Template tokens too: the cache keys them by organization, so the server must be told
        // which one (clerk-js leaves it out and gets the session's active organization).
        let mut form = vec![("organization_id", key.organization_id.as_deref().unwrap_or_default())];
        if key.template.is_none()
            && let Some(tab_state) = self.0.broadcast.tab_state()
        {
            form.push(("tab_state", tab_state));
        }
        let query: &[(&str, &str)] = if skip_cache { &[("debug", "skip_cache")] } else { &[] };
        let body = self.0.fapi.request_with_query(Verb::Post, &path, query, &form, Retry::Idempotent).await?;
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
            self.0.broadcast.post(&message);
        }
        Ok(token)
    }

    // ---- sign-in and sign-up ------------------------------------------------------------------

    /// `client.signIn.create(...)` and the sign-in's steps (`prepare_first_factor`, …).
    /// Returns the sign-in from the answer.
    pub async fn sign_in_request(&self, step: Option<&str>, form: &[(&str, &str)]) -> Result<Json> {
        self.attempt_request("sign_ins", "sign_in", step, Verb::Post, form).await
    }

    /// `client.signUp.create(...)`, `update` (PATCH, no step) and its verification steps.
    pub async fn sign_up_request(&self, step: Option<&str>, verb: Verb, form: &[(&str, &str)]) -> Result<Json> {
        self.attempt_request("sign_ups", "sign_up", step, verb, form).await
    }

    async fn attempt_request(&self, collection: &str, field: &str, step: Option<&str>, verb: Verb, form: &[(&str, &str)]) -> Result<Json> {
        self.require_loaded()?;
        let current_id = || {
            let client = self.client()?;
            let attempt = match field {
                "sign_in" => client.sign_in.as_ref(),
                _ => client.sign_up.as_ref(),
            }?;
            str_field(attempt, "id").map(str::to_owned)
        };
        let path = match (step, verb) {
            (None, Verb::Post) => ["/client/", collection].concat(),
            (None, _) => {
                let id = current_id().ok_or_else(|| ClerkError::invalid_argument(["There is no ", field, " to update; create one first"].concat()))?;
                ["/client/", collection, "/", &id].concat()
            }
            (Some(step), _) => {
                validate_path_segment("step", step)?;
                let id = current_id().ok_or_else(|| ClerkError::invalid_argument(["There is no ", field, " in progress; create one first"].concat()))?;
                ["/client/", collection, "/", &id, "/", step].concat()
            }
        };
        let body = self.0.fapi.request(verb, &path, form, Retry::Once).await?;
        let answer = self.absorb(body, Emit::Later)?;
        self.keep_attempt(&answer);
        self.emit();
        // The attempt as it is now (the client's own when the answer left it in the client).
        let id = str_field(&answer, "id").unwrap_or_default().to_owned();
        Ok(self.attempts().into_iter().find(|(kept, _)| *kept == id).map_or(answer, |(_, now)| now))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Emit {
    Now,
    /// The caller emits soon itself (setActive's steps).
    Later,
}

/// The organization id a session token is for: `o.id` (v2) or `org_id` (v1).
fn organization_claim(claims: &super::tokens::TokenClaims) -> Option<String> {
    claims.organization_id.clone()
}

/// An organization of the session's user, by id (`org_…`) or slug.
fn resolve_organization(session: &Session, id_or_slug: &str) -> Result<String> {
    let memberships = session.user.as_ref().map(super::resources::memberships);
    let found = memberships.into_iter().flatten().filter_map(|m| m.get("organization")).find(|o| {
        str_field(o, "id") == Some(id_or_slug) || str_field(o, "slug") == Some(id_or_slug)
    });
    match found.and_then(|o| str_field(o, "id")) {
        Some(id) => Ok(id.to_owned()),
        None => Err(ClerkError::new(
            codes::ORGANIZATION_NOT_FOUND,
            ["The user of session ", &session.id, " is not a member of organization \"", id_or_slug, "\""].concat(),
        )),
    }
}

/// Ids and names that go into URL paths: refuse anything that could change the path.
fn validate_path_segment(what: &str, value: &str) -> Result<()> {
    let ok = !value.is_empty()
        && value.len() <= 128
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ClerkError::invalid_argument([what, " \"", value, "\" is not valid"].concat()))
    }
}

/// A 2xx answer that is not the resource it should be.
fn unexpected(error: DecodeError) -> ClerkError {
    ClerkError::unexpected_response(200, &error.message())
}
