//! Loading, the client (reload, create, destroy, remove sessions) and session lifecycle
//! requests (end, remove, touch, reverification).

use super::authz::{AuthorizationParams, check_authorization};
use super::clerk::*;
use super::error::{ClerkError, Result, codes};
use super::fapi::{Retry, Verb};
use super::json::Json;
use super::resources::{Client, Session, client_from_body};
use super::state::Change;
use clerk_token::InstanceType;

impl Clerk {
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
        let (environment, client) = super::task::join(
            self.0.fapi.request(environment_verb, "/environment", &[], environment_retry),
            self.0.fapi.request(Verb::Get, "/client", &[], Retry::Idempotent),
        )
        .await;
        let environment = environment?;
        let client = client_from_body(&client?).map_err(unexpected)?;
        self.apply(Change::Loaded { environment, client: client.unwrap_or_default() });
        Ok(())
    }

    /// Installs a newer client and emits.
    pub(crate) fn replace_client(&self, client: Client) {
        self.apply(Change::Client(client));
    }

    /// Applies the `client` piggy-backed on a mutation's answer, and returns its `response`.
    pub(super) fn absorb(&self, body: Json, emit: Emit) -> Result<Json> {
        let envelope = super::resources::Envelope::from_json(body).map_err(unexpected)?;
        if let Some(client) = envelope.client {
            match emit {
                Emit::Now => self.apply(Change::Client(client)),
                Emit::Later => self.mutate(Change::Client(client)),
            }
        }
        Ok(envelope.response)
    }

    pub(super) fn require_live(&self) -> Result<()> {
        if self.is_disposed() {
            return Err(disposed());
        }
        Ok(())
    }

    pub(super) fn require_loaded(&self) -> Result<()> {
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
        self.client_request(Verb::Get, &[], Retry::Idempotent).await
    }

    /// `client.reload({rotatingTokenNonce})`: the server rotates the client cookie when the
    /// nonce is given (clerk-js sends it as `rotating_token_nonce`).
    pub async fn client_reload_rotating(&self, nonce: &str) -> Result<()> {
        self.client_request(Verb::Get, &[("rotating_token_nonce", nonce)], Retry::Idempotent).await
    }

    /// Creates a new client on the server (PUT /client).
    pub async fn client_create(&self) -> Result<()> {
        self.client_request(Verb::Put, &[], Retry::Once).await
    }

    /// `/client`, answered with the client (or `null`), which replaces ours.
    async fn client_request(&self, verb: Verb, query: &[(&str, &str)], retry: Retry) -> Result<()> {
        self.require_loaded()?;
        let body = self.0.fapi.request_with_query(verb, "/client", query, &[], retry).await?;
        let client = client_from_body(&body).map_err(unexpected)?;
        self.replace_client(client.unwrap_or_default());
        Ok(())
    }

    /// Destroys the client on the server: every session is signed out, every token forgotten.
    pub async fn client_destroy(&self) -> Result<()> {
        self.require_loaded()?;
        self.0.fapi.request(Verb::Delete, "/client", &[], Retry::Once).await?;
        self.0.tokens.clear();
        self.apply(Change::Client(Client::default()));
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

    /// clerk-js's `decorateUrlWithDevBrowserToken`: `url` (absolute, of another origin) with the
    /// dev-browser token as `__clerk_db_jwt` in its query, so that origin (an Account Portal, a
    /// satellite) knows this browser; a token the URL already carries is kept. Unchanged
    /// without a dev browser (production, or a Frontend API on the page's own origin).
    pub fn url_with_auth(&self, url: &str) -> String {
        const KEY: &str = "__clerk_db_jwt=";
        let Some(token) = self.dev_browser_token() else { return url.to_owned() };
        let (head, hash) = url.split_once('#').map_or((url, None), |(h, f)| (h, Some(f)));
        let query = head.split_once('?').map(|(_, q)| q);
        if query.is_some_and(|q| q.split('&').any(|p| p.starts_with(KEY))) {
            return url.to_owned();
        }
        let separator = match query {
            None => "?",
            Some("") => "",
            Some(_) => "&",
        };
        let mut out = [head, separator, KEY, &token].concat();
        if let Some(hash) = hash {
            out.push('#');
            out.push_str(hash);
        }
        out
    }

    // ---- sessions -----------------------------------------------------------------------------

    /// POST `/client/sessions/{id}/{action}`; returns the session from the answer.
    pub(super) async fn session_request(&self, session_id: &str, action: &str, form: &[(&str, &str)], emit: Emit) -> Result<Json> {
        validate_path_segment("session id", session_id)?;
        let body = self.0.fapi.request(Verb::Post, &["/client/sessions/", session_id, "/", action].concat(), form, Retry::Once).await?;
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
            self.0.view.forget_session(session.clone());
            // The object layer may have read the snapshot while the client changed (a listener
            // did): it must see this newer word too.
            self.0.view.changed();
        }
        Ok(session)
    }

    /// Marks the session as active now, keeping its organization.
    pub async fn session_touch(&self, session_id: &str) -> Result<Session> {
        self.require_loaded()?;
        let org = self.session(session_id).and_then(|s| s.last_active_organization_id);
        let response =
            self.session_request(session_id, "touch", &[("active_organization_id", org.as_deref().unwrap_or(""))], Emit::Now).await?;
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
}

/// The instance hears of the client its Frontend API read again after a 401.
impl super::fapi::SignedInObserver for std::rc::Weak<Instance> {
    fn signed_in(&self) -> bool {
        self.upgrade().is_some_and(|i| i.state.borrow().active_session_id.is_some() && !i.disposed.get())
    }

    fn client_read(&self, body: Json) {
        let Some(instance) = self.upgrade() else { return };
        if let Ok(client) = client_from_body(&body) {
            Clerk(instance).replace_client(client.unwrap_or_default());
        }
    }
}

/// What every operation of a disposed instance fails with.
pub(crate) fn disposed() -> ClerkError {
    ClerkError::new(codes::DISPOSED, "This Clerk instance was disposed")
        .with_long_message("dispose() stopped it for good; create a new Clerk instance.")
}
