//! The ledger of acknowledged writes: what a 2xx answer promised, checked after each kill.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct SessionRec {
    pub id: String,
    pub user_id: String,
    pub client_id: String,
    /// Status after the last acknowledged write: `active`, `ended` or `removed`.
    pub status: &'static str,
    /// A status change sent but never answered (the server died meanwhile): either is valid.
    pub pending: Option<&'static str>,
    /// `last_active_at` of the last acknowledged touch.
    pub touched_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct DevBrowserRec {
    pub token: String,
    /// The session signed in on this client, if the sign-in was acknowledged.
    pub session: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// Created through BAPI `POST /v1/users` or by a completed sign-up: id → email.
    pub users: HashMap<String, String>,
    pub sessions: HashMap<String, SessionRec>,
    pub dev_browsers: Vec<DevBrowserRec>,
    /// Acknowledged write requests, by kind.
    pub acked: BTreeMap<&'static str, u64>,
}

impl Ledger {
    pub fn acked_total(&self) -> u64 {
        self.acked.values().sum()
    }
    pub(crate) fn ack(&mut self, kind: &'static str) {
        *self.acked.entry(kind).or_default() += 1;
    }
}

pub(crate) type SharedLedger = Arc<Mutex<Ledger>>;

pub(crate) fn lock(l: &SharedLedger) -> std::sync::MutexGuard<'_, Ledger> {
    l.lock().unwrap_or_else(|p| p.into_inner())
}
