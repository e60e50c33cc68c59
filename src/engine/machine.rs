//! `Machine`: the engine as inputs in, commands out (issue 23). Every input carries the time;
//! what the engine wants done next is in [`Machine::take`].
//!
//! ```text
//!  host (the driver, pkg-template/src/driver.ts)        engine (this crate, no I/O)
//!  ─────────────────────────────────────────────        ───────────────────────────
//!  a call from the object layer ──── call(id, op) ────▶ ┐
//!  fetch answered / failed ───── response / failure ──▶ │ state changes, rules run
//!  setTimeout fired ─────────────────── timer_fired ──▶ │ (flow.rs: what the id is for,
//!  beforeEmit settled ───────── before_emit_settled ──▶ │  exchange.rs, tokens.rs, …)
//!  BroadcastChannel message ─────────── tab_message ──▶ ┘
//!                                                       │
//!  fetch, setTimeout, clearTimeout, ◀──── take() ───────┘ Send, SetTimer, CancelTimer,
//!  localStorage, postMessage, run                         Store, Post, BeforeEmit,
//!  beforeEmit, settle call N, free                        Resolve, Again, Reject, Retire
//! ```
//!
//! The synchronous reads a page lends (its cookies, the dev-browser token in storage at start,
//! the tab's state) stay calls: a [`CookieJar`] and [`PageReads`].

use super::clerk::{Clerk, ClerkOptions};
use super::client_ops::disposed;
use super::cookies::CookieJar;
use super::error::{ClerkError, Result};
use super::flow::Input;
use super::ops::Call;
use super::platform::HttpResponse;
use super::port::{Command, PageReads, Port};
use std::rc::Rc;

pub struct Machine {
    clerk: Clerk,
    port: Port,
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
        let clerk = Clerk::new(publishable_key, options, port.clone(), cookies)?;
        Ok(Machine { clerk, port })
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
        self.clerk.call(id, op, args, has_before_emit);
    }

    /// Refuses call `id` before it starts (an operation this engine does not know).
    pub fn refuse(&self, id: u32, error: ClerkError) {
        self.port.settle(id, Err(error));
    }

    /// The answer to request `request`.
    pub fn response(&self, request: u32, response: HttpResponse) {
        self.clerk.input(request, Input::Response(response));
    }

    /// Request `request` failed below HTTP (no connection, CORS, aborted): `message` says how.
    pub fn failure(&self, request: u32, message: String) {
        self.clerk.input(request, Input::Failure(message));
    }

    pub fn timer_fired(&self, timer: u32) {
        self.clerk.input(timer, Input::Timer);
    }

    /// A `beforeEmit` finished: `error` is the message of what it threw, if it did.
    pub fn before_emit_settled(&self, slot: u32, error: Option<String>) {
        self.clerk.input(slot, Input::BeforeEmitSettled(error));
    }

    /// A message another tab posted.
    pub fn tab_message(&self, message: &str) {
        self.clerk.receive_broadcast(message);
    }

    /// The commands since the last take, as one JSON array (`""` for none).
    pub fn take(&self) -> String {
        self.port.take()
    }

    pub fn take_commands(&self) -> Vec<Command> {
        self.port.take_commands()
    }

    /// Requests, timers and `beforeEmit`s the engine still waits on; tests check none is left.
    pub fn pending_count(&self) -> usize {
        self.clerk.pending_count()
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
        for call in self.port.take_open_calls() {
            self.port.push(Command::Reject { call, error: error.clone() });
        }
        self.port.push(Command::Retire { snapshot: self.clerk.snapshot(), error });
    }
}
