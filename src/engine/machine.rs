//! `Machine`: the engine as inputs in, commands out (issue 23). Every input carries the time;
//! what the engine wants done next is in [`Machine::take`].
//!
//! ```text
//!  host (the driver, pkg-template/src/driver.ts)        engine (this crate, no I/O)
//!  ─────────────────────────────────────────────        ───────────────────────────
//!  a call from the object layer ──── call(id, op) ────▶ ┐
//!  fetch answered / failed ───── response / failure ──▶ │ state changes, rules run
//!  setTimeout fired ─────────────────── timer_fired ──▶ │ (state.rs, tokens.rs,
//!  beforeEmit settled ───────── before_emit_settled ──▶ │  set_active.rs, fapi.rs …)
//!  BroadcastChannel message ─────────── tab_message ──▶ ┘
//!                                                       │
//!  fetch, setTimeout, clearTimeout, ◀──── take() ───────┘ Send, SetTimer, CancelTimer,
//!  localStorage, postMessage, run                         Store, Post, BeforeEmit,
//!  beforeEmit, settle call N, free                        Resolve, Reject, Retire
//! ```
//!
//! The synchronous reads a page lends (its cookies, the dev-browser token in storage at start,
//! the tab's state) stay calls: a [`CookieJar`] and [`PageReads`].

use super::clerk::{BeforeEmit, Clerk, ClerkOptions, Platform};
use super::client_ops::disposed;
use super::cookies::CookieJar;
use super::error::{ClerkError, Result, codes};
use super::ops::Call;
use super::platform::{HttpResponse, TransportError};
use super::port::{Command, PageReads, Port, Reply};
use super::resources::Session;
use std::cell::RefCell;
use std::rc::Rc;

pub struct Machine {
    clerk: Clerk,
    port: Port,
    /// Calls not settled yet: a dispose rejects them.
    calls: Rc<RefCell<Vec<u32>>>,
}

impl Machine {
    pub fn new(
        publishable_key: &str,
        options: ClerkOptions,
        now_ms: u64,
        page: Rc<dyn PageReads>,
        cookies: Rc<dyn CookieJar>,
    ) -> Result<Machine> {
        let port = Port::new(now_ms, page);
        let platform = Platform {
            transport: Rc::new(port.clone()),
            clock: Rc::new(port.clone()),
            storage: Rc::new(port.clone()),
            spawner: Rc::new(port.clone()),
            broadcast: Rc::new(port.clone()),
            cookies,
        };
        let clerk = Clerk::new(publishable_key, options, platform)?;
        Ok(Machine { clerk, port, calls: Rc::default() })
    }

    pub fn clerk(&self) -> &Clerk {
        &self.clerk
    }

    /// The time of the input about to be given.
    pub fn at(&self, now_ms: u64) {
        self.port.at(now_ms);
    }

    /// Starts call `id`; it settles with a `Resolve` or `Reject` command, at once when it needs
    /// no I/O (a cached token). `has_before_emit`: a setActive whose `beforeEmit` the host holds.
    pub fn call(&self, id: u32, op: Call, args: &str, has_before_emit: bool) {
        let before_emit = has_before_emit.then(|| {
            let port = self.port.clone();
            let callback: BeforeEmit = Box::new(move |session: Option<Session>| {
                let waiting = port.before_emit(id, session.map(|s| s.id));
                Box::pin(async move {
                    match waiting.await {
                        Reply::Settled(Some(message)) => Err(ClerkError::new(codes::BEFORE_EMIT_FAILED, message)),
                        _ => Ok(()),
                    }
                })
            });
            callback
        });
        // Listed before it runs: the call leaves the list when it settles, at once or later.
        self.calls.borrow_mut().push(id);
        let (clerk, port, calls, args) = (self.clerk.clone(), self.port.clone(), self.calls.clone(), args.to_owned());
        use super::platform::Spawner;
        self.port.spawn(Box::pin(async move {
            let outcome = clerk.call(op, &args, before_emit).await;
            calls.borrow_mut().retain(|c| *c != id);
            port.push(settle(id, outcome));
        }));
        // A call the cache answers is done in this first run: its Resolve is in this input's
        // commands.
        self.port.run();
    }

    /// Refuses call `id` before it starts (an operation this engine does not know).
    pub fn refuse(&self, id: u32, error: ClerkError) {
        self.port.push(settle(id, Err(error)));
    }

    /// The answer to request `request`.
    pub fn response(&self, request: u32, response: HttpResponse) {
        self.port.reply(request, Reply::Http(Ok(response)));
    }

    /// Request `request` failed below HTTP (no connection, CORS, aborted): `message` says how.
    pub fn failure(&self, request: u32, message: String) {
        self.port.reply(request, Reply::Http(Err(TransportError(message))));
    }

    pub fn timer_fired(&self, timer: u32) {
        self.port.reply(timer, Reply::Fired);
    }

    /// A `beforeEmit` finished: `error` is the message of what it threw, if it did.
    pub fn before_emit_settled(&self, slot: u32, error: Option<String>) {
        self.port.reply(slot, Reply::Settled(error));
    }

    /// A message another tab posted.
    pub fn tab_message(&self, message: &str) {
        self.clerk.receive_broadcast(message);
        self.port.run();
    }

    /// The commands since the last take, as one JSON array (`""` for none).
    pub fn take(&self) -> String {
        self.port.take()
    }

    pub fn take_commands(&self) -> Vec<Command> {
        self.port.take_commands()
    }

    /// Unsettled tasks (operations and the background refresh); tests check none is left.
    pub fn task_count(&self) -> usize {
        self.port.task_count()
    }

    /// Stops the instance for good (see [`Clerk::dispose`]): calls under way reject with
    /// `clerk_disposed`, their requests' answers are ignored, every timer is cancelled, and the
    /// last command, `Retire`, tells the host to free the instance. Idempotent.
    pub fn dispose(&self) {
        if self.clerk.is_disposed() {
            return;
        }
        self.clerk.dispose();
        let error = disposed().to_json().to_text();
        for call in std::mem::take(&mut *self.calls.borrow_mut()) {
            self.port.push(Command::Reject { call, error: error.clone() });
        }
        self.port.push(Command::Retire { snapshot: self.clerk.snapshot(), error });
        // Dropping the tasks drops their waits: each pending timer commands its CancelTimer.
        self.port.stop();
    }
}

impl Drop for Machine {
    /// The tasks hold the instance: dropping them frees it.
    fn drop(&mut self) {
        self.port.stop();
    }
}

fn settle(call: u32, outcome: Result<String>) -> Command {
    match outcome {
        Ok(json) => Command::Resolve { call, json },
        Err(error) => Command::Reject { call, error: error.to_json().to_text() },
    }
}
