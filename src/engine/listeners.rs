//! The app's listeners: called with the current state when added and after every change they
//! have not seen yet. A listener's failure is kept for inspection and does not stop the others.

use super::clerk::{Listener, Resources};
use std::cell::{Cell, RefCell};

/// Listener errors kept for inspection; older ones are dropped.
const MAX_KEPT_ERRORS: usize = 16;

#[derive(Default)]
pub(super) struct Listeners {
    list: RefCell<Vec<(u64, Listener)>>,
    next_id: Cell<u64>,
    /// What listeners saw last, so the same state is not emitted twice.
    last_emitted: RefCell<Option<Resources>>,
    errors: RefCell<Vec<String>>,
}

impl Listeners {
    /// Registers `listener`, calls it with `now`, and returns its id.
    pub(super) fn add(&self, listener: Listener, now: &Resources) -> u64 {
        let id = self.next_id.get() + 1;
        self.next_id.set(id);
        self.list.borrow_mut().push((id, listener.clone()));
        self.call(&listener, now);
        id
    }

    pub(super) fn remove(&self, id: u64) {
        self.list.borrow_mut().retain(|(i, _)| *i != id);
    }

    pub(super) fn clear(&self) {
        self.list.borrow_mut().clear();
    }

    pub(super) fn take_errors(&self) -> Vec<String> {
        std::mem::take(&mut *self.errors.borrow_mut())
    }

    /// Calls every listener with `resources` unless it is what they saw last (or `again`);
    /// returns whether it was news.
    pub(super) fn notify(&self, resources: &Resources, again: bool) -> bool {
        let news = self.last_emitted.borrow().as_ref() != Some(resources);
        if news {
            *self.last_emitted.borrow_mut() = Some(resources.clone());
        }
        if news || again {
            self.call_all(resources);
        }
        news
    }

    fn call_all(&self, resources: &Resources) {
        // A copy: listeners may add or remove listeners while being called.
        let listeners: Vec<Listener> = self.list.borrow().iter().map(|(_, l)| l.clone()).collect();
        for listener in &listeners {
            self.call(listener, resources);
        }
    }

    fn call(&self, listener: &Listener, resources: &Resources) {
        if let Err(e) = listener(resources) {
            let mut errors = self.errors.borrow_mut();
            if errors.len() == MAX_KEPT_ERRORS {
                errors.remove(0);
            }
            errors.push(e);
        }
    }
}
