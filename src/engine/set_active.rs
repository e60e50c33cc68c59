//! `setActive` and `signOut`: the three steps listeners see, supersession by a newer call, and
//! what happens on the server first.

use super::clerk::*;
use super::error::{ClerkError, Result, codes};
use super::exchange::Outcome;
use super::flow::{Pending, Then};
use super::resources::Session;
use super::state::Change;

impl Clerk {
    // ---- setActive ----------------------------------------------------------------------------

    /// The session and organization a `setActive` selects, as the client shows them now.
    fn selection(&self, session: &Selection, organization: &Selection) -> Result<Target> {
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
    /// 2. `beforeEmit` runs in the host and is awaited (`Command::BeforeEmit`);
    /// 3. the new session, its user and organization are set and emitted.
    ///
    /// The session is touched on the server first; if that fails nothing changes. A later call
    /// supersedes this one: once it has started, this call never emits its session. If
    /// `beforeEmit` fails, the switch is still completed (the server already made the session
    /// active, so undoing it locally would disagree with the server) and then the error is returned.
    pub(super) fn start_set_active(&self, call: u32, session: Selection, organization: Selection, has_before_emit: bool) -> Result<()> {
        self.require_loaded()?;
        let flow = SetActiveFlow { session, organization, has_before_emit, target: None, generation: 0 };
        match self.selection(&flow.session, &flow.organization) {
            // The client's memberships may be older than the server's (an admin added the user,
            // an invitation was accepted in another tab): read the client again, once, and decide
            // on that. If the read fails, the organization is as unknown as it was.
            Err(e) if e.code == codes::ORGANIZATION_NOT_FOUND => {
                self.0.flows.borrow_mut().set_actives.insert(call, flow);
                self.read_client(Then::SetActive(call, SetActiveStep::Reloaded(Box::new(e))));
            }
            selected => self.set_active_selected(call, flow, selected?),
        }
        Ok(())
    }

    /// The selection is known: the server hears of it first.
    fn set_active_selected(&self, call: u32, mut flow: SetActiveFlow, (target, organization_id): Target) {
        flow.generation = self.0.set_active_generation.get() + 1;
        self.0.set_active_generation.set(flow.generation);
        // `session: null` signs the current session out of this client on the server, as Clerk
        // documents it ("removed from the client"), so a reload does not bring it back.
        let current = self.0.state.borrow().active_session_id.clone();
        let request = match (&target, current) {
            (None, Some(current)) => Some((current.clone(), "remove", Vec::new(), SetActiveStep::Removed(current))),
            (Some(session), current) => {
                let org = organization_id.clone().unwrap_or_else(|| session.last_active_organization_id.clone());
                // As clerk-js tells the server: switching only the organization is `select_org`.
                let intent = if current.as_deref() == Some(session.id.as_str()) && organization_id.is_some() {
                    "select_org"
                } else {
                    "select_session"
                };
                let form = vec![("active_organization_id", org.unwrap_or_default()), ("intent", intent.to_owned())];
                Some((session.id.clone(), "touch", form, SetActiveStep::Touched))
            }
            (None, None) => None,
        };
        flow.target = target;
        let Some((session_id, action, form, step)) = request else { return self.set_active_emit(call, flow) };
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        // Quietly (`Emit::Later`): the client changes, but listeners hear of it with the new
        // session (step 1 on).
        let sent = self.session_request(&session_id, action, &form, Then::SetActive(call, step));
        match sent {
            Ok(()) => {
                self.0.flows.borrow_mut().set_actives.insert(call, flow);
            }
            Err(error) => self.settle(call, Err(error)),
        }
    }

    pub(super) fn set_active_step(&self, call: u32, step: SetActiveStep, outcome: Outcome) {
        let Some(flow) = self.0.flows.borrow_mut().set_actives.remove(&call) else { return };
        let superseded = self.0.set_active_generation.get() != flow.generation;
        let applied = outcome.and_then(|body| match step {
            SetActiveStep::Reloaded(_) => self.client_answered(&body),
            _ => self.absorb(body, Emit::Later).map(drop),
        });
        match (step, applied) {
            // The read failed: the organization is as unknown as it was.
            (SetActiveStep::Reloaded(not_found), Err(_)) => self.settle(call, Err(*not_found)),
            (SetActiveStep::Reloaded(_), Ok(())) => match self.selection(&flow.session, &flow.organization) {
                Ok(selected) => self.set_active_selected(call, flow, selected),
                Err(error) => self.settle(call, Err(error)),
            },
            (_, Err(error)) => {
                if !superseded {
                    self.end_transition();
                }
                self.settle(call, Err(error));
            }
            (SetActiveStep::Removed(current), Ok(())) => {
                self.0.tokens.clear_session(&current);
                self.set_active_emit(call, flow);
            }
            (SetActiveStep::Touched, Ok(())) => self.set_active_emit(call, flow),
        }
    }

    /// Steps 1 and 2: `undefined`, then `beforeEmit` (or straight to step 3 without one).
    fn set_active_emit(&self, call: u32, flow: SetActiveFlow) {
        if self.0.set_active_generation.get() != flow.generation {
            return self.settle(call, Ok(NULL.into()));
        }
        self.apply(Change::TransitionStarted);
        if !flow.has_before_emit {
            return self.set_active_done(call, flow, Ok(()));
        }
        // With the session as it is now.
        let session = flow.target.as_ref().and_then(|s| self.signed_in_session(&s.id)).map(|s| s.id);
        let slot = self.0.port.before_emit(call, session);
        let mut flows = self.0.flows.borrow_mut();
        flows.pending.insert(slot, Pending::BeforeEmit(call));
        flows.set_actives.insert(call, flow);
    }

    pub(super) fn before_emit_settled(&self, call: u32, error: Option<String>) {
        let Some(flow) = self.0.flows.borrow_mut().set_actives.remove(&call) else { return };
        let outcome = match error {
            Some(message) => Err(ClerkError::new(codes::BEFORE_EMIT_FAILED, message)),
            None => Ok(()),
        };
        self.set_active_done(call, flow, outcome);
    }

    /// Step 3: the new session, unless a newer call superseded this one meanwhile.
    fn set_active_done(&self, call: u32, flow: SetActiveFlow, before_emit: Result<()>) {
        if self.0.set_active_generation.get() == flow.generation {
            let session = flow.target.as_ref().and_then(|s| self.signed_in_session(&s.id));
            self.apply(Change::Activated(session.map(|s| s.id)));
        }
        self.settle(call, before_emit.map(|()| NULL.into()));
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
    pub(super) fn start_sign_out(&self, call: u32, session_id: Option<&str>) -> Result<()> {
        self.require_loaded()?;
        match session_id {
            Some(id) => self.start_lifecycle(call, id, "remove", true),
            None => self.start_remove_sessions(call, true),
        }
    }
}

/// A `setActive` between its steps.
pub(crate) struct SetActiveFlow {
    session: Selection,
    organization: Selection,
    has_before_emit: bool,
    target: Option<Session>,
    /// Of this call (`set_active_generation`): a newer one supersedes it.
    generation: u64,
}

/// The request of a `setActive` an answer is for.
pub(crate) enum SetActiveStep {
    /// The client was read again: the organization was unknown, with this error if it still is.
    Reloaded(Box<ClerkError>),
    /// `session: null`: the current session (this one) was removed.
    Removed(String),
    /// The new session was touched.
    Touched,
}

/// The session a `setActive` selects and, when it names one, the organization.
type Target = (Option<Session>, Option<Option<String>>);

const NULL: &str = "null";
