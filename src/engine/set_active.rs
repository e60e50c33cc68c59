//! `setActive` and `signOut`: the three steps listeners see, supersession by a newer call, and
//! what happens on the server first.

use super::clerk::*;
use super::error::{ClerkError, Result, codes};
use super::resources::Session;
use super::state::Change;

impl Clerk {
    // ---- setActive ----------------------------------------------------------------------------

    /// The session and organization a `setActive` selects, as the client shows them now.
    #[allow(clippy::type_complexity)]
    fn selection(&self, session: &Selection, organization: &Selection) -> Result<(Option<Session>, Option<Option<String>>)> {
        let client = self.client().unwrap_or_default();
        let target: Option<Session> = match session {
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
        let organization_id: Option<Option<String>> = match (organization, &target) {
            (Selection::Keep, _) => None,
            (Selection::Clear, _) => Some(None),
            (Selection::Id(_), None) => {
                return Err(ClerkError::invalid_argument("An organization can only be set active together with a session"));
            }
            (Selection::Id(id_or_slug), Some(session)) => Some(Some(resolve_organization(session, id_or_slug)?)),
        };
        Ok((target, organization_id))
    }

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
        let (target, organization_id) = match self.selection(&session, &organization) {
            // The client's memberships may be older than the server's (an admin added the user,
            // an invitation was accepted in another tab): read the client again, once, and decide
            // on that. If the read fails, the organization is as unknown as it was.
            Err(e) if e.code == codes::ORGANIZATION_NOT_FOUND => match self.client_reload().await {
                Ok(()) => self.selection(&session, &organization)?,
                Err(_) => return Err(e),
            },
            other => other?,
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
            let intent =
                if current.as_deref() == Some(session.id.as_str()) && organization_id.is_some() { "select_org" } else { "select_session" };
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
        self.apply(Change::TransitionStarted);

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
        self.apply(Change::Activated(new_session.map(|s| s.id)));
        before_emit_outcome
    }

    /// Makes a `setActive` under way count as superseded: it will not emit its session.
    pub(super) fn supersede_set_active(&self) {
        self.0.set_active_generation.set(self.0.set_active_generation.get() + 1);
    }

    /// Leaves the `undefined` step, restoring what was active before it.
    fn end_transition(&self) {
        if self.transitioning() {
            self.apply(Change::TransitionAbandoned);
        }
    }

    /// Signs out: one session when `session_id` is given, otherwise every session of the client
    /// (`DELETE /client/sessions`, as clerk-js does: the client itself stays, so its sign-in
    /// history and the device's `__client` cookie survive; `client.destroy()` is the way to
    /// drop it). The new client already says who is signed in, so no `setActive` step follows:
    /// removing the current session leaves `session` null, removing another one leaves it as it was.
    pub async fn sign_out(&self, session_id: Option<&str>) -> Result<()> {
        self.require_loaded()?;
        match session_id {
            Some(id) => self.session_remove(id).await.map(drop),
            None => {
                self.client_remove_sessions().await?;
                self.0.tokens.clear();
                Ok(())
            }
        }
    }
}
