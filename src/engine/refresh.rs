//! Refresh-ahead: one background task per instance fetches the next token for the active
//! session and organization shortly before the cached one enters its leeway, so `getToken()`
//! does not wait at expiry. A newer schedule, sign-out or `dispose` cancels the task and clears
//! its timer.

use super::clerk::{Clerk, DEFAULT_LEEWAY_MS, REFRESH_MARGIN_MS};
use super::platform::BoxLocal;
use super::task::{TaskHandle, cancellable};
use super::tokens::TokenKey;
use std::cell::RefCell;
use std::rc::Rc;

pub(super) struct RefreshSchedule {
    /// Spreads the refresh of tabs sharing a token, so one refreshes and the others receive it.
    pub(super) jitter_seed: u64,
    /// The token the task is set up for: (key, local time it fires).
    pub(super) target: RefCell<Option<(TokenKey, u64)>>,
    /// The single task; replacing or dropping the handle cancels it and clears its timer.
    pub(super) task: RefCell<Option<TaskHandle>>,
}

impl RefreshSchedule {
    pub(super) fn new(now_ms: u64) -> Self {
        RefreshSchedule {
            jitter_seed: now_ms.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 17,
            target: RefCell::default(),
            task: RefCell::default(),
        }
    }

    pub(super) fn cancel(&self) {
        self.target.borrow_mut().take();
        self.task.borrow_mut().take();
    }
}

impl Clerk {
    /// Refresh-ahead: fetches the next token for the active session and organization shortly
    /// before the cached one enters its leeway, so `getToken()` never waits at expiry. Only
    /// the active key is kept warm (clerk-js refreshes every cached session).
    pub(super) fn schedule_refresh(&self) {
        let key = self.active_token_key().filter(|_| !self.is_disposed());
        let Some(key) = key else {
            self.0.refresh.cancel();
            return;
        };
        let Some(token) = self.0.tokens.ready(&key) else { return };
        let margin = REFRESH_MARGIN_MS.min(token.lifetime_ms / 40);
        let jitter = self.0.refresh.jitter_seed % (margin / 2 + 1);
        let fire_at = token.expires_at_ms.saturating_sub(token.leeway_ms(None, DEFAULT_LEEWAY_MS) + margin + jitter);
        let target = Some((key.clone(), fire_at));
        if *self.0.refresh.target.borrow() == target {
            return; // already set up for this very token
        }
        *self.0.refresh.target.borrow_mut() = target;
        let clock = self.0.clock.clone();
        let weak = Rc::downgrade(&self.0);
        let (task, handle) = cancellable(
            async move {
                // Until an absolute time: the task may first run a little after it was spawned.
                clock.sleep(fire_at.saturating_sub(clock.now_ms())).await;
                let Some(inner) = weak.upgrade() else { return };
                let clerk = Clerk(inner);
                clerk.0.refresh.target.borrow_mut().take();
                let minting = clerk.clone();
                let mint_key = key.clone();
                let Some(refresh) =
                    clerk.0.tokens.refresh(&key, move || async move { minting.mint_token(&mint_key, false).await }.boxed_local())
                else {
                    return;
                };
                // A failure keeps the old token; the next getToken() after it expires asks the
                // server itself.
                if let Ok(token) = refresh.await {
                    if clerk.signed_in_session(&key.session_id).is_none() {
                        clerk.0.tokens.clear_session(&key.session_id);
                    }
                    clerk.schedule_refresh();
                    clerk.token_arrived(&key, &token.jwt, false);
                }
            }
            .boxed_local(),
        );
        // One refresh task per instance: replacing the handle cancels the previous task and
        // clears its timer (2,000 switches used to leave 2,000 timers pending).
        *self.0.refresh.task.borrow_mut() = Some(handle);
        self.0.spawner.spawn(task);
    }
}
