//! Loading, the client (reload, create, destroy, remove sessions) and session lifecycle
//! requests (end, remove, touch, reverification).

use super::authz::{AuthorizationParams, check_authorization};
use super::clerk::*;
use super::error::{ClerkError, Result, codes};
use super::exchange::Outcome;
use super::fapi::{Request, Retry, Verb};
use super::flow::{LoadJoin, LoadStep, Purpose, Then};
use super::json::Json;
use super::resources::{Client, Session, client_from_body};
use super::state::Change;
use clerk_token::InstanceType;

const NULL: &str = "null";

impl Clerk {
    // ---- loading and the client ---------------------------------------------------------------

    /// `load()`: a dev-browser token if one is needed, then the environment and the client
    /// side by side; the client's last active session becomes the active one.
    pub(super) fn start_load(&self, call: u32) -> Result<()> {
        self.require_live()?;
        self.0.flows.borrow_mut().loads.insert(call, LoadJoin::default());
        self.ensure_dev_browser(Then::Load(call, LoadStep::DevBrowser));
        Ok(())
    }

    pub(super) fn load_step(&self, call: u32, step: LoadStep, outcome: Outcome) {
        if step == LoadStep::DevBrowser {
            if let Err(error) = outcome {
                self.0.flows.borrow_mut().loads.remove(&call);
                return self.settle(call, Err(error));
            }
            let (environment_verb, environment_retry) = match self.instance_type() {
                // Development instances "touch" the environment, as clerk-js does.
                InstanceType::Development => (Verb::Patch, Retry::Once),
                InstanceType::Production => (Verb::Get, Retry::Idempotent),
            };
            let environment = Request::form(environment_verb, "/environment".into(), &[], environment_retry);
            self.send(environment, Then::Load(call, LoadStep::Environment));
            return self.read_client(Then::Load(call, LoadStep::Client));
        }
        let both = {
            let mut flows = self.0.flows.borrow_mut();
            let Some(join) = flows.loads.get_mut(&call) else { return };
            match step {
                LoadStep::Environment => join.environment = Some(outcome),
                _ => join.client = Some(outcome),
            }
            if join.environment.is_some() && join.client.is_some() { flows.loads.remove(&call) } else { None }
        };
        let Some(LoadJoin { environment: Some(environment), client: Some(client) }) = both else { return };
        let loaded = environment.and_then(|environment| {
            let client = client_from_body(&client?).map_err(unexpected)?;
            self.apply(Change::Loaded { environment, client: client.unwrap_or_default() });
            Ok(NULL.to_owned())
        });
        self.settle(call, loaded);
    }

    /// `GET /client`, for `then`.
    pub(super) fn read_client(&self, then: Then) {
        self.send(Request::form(Verb::Get, "/client".into(), &[], Retry::Idempotent), then);
    }

    /// An answer that is the client (or `null`, none yet): it replaces ours.
    pub(super) fn client_answered(&self, body: &Json) -> Result<()> {
        let client = client_from_body(body).map_err(unexpected)?;
        self.replace_client(client.unwrap_or_default());
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

    /// `/client` (`client.reload()`, `create()`), answered with the client (or `null`), which
    /// replaces ours.
    pub(super) fn start_client_request(&self, call: u32, verb: Verb, query: &[(&str, &str)], retry: Retry) -> Result<()> {
        self.require_loaded()?;
        self.send(Request::form(verb, "/client".into(), &[], retry).with_query(query), Then::Call(call, Purpose::Client));
        Ok(())
    }

    /// Removes every session of the client (`sign_out`: as `signOut()`, forgetting every token).
    pub(super) fn start_remove_sessions(&self, call: u32, sign_out: bool) -> Result<()> {
        self.require_loaded()?;
        let request = Request::form(Verb::Delete, "/client/sessions".into(), &[], Retry::Once);
        self.send(request, Then::Call(call, Purpose::SessionsRemoved { sign_out }));
        Ok(())
    }

    pub(super) fn sessions_removed(&self, body: Json, sign_out: bool) -> Result<String> {
        let response = self.absorb(body, Emit::Now)?;
        // Some servers answer with the client as the response itself.
        if response.get("object").and_then(Json::as_str) == Some("client") {
            let client = Client::from_json(&response).map_err(unexpected)?;
            self.replace_client(client);
        }
        if sign_out {
            self.0.tokens.clear();
        }
        Ok(NULL.into())
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

    /// POST `/client/sessions/{id}/{action}`, for `then`.
    pub(super) fn session_request(&self, session_id: &str, action: &str, form: &[(&str, &str)], then: Then) -> Result<()> {
        validate_path_segment("session id", session_id)?;
        let path = ["/client/sessions/", session_id, "/", action].concat();
        self.send(Request::form(Verb::Post, path, form, Retry::Once), then);
        Ok(())
    }

    /// Ends (`end`) or removes (`remove`) the session on the server; its tokens are forgotten.
    pub(super) fn start_lifecycle(&self, call: u32, session_id: &str, action: &str, sign_out: bool) -> Result<()> {
        self.require_loaded()?;
        let purpose = Purpose::Lifecycle { session: session_id.to_owned(), sign_out };
        self.session_request(session_id, action, &[], Then::Call(call, purpose))
    }

    pub(super) fn session_ended(&self, session_id: &str, body: Json) -> Result<Session> {
        let response = self.absorb(body, Emit::Now)?;
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
    pub(super) fn start_touch(&self, call: u32, session_id: &str) -> Result<()> {
        self.require_loaded()?;
        let org = self.session(session_id).and_then(|s| s.last_active_organization_id);
        let form = [("active_organization_id", org.as_deref().unwrap_or(""))];
        self.session_request(session_id, "touch", &form, Then::Call(call, Purpose::Session))
    }

    pub fn check_authorization(&self, session_id: &str, params: &AuthorizationParams) -> bool {
        self.session(session_id).is_some_and(|s| check_authorization(&s, params))
    }

    /// Reverification: `/verify` (start, with `level`) and `/verify/{prepare,attempt}_{first,second}_factor`.
    /// Answers the `session_verification` object.
    pub(super) fn start_session_verification(&self, call: u32, session_id: &str, step: Option<&str>, form: &[(&str, &str)]) -> Result<()> {
        self.require_loaded()?;
        let action = match step {
            None => "verify".to_owned(),
            Some(step) => {
                validate_path_segment("verification step", step)?;
                ["verify/", step].concat()
            }
        };
        self.session_request(session_id, &action, form, Then::Call(call, Purpose::Response))
    }
}

/// What every operation of a disposed instance fails with.
pub(crate) fn disposed() -> ClerkError {
    ClerkError::new(codes::DISPOSED, "This Clerk instance was disposed")
        .with_long_message("dispose() stopped it for good; create a new Clerk instance.")
}
