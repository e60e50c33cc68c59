//! Where every operation under way stands, as data: what each outstanding request, timer and
//! `beforeEmit` is for, and the multi-step calls (`load`, `setActive`) between their steps.
//! An input names an id; [`Clerk::input`] takes its entry out of the table and continues it
//! with a plain function, which commands the next step or settles the call. There is no
//! executor: nothing runs between inputs.

use super::clerk::Clerk;
use super::exchange::{Exchange, Outcome};
use super::set_active::SetActiveFlow;
use super::small_map::SmallMap;
use super::tokens::TokenKey;

/// What an outstanding id stands for.
pub(crate) enum Pending {
    /// A request of this exchange is out.
    Reply(Box<Exchange>),
    /// This exchange waits out its back-off.
    Backoff(Box<Exchange>),
    /// The refresh-ahead timer of the active token ([`super::refresh`]).
    Refresh,
    /// Call N's `beforeEmit` runs in the host.
    BeforeEmit(u32),
}

/// What an exchange's outcome is for.
pub(crate) enum Then {
    /// The last step of single-request call N.
    Call(u32, Purpose),
    /// A step of `load()` call N.
    Load(u32, LoadStep),
    /// A step of `setActive` call N.
    SetActive(u32, super::set_active::SetActiveStep),
    /// The token cache's request `request` for `key`: every caller waiting on it hears of it.
    Mint { key: TokenKey, request: u64 },
    /// Another tab signed a session in: the client read again to learn it ([`super::sync`]).
    TabReload,
}

/// What the answer to a single-request call means: each has one function that concludes it
/// (`Clerk::conclude`).
pub(crate) enum Purpose {
    /// The answer is the client (or `null`), which replaces ours: `client.reload()`, `create()`.
    Client,
    ClientDestroyed,
    /// `DELETE /client/sessions`; `sign_out`: the call answers `null` and forgets every token.
    SessionsRemoved {
        sign_out: bool,
    },
    /// End or remove `session`; `sign_out`: the call answers `null`.
    Lifecycle {
        session: String,
        sign_out: bool,
    },
    /// The answer's `response` is a session.
    Session,
    /// The answer's `response` is the call's answer (sign-in and sign-up steps, reverification).
    Response,
    /// `Call::Resource`, for the active `session` at the time it was sent.
    Resource {
        session: Option<String>,
        mutating: bool,
        list: bool,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoadStep {
    DevBrowser,
    Environment,
    Client,
}

/// A `load()` between its two requests: what each answered.
#[derive(Default)]
pub(crate) struct LoadJoin {
    pub(crate) environment: Option<Outcome>,
    pub(crate) client: Option<Outcome>,
}

/// A token request's callers, as they asked.
pub(crate) enum Waiter {
    /// `getToken()` call N: `throw_on_error` as it asked, `forced` when it skipped the cache.
    Call { call: u32, throw_on_error: bool, forced: bool },
    /// The refresh-ahead of the active token.
    Refresh,
}

#[derive(Default)]
pub(crate) struct Flows {
    pub(crate) pending: SmallMap<u32, Pending>,
    pub(crate) loads: SmallMap<u32, LoadJoin>,
    pub(crate) set_actives: SmallMap<u32, SetActiveFlow>,
    /// The callers of each token request under way, by the cache's request number.
    pub(crate) minting: SmallMap<u64, Vec<Waiter>>,
}

/// An input that names an id.
pub(crate) enum Input {
    Response(super::platform::HttpResponse),
    Failure(String),
    Timer,
    /// `beforeEmit` settled: the message of what it threw, if it did.
    BeforeEmitSettled(Option<String>),
}

impl Clerk {
    /// Continues whatever id `id` stands for. An id nothing waits on any more (answered after
    /// a dispose, a timer cancelled as it fired) changes nothing.
    pub(crate) fn input(&self, id: u32, input: Input) {
        let Some(pending) = self.0.flows.borrow_mut().pending.remove(&id) else { return };
        match (pending, input) {
            (Pending::Reply(exchange), Input::Response(response)) => self.answered(*exchange, Ok(response)),
            (Pending::Reply(exchange), Input::Failure(message)) => self.answered(*exchange, Err(message)),
            (Pending::Backoff(exchange), Input::Timer) => self.resend(*exchange),
            (Pending::Refresh, Input::Timer) => self.refresh_due(id),
            (Pending::BeforeEmit(call), Input::BeforeEmitSettled(error)) => self.before_emit_settled(call, error),
            // An input of the wrong kind for its id: the host is confused; the entry stays.
            (pending, _) => {
                self.0.flows.borrow_mut().pending.insert(id, pending);
            }
        }
    }

    /// An exchange is done: its outcome goes where it was meant to.
    pub(super) fn finish(&self, then: Then, outcome: Outcome) {
        match then {
            Then::Load(call, step) => self.load_step(call, step, outcome),
            Then::SetActive(call, step) => self.set_active_step(call, step, outcome),
            Then::Call(call, purpose) => {
                let answer = outcome.and_then(|body| self.conclude(purpose, body));
                self.settle(call, answer);
            }
            Then::Mint { key, request } => self.minted(key, request, outcome),
            Then::TabReload => self.tab_reloaded(outcome),
        }
    }

    /// Call `call` is done.
    pub(super) fn settle(&self, call: u32, answer: super::error::Result<String>) {
        self.0.port.settle(call, answer);
    }

    /// Forgets everything under way (a dispose): the host is told to cancel each timer, and
    /// the answers still to come are ignored.
    pub(crate) fn abandon_flows(&self) {
        let pending = {
            let mut flows = self.0.flows.borrow_mut();
            flows.loads.clear();
            flows.set_actives.clear();
            flows.minting.clear();
            flows.pending.drain()
        };
        for (id, pending) in pending {
            if matches!(pending, Pending::Backoff(_) | Pending::Refresh) {
                self.0.port.cancel_timer(id);
            }
        }
    }

    /// Ids something waits on: requests, timers, `beforeEmit`s (tests check none is left).
    pub fn pending_count(&self) -> usize {
        self.0.flows.borrow().pending.len()
    }
}
