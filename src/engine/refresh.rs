//! Refresh-ahead: one timer per instance fetches the next token for the active session and
//! organization shortly before the cached one enters its leeway, so `getToken()` does not wait
//! at expiry. A newer schedule, sign-out or `dispose` cancels the timer (`CancelTimer`).

use super::clerk::{Clerk, DEFAULT_LEEWAY_MS, REFRESH_MARGIN_MS};
use super::flow::{Pending, Waiter};
use super::tokens::TokenKey;
use std::cell::RefCell;

pub(super) struct RefreshSchedule {
    /// Spreads the refresh of tabs sharing a token, so one refreshes and the others receive it.
    pub(super) jitter_seed: u64,
    /// The token the timer is set up for: (key, local time it fires).
    pub(super) target: RefCell<Option<(TokenKey, u64)>>,
    /// The single timer's id.
    pub(super) timer: std::cell::Cell<Option<u32>>,
}

impl RefreshSchedule {
    pub(super) fn new(now_ms: u64) -> Self {
        RefreshSchedule {
            jitter_seed: now_ms.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 17,
            target: RefCell::default(),
            timer: std::cell::Cell::new(None),
        }
    }
}

impl Clerk {
    /// Refresh-ahead: fetches the next token for the active session and organization shortly
    /// before the cached one enters its leeway, so `getToken()` never waits at expiry. Only
    /// the active key is kept warm (clerk-js refreshes every cached session).
    pub(super) fn schedule_refresh(&self) {
        let key = self.active_token_key().filter(|_| !self.is_disposed());
        let Some(key) = key else {
            self.cancel_refresh();
            return;
        };
        let Some(token) = self.0.tokens.ready(&key) else { return };
        let margin = REFRESH_MARGIN_MS.min(token.lifetime_ms / 40);
        let jitter = self.0.refresh.jitter_seed % (margin / 2 + 1);
        let fire_at = token.expires_at_ms.saturating_sub(token.leeway_ms(None, DEFAULT_LEEWAY_MS) + margin + jitter);
        let target = Some((key, fire_at));
        if *self.0.refresh.target.borrow() == target {
            return; // already set up for this very token
        }
        *self.0.refresh.target.borrow_mut() = target;
        // One refresh timer per instance: a new one replaces the previous (2,000 switches used
        // to leave 2,000 timers pending).
        self.cancel_refresh_timer();
        let timer = self.0.port.set_timer(fire_at.saturating_sub(self.now_ms()));
        self.0.refresh.timer.set(Some(timer));
        self.0.flows.borrow_mut().pending.insert(timer, Pending::Refresh);
    }

    /// The refresh-ahead timer's id while one is set (a test host starts it only when the test
    /// lets time run in the background).
    #[doc(hidden)]
    pub fn refresh_timer(&self) -> Option<u32> {
        self.0.refresh.timer.get()
    }

    /// Stops refreshing ahead (sign-out, dispose).
    pub(super) fn cancel_refresh(&self) {
        self.0.refresh.target.borrow_mut().take();
        self.cancel_refresh_timer();
    }

    fn cancel_refresh_timer(&self) {
        if let Some(timer) = self.0.refresh.timer.take() {
            self.0.flows.borrow_mut().pending.remove(&timer);
            self.0.port.cancel_timer(timer);
        }
    }

    /// The refresh timer `timer` fired: the next token is fetched, and callers asking for it
    /// meanwhile wait on that request.
    pub(super) fn refresh_due(&self, timer: u32) {
        if self.0.refresh.timer.get() != Some(timer) {
            return;
        }
        self.0.refresh.timer.set(None);
        let Some((key, _)) = self.0.refresh.target.borrow_mut().take() else { return };
        let Some(request) = self.0.tokens.begin_refresh(&key) else { return };
        self.0.flows.borrow_mut().minting.insert(request, vec![Waiter::Refresh]);
        self.mint(key, request, false);
    }
}
