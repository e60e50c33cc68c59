//! The one place the instance's state changes: [`Clerk::apply`] takes a [`Change`], mutates,
//! and then emits (as TanStack Query's `#dispatch`: reduce, then notify observers).

use super::clerk::{Clerk, organization_claim};
use super::json::{Json, object};
use super::resources::{Client, TokenResource};
use super::tokens::{Minted, TokenKey, cached_token};
use std::rc::Rc;

#[derive(Default)]
pub(super) struct State {
    pub(super) loaded: bool,
    pub(super) client: Option<Rc<Client>>,
    pub(super) environment: Option<Rc<Json>>,
    pub(super) active_session_id: Option<String>,
    /// Between the first and last step of `setActive`: session, user and organization read
    /// as `undefined`.
    pub(super) transitioning: bool,
}

pub(super) enum Change {
    /// `load()` finished: the environment, and the client whose last active session becomes
    /// the active one when it is signed in.
    Loaded { environment: Json, client: Client },
    /// A newer client from the server; the active session stays if it is still signed in.
    Client(Client),
    /// A state another tab posted that differs from this tab's: its client view and active
    /// session. It supersedes a `setActive` under way here.
    Remote { client: Client, active: Option<String> },
    /// `setActive`'s first step: session, user and organization become `undefined`.
    TransitionStarted,
    /// `setActive`'s last step: `active` is the session now.
    Activated(Option<String>),
    /// `setActive` failed before its first step: what was active stays.
    TransitionAbandoned,
    /// A new token for a session and its active organization: the session shows it as its
    /// `last_active_token`, as clerk-js shows listeners a freshly minted token.
    TokenMinted { session_id: String, jwt: Rc<str> },
}

impl Clerk {
    /// Applies `change`, then tells the object layer, listeners and other tabs.
    pub(super) fn apply(&self, change: Change) {
        self.mutate(change);
        self.emit();
    }

    /// Applies `change` without emitting: for a caller that emits itself right after
    /// (setActive installs the touched client, then shows its steps).
    pub(super) fn mutate(&self, change: Change) {
        match change {
            Change::Loaded { environment, client } => {
                {
                    let mut state = self.0.state.borrow_mut();
                    state.environment = Some(Rc::new(environment));
                    state.active_session_id =
                        client.last_active_session_id.as_deref().and_then(|id| client.signed_in_session(id)).map(|s| s.id.clone());
                    state.loaded = true;
                }
                self.install_client(client);
            }
            Change::Client(client) => self.install_client(client),
            Change::Remote { client, active } => {
                self.supersede_set_active();
                {
                    let mut state = self.0.state.borrow_mut();
                    state.active_session_id = active;
                    state.transitioning = false;
                }
                self.install_client(client);
            }
            Change::TransitionStarted => self.0.state.borrow_mut().transitioning = true,
            Change::Activated(active) => {
                let mut state = self.0.state.borrow_mut();
                state.active_session_id = active;
                state.transitioning = false;
            }
            Change::TransitionAbandoned => self.0.state.borrow_mut().transitioning = false,
            Change::TokenMinted { session_id, jwt } => {
                let mut state = self.0.state.borrow_mut();
                let Some(client) = state.client.as_mut() else { return };
                if let Some(session) = Rc::make_mut(client).sessions.iter_mut().find(|s| s.id == session_id) {
                    session.last_active_token = Some(TokenResource { jwt: Some(String::from(&*jwt)) });
                    let token = object([("object", Json::String("token".into())), ("jwt", Json::String(String::from(&*jwt)))]);
                    super::snapshot::set(&mut session.raw, "last_active_token", token);
                }
            }
        }
    }

    /// Installs a newer client: primes the token cache from the sessions' last tokens, forgets
    /// tokens of sessions that are no longer signed in, and keeps the sessions it dropped for
    /// the objects that still show them.
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
                self.0.port.post(&message); // other tabs need not ask for it
            }
        }
        if let Some(previous) = previous {
            for old in previous.sessions.iter() {
                if client.signed_in_session(&old.id).is_none() {
                    self.0.tokens.clear_session(&old.id);
                }
                if client.session(&old.id).is_none() {
                    self.0.view.forget_session(old.clone());
                }
            }
        }
        let mut state = self.0.state.borrow_mut();
        let still_signed_in = state.active_session_id.as_deref().is_some_and(|id| client.signed_in_session(id).is_some());
        if !still_signed_in {
            state.active_session_id = None;
        }
        state.client = Some(Rc::new(client));
    }
}
