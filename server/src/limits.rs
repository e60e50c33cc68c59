//! Failed-attempt limits that span sign-ins. Each sign-in, sign-up and reverification already
//! locks itself after 5 failures, but a fresh one is free to create, so guessing is also capped
//! per subject (the user, or the email address of a sign-up) and per IP address: at most
//! `max_failures` failures in a sliding `window_ms`, after which every attempt, right or wrong,
//! gets a 429 until the oldest failure leaves the window.
//!
//! Kept in memory: a restart forgets them, which an attacker cannot trigger. (A GCRA limiter such
//! as `governor` throttles requests; here only failures count, and a locked key must be refused
//! before the password is even checked, which needs a look without a charge.)

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

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

/// Recent failure times per key.
#[derive(Default)]
pub struct Failures(Mutex<HashMap<Key, VecDeque<i64>>>);

/// Above this many keys, keys whose failures have all expired are dropped.
const PRUNE_ABOVE: usize = 10_000;

impl Failures {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, VecDeque<i64>>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Milliseconds until `key` may try again, if it is at its limit.
    pub fn locked_for(&self, key: &Key, limit: Limit, now: i64) -> Option<i64> {
        let map = self.lock();
        let times = map.get(key)?;
        let recent: Vec<i64> = times.iter().copied().filter(|t| now - t < limit.window_ms).collect();
        if recent.len() < limit.max_failures {
            return None;
        }
        // The attempt frees up when enough failures have left the window to get below the limit.
        let frees_at = recent[recent.len() - limit.max_failures] + limit.window_ms;
        Some((frees_at - now).max(1))
    }

    pub fn record(&self, key: Key, limit: Limit, now: i64) {
        let mut map = self.lock();
        if map.len() > PRUNE_ABOVE {
            map.retain(|_, times| times.back().is_some_and(|t| now - t < limit.window_ms));
        }
        let times = map.entry(key).or_default();
        times.push_back(now);
        while times.front().is_some_and(|t| now - t >= limit.window_ms) || times.len() > limit.max_failures {
            times.pop_front();
        }
    }
}
