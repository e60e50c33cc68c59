//! Cross-tab sync: every tab of an origin shares one client on the server, so a sign-out, a
//! session or organization switch, or a new token in one tab is posted to the others, which
//! apply it without asking the server (except to learn a session they have never seen).

use super::clerk::Clerk;
use super::exchange::Outcome;
use super::flow::Then;
use super::json::{Fields, Json, object};
use super::port::Port;
use super::state::Change;
use super::tokens::{Minted, TokenKey, cached_token};
use std::cell::RefCell;

/// This tab's side of the channel to the other tabs of the origin.
pub(super) struct TabSync {
    port: Port,
    /// The last state this tab posted or received, so the same state is not posted back, and
    /// an echo of it is recognised.
    last_state: RefCell<Option<String>>,
    /// While the client is reloaded to learn a session another tab signed in: the newest
    /// state to apply once it is known (later messages replace it; there is one reload).
    awaiting_reload: RefCell<Option<String>>,
}

impl TabSync {
    pub(super) fn new(port: Port) -> Self {
        TabSync { port, last_state: RefCell::default(), awaiting_reload: RefCell::default() }
    }

    /// Notes a state received from another tab, so it is not posted back.
    fn remember(&self, message: &str) {
        *self.last_state.borrow_mut() = Some(message.to_owned());
    }

    /// Whether `message` is the state this tab last posted or received: an echo.
    pub(super) fn is_echo(&self, message: &str) -> bool {
        self.last_state.borrow().as_deref() == Some(message)
    }

    /// Posts this tab's settled state, once per change.
    pub(super) fn post_state(&self, message: String) {
        let mut last = self.last_state.borrow_mut();
        if last.as_deref() != Some(message.as_str()) {
            self.port.post(&message);
            *last = Some(message);
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum TabMessage {
    /// The sending tab's settled state: active session and organization, and every session of
    /// the client with its status.
    State { active: Option<String>, org: Option<String>, sessions: Vec<(String, String)> },
    /// A token the sending tab just minted.
    Token { sid: String, org: Option<String>, tpl: Option<String>, jwt: String },
}

impl Clerk {
    /// This tab's state as a message, once loaded and not in the middle of `setActive`.
    pub(crate) fn state_message(&self) -> Option<String> {
        if !self.loaded() || self.transitioning() {
            return None;
        }
        let client = self.client()?;
        // The active session and organization are exactly the default token's key.
        let active = self.active_token_key();
        let sessions = client.sessions.iter().map(|s| Json::Array(vec![Json::String(s.id.clone()), Json::String(s.status.clone())]));
        let message = object([
            ("t", Json::String("state".into())),
            ("active", Json::string_or_null(active.as_ref().map(|k| k.session_id.as_str()))),
            ("org", Json::string_or_null(active.as_ref().and_then(|k| k.organization_id.as_deref()))),
            ("sessions", Json::Array(sessions.collect())),
        ]);
        Some(message.to_text())
    }

    pub(crate) fn token_message(key: &TokenKey, jwt: &str) -> Option<String> {
        let message = object([
            ("t", Json::String("token".into())),
            ("sid", Json::String(key.session_id.clone())),
            ("org", Json::string_or_null(key.organization_id.as_deref())),
            ("tpl", Json::string_or_null(key.template.as_deref())),
            ("jwt", Json::String(jwt.to_owned())),
        ]);
        Some(message.to_text())
    }

    /// Applies a message from another tab. Unknown or malformed messages are ignored: they may
    /// come from another version of the library.
    pub fn receive_broadcast(&self, message: &str) {
        if !self.loaded() || self.is_disposed() {
            return;
        }
        match parse_message(message) {
            Some(TabMessage::Token { sid, org, tpl, jwt }) => {
                self.receive_token(TokenKey { session_id: sid, template: tpl, organization_id: org }, &jwt)
            }
            Some(TabMessage::State { active, org, sessions }) => self.receive_state(message, active, org, sessions),
            None => {}
        }
    }

    fn receive_token(&self, key: TokenKey, jwt: &str) {
        let Ok((token, claims)) = cached_token(jwt, self.now_ms(), Minted::AtSomePoint) else { return };
        if claims.sid.as_deref() != Some(key.session_id.as_str()) || self.signed_in_session(&key.session_id).is_none() {
            return;
        }
        self.prime_token(key, token);
    }

    fn receive_state(&self, message: &str, active: Option<String>, org: Option<String>, sessions: Vec<(String, String)>) {
        // Another tab agreeing with this one (typically after it reloaded to learn a session
        // this tab signed in) changes nothing, and must not cancel a setActive under way here.
        if self.0.tabs.is_echo(message) {
            return;
        }
        let Some(client) = self.client() else { return };
        let knows_every_session = sessions.iter().all(|(id, _)| client.session(id).is_some());
        if !knows_every_session {
            // A session signed in elsewhere: one request to learn it, then the newest state.
            if self.0.tabs.awaiting_reload.borrow_mut().replace(message.to_owned()).is_some() {
                return; // a reload is already under way
            }
            if self.require_loaded().is_err() {
                self.0.tabs.awaiting_reload.borrow_mut().take();
                return;
            }
            self.read_client(Then::TabReload);
            return;
        }
        let mut updated = (*client).clone();
        updated.sessions.retain(|s| sessions.iter().any(|(id, _)| *id == s.id));
        for session in &mut updated.sessions {
            if let Some((_, status)) = sessions.iter().find(|(id, _)| *id == session.id) {
                session.status = status.clone();
            }
            if active.as_deref() == Some(session.id.as_str()) {
                session.last_active_organization_id = org.clone();
            }
        }
        self.0.tabs.remember(message);
        match active {
            Some(_) => {
                updated.last_active_session_id = active.clone();
                self.apply(Change::Remote { client: updated, active });
            }
            // A tab with no session selected has no opinion on ours (it may just have heard of a
            // new session, polling for an email link): it cannot clear this tab's selection or
            // supersede a `setActive` under way. The sessions' statuses still count: one that
            // ended there is ended here too, which drops it if it was ours.
            None => self.apply(Change::Client(updated)),
        }
    }
}

impl Clerk {
    /// The client read for a session another tab signed in came back: the client replaces ours,
    /// and the newest state that tab posted meanwhile applies once every session in it is known.
    pub(super) fn tab_reloaded(&self, outcome: Outcome) {
        let reloaded = outcome.and_then(|body| self.client_answered(&body));
        let Some(latest) = self.0.tabs.awaiting_reload.borrow_mut().take() else { return };
        let Some(TabMessage::State { sessions, .. }) = parse_message(&latest) else { return };
        let known = self.client().is_some_and(|c| sessions.iter().all(|(id, _)| c.session(id).is_some()));
        if reloaded.is_ok() && known {
            self.receive_broadcast(&latest);
        }
    }
}

/// A message from another tab; `None` for anything unknown or malformed.
pub(crate) fn parse_message(message: &str) -> Option<TabMessage> {
    let value = Json::parse(message).ok()?;
    match value.get("t")?.as_str()? {
        "token" => Some(TabMessage::Token {
            sid: value.required_str("sid").ok()?,
            org: value.optional_str("org").ok()?,
            tpl: value.optional_str("tpl").ok()?,
            jwt: value.required_str("jwt").ok()?,
        }),
        "state" => {
            let pair = |p: &Json| Some((p.at(0)?.as_str()?.to_owned(), p.at(1)?.as_str()?.to_owned()));
            let sessions = value.get("sessions")?.as_array()?.iter().map(pair).collect::<Option<_>>()?;
            Some(TabMessage::State { active: value.optional_str("active").ok()?, org: value.optional_str("org").ok()?, sessions })
        }
        _ => None,
    }
}
