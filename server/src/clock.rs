//! The server's notion of "now". Every lifetime (sessions, clients, codes, lockouts, token
//! claims) is read from here, so that a development test can move time on with
//! `POST /__dev/clock` instead of sleeping for days.
//!
//! TOTP codes are the exception: they are checked against the wall clock, because the
//! authenticator app that produced them runs on the wall clock too.

use std::sync::atomic::{AtomicI64, Ordering};

/// Wall-clock time plus an offset that only development endpoints change.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    /// Milliseconds since the Unix epoch, as this server sees them.
    pub fn now_ms(&self) -> i64 {
        crate::util::now_ms().saturating_add(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves time forward (never back: lifetimes already handed out must not grow).
    pub fn advance(&self, ms: i64) {
        self.offset_ms.fetch_add(ms.max(0), Ordering::Relaxed);
    }

    /// How far ahead of the wall clock this server is.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }
}
