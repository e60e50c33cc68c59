//! Cross-tab sync: every tab of an origin shares one client on the server, so a sign-out, a
//! session or organization switch, or a new token in one tab is posted to the others, which
//! apply it without asking the server (except to learn a session they have never seen).

use super::clerk::Clerk;
use super::tokens::{Minted, TokenKey, cached_token};
use serde::Deserialize;
use serde_json::json;

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
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
        // Built as a `Value` (already in the bundle) rather than a derived Serialize.
        let sessions: Vec<_> = client.sessions.iter().map(|s| json!([s.id, s.status])).collect();
        let message = json!({
            "t": "state",
            "active": active.as_ref().map(|k| k.session_id.clone()),
            "org": active.and_then(|k| k.organization_id),
            "sessions": sessions,
        });
        Some(message.to_string())
    }

    pub(crate) fn token_message(key: &TokenKey, jwt: &str) -> Option<String> {
        Some(json!({"t": "token", "sid": key.session_id, "org": key.organization_id, "tpl": key.template, "jwt": jwt}).to_string())
    }

    /// Applies a message from another tab. Unknown or malformed messages are ignored: they may
    /// come from another version of the library.
    pub fn receive_broadcast(&self, message: &str) {
        if !self.loaded() {
            return;
        }
        match parse_message(message) {
            Some(TabMessage::Token { sid, org, tpl, jwt }) => self.receive_token(TokenKey { session_id: sid, template: tpl, organization_id: org }, &jwt),
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
        let Some(client) = self.client() else { return };
        let knows_every_session = sessions.iter().all(|(id, _)| client.session(id).is_some());
        if !knows_every_session {
            // A session signed in elsewhere: one request to learn it, then the newest state.
            if self.0.awaiting_reload.borrow_mut().replace(message.to_owned()).is_some() {
                return; // a reload is already under way
            }
            let clerk = self.clone();
            self.spawn(async move {
                let reloaded = clerk.client_reload().await.is_ok();
                let Some(latest) = clerk.0.awaiting_reload.borrow_mut().take() else { return };
                let Some(TabMessage::State { sessions, .. }) = parse_message(&latest) else { return };
                let known = clerk.client().is_some_and(|c| sessions.iter().all(|(id, _)| c.session(id).is_some()));
                if reloaded && known {
                    clerk.receive_broadcast(&latest);
                }
            });
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
        if active.is_some() {
            updated.last_active_session_id = active.clone();
        }
        self.apply_remote_state(message, updated, active);
    }
}

pub(crate) fn parse_message(message: &str) -> Option<TabMessage> {
    TabMessage::deserialize(&super::resources::parse_json(message).ok()?).ok()
}
