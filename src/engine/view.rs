//! What the object layer reads besides the client: a version it watches for changes, and the
//! sessions the client dropped, kept (bounded) for `Session` objects the app still holds.

use super::clerk::Clerk;
use super::json::Json;
use super::resources::{Session, str_field};

/// Which attempt of the client an attempt object is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptKind {
    SignIn,
    SignUp,
}
use super::small_map::SmallMap;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Sessions the client dropped, kept for `Session` objects the app still holds.
const MAX_KEPT_SESSIONS: usize = 16;

#[derive(Default)]
pub(super) struct ObjectView {
    /// Bumped on every change the object layer can see; it re-reads the snapshot then.
    version: Cell<u64>,
    /// Told (without arguments) that the state changed: the object layer's invalidation.
    on_change: RefCell<Option<Rc<dyn Fn()>>>,
    /// Sessions the client no longer lists, as they last were (held JS objects read them).
    forgotten_sessions: RefCell<SmallMap<String, Session>>,
}

impl ObjectView {
    pub(super) fn changed(&self) {
        self.version.set(self.version.get() + 1);
        let on_change = self.on_change.borrow().clone();
        if let Some(on_change) = on_change {
            on_change();
        }
    }

    pub(super) fn stop(&self) {
        self.on_change.borrow_mut().take();
    }

    pub(super) fn forget_session(&self, session: Session) {
        let mut forgotten = self.forgotten_sessions.borrow_mut();
        if forgotten.len() >= MAX_KEPT_SESSIONS {
            forgotten.remove_oldest();
        }
        forgotten.insert(session.id.clone(), session);
    }

    pub(super) fn forgotten_session(&self, id: &str) -> Option<Session> {
        self.forgotten_sessions.borrow().get(id).cloned()
    }
}

impl Clerk {
    /// Calls `on_change` after every change of what [`Clerk::snapshot`] shows.
    pub fn set_on_change(&self, on_change: Rc<dyn Fn()>) {
        *self.0.view.on_change.borrow_mut() = Some(on_change);
    }

    /// Changes whenever anything the snapshot shows may have changed.
    pub fn state_version(&self) -> u64 {
        self.0.view.version.get()
    }

    /// Sessions the client no longer lists, as they last were.
    pub fn known_sessions(&self) -> Vec<Session> {
        self.0.view.forgotten_sessions.borrow().values().cloned().collect()
    }

    /// What an attempt object shows: the client's current attempt while it is the same
    /// attempt as `answer` (the answer of the step that made the object; none for
    /// `client.signIn`), else `answer` itself (the server drops a completed attempt from the
    /// client). `null` when there is neither.
    pub fn attempt(&self, kind: AttemptKind, answer: Option<&Json>) -> Json {
        let client = self.client();
        let live = client.as_deref().and_then(|c| match kind {
            AttemptKind::SignIn => c.sign_in.as_ref(),
            AttemptKind::SignUp => c.sign_up.as_ref(),
        });
        let id = |j: &Json| str_field(j, "id").map(str::to_owned);
        match (live, answer) {
            (Some(live), Some(answer)) if id(live) == id(answer) => live.clone(),
            (_, Some(answer)) => answer.clone(),
            (live, None) => live.cloned().unwrap_or_default(),
        }
    }
}
