//! What the object layer reads besides the client: a version it watches for changes, the
//! sessions the client dropped and the attempt answers, kept (bounded) for objects the app
//! still holds.

use super::clerk::Clerk;
use super::json::Json;
use super::resources::{Session, str_field};
use super::small_map::SmallMap;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Sign-in and sign-up answers kept for attempt objects the app still holds.
const MAX_KEPT_ATTEMPTS: usize = 8;
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
    /// Sign-in and sign-up answers by attempt id, newest last.
    attempts: RefCell<Vec<(String, Json)>>,
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

    pub(super) fn keep_attempt(&self, answer: &Json) {
        let Some(id) = str_field(answer, "id") else { return };
        let mut attempts = self.attempts.borrow_mut();
        attempts.retain(|(kept, _)| kept != id);
        if attempts.len() == MAX_KEPT_ATTEMPTS {
            attempts.remove(0);
        }
        attempts.push((id.to_owned(), answer.clone()));
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

    /// Every attempt answer kept, each as it is now: the client's own while it is the same
    /// attempt, else the last answer about it.
    pub fn attempts(&self) -> Vec<(String, Json)> {
        let client = self.client();
        let live = |id: &str| {
            let client = client.as_deref()?;
            [client.sign_in.as_ref(), client.sign_up.as_ref()].into_iter().flatten().find(|a| str_field(a, "id") == Some(id)).cloned()
        };
        self.0.view.attempts.borrow().iter().map(|(id, answer)| (id.clone(), live(id).unwrap_or_else(|| answer.clone()))).collect()
    }
}
