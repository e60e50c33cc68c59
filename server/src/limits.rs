//! Failed-attempt limits that span sign-ins. Each sign-in, sign-up and reverification already
//! locks itself after 5 failures, but a fresh one is free to create, so guessing is also capped
//! per subject (the user, or the email address of a sign-up) and per IP address: at most
//! `max_failures` failures in a sliding `window_ms`, after which every attempt, right or wrong,
//! gets a 429 until the oldest failure leaves the window.
//!
//! Kept in the database (`attempt_failures`), so that every replica on one PostgreSQL database
//! sees the same counts and a restart forgets nothing. (A GCRA limiter such as `governor`
//! throttles requests; here only failures count, and a locked key must be refused before the
//! password is even checked, which needs a look without a charge.)

use std::net::IpAddr;

use crate::store::{StoreResult, Tx};

/// At most `max_failures` failures within `window_ms`.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub max_failures: usize,
    pub window_ms: i64,
}

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Per user (sign-in, reverification) or per email address (sign-up verification).
    pub per_subject: Limit,
    /// Per client IP address, over every subject (identifier probing, spraying).
    pub per_ip: Limit,
}

impl Default for Limits {
    fn default() -> Self {
        const TEN_MINUTES: i64 = 10 * 60 * 1000;
        Limits {
            per_subject: Limit { max_failures: 20, window_ms: TEN_MINUTES },
            per_ip: Limit { max_failures: 50, window_ms: TEN_MINUTES },
        }
    }
}

/// What an attempt counts against.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    User(String),
    Email(String),
    Ip(IpAddr),
}

impl Key {
    pub fn is_ip(&self) -> bool {
        matches!(self, Key::Ip(_))
    }
}

impl Key {
    /// The key as stored in `attempt_failures`.
    fn stored(&self) -> String {
        match self {
            Key::User(id) => format!("user:{id}"),
            Key::Email(address) => format!("email:{}", address.to_lowercase()),
            Key::Ip(ip) => format!("ip:{ip}"),
        }
    }
}

/// Milliseconds until `key` may try again, if it is at its limit.
pub fn locked_for(tx: &mut dyn Tx, key: &Key, limit: Limit, now: i64) -> StoreResult<Option<i64>> {
    let recent = tx.failures_since(&key.stored(), now - limit.window_ms)?;
    if recent.len() < limit.max_failures {
        return Ok(None);
    }
    // The attempt frees up when enough failures have left the window to get below the limit.
    let frees_at = recent[recent.len() - limit.max_failures] + limit.window_ms;
    Ok(Some((frees_at - now).max(1)))
}

/// Counts a failure against `key` (and forgets its failures older than the window). The
/// transaction must commit for it to count: callers answer the failure with `Outcome::Refused`.
pub fn record(tx: &mut dyn Tx, key: &Key, limit: Limit, now: i64) -> StoreResult<()> {
    tx.record_failure(&key.stored(), now, now - limit.window_ms)
}
