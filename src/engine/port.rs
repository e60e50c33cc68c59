//! The engine's I/O as data (issue 23): the platform traits implemented over an outbox of
//! [`Command`]s and a table of pending replies that inputs fill. Nothing here performs I/O; the
//! host (the object layer's driver in a browser, a loop in the native tests) takes the commands,
//! performs them and feeds back what came of them (see [`super::machine::Machine`]).
//!
//! No operation waits inside the engine: each step of one ends by commanding what it needs
//! (a request, a timer, a `beforeEmit`) and is continued by the input that answers it
//! ([`super::flow`]), so there is no executor, no future and no waker here.

use super::json::write_string;
use super::platform::{Body, HttpRequest, Method};
use super::text::push_decimal;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// What the engine asks its host to do. Each has a number on the wire (see [`Command::write`]),
/// which `pkg-template/src/driver.ts` switches on.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// `fetch` this request (credentials included); answer with `response` or `failure`. On the
    /// wire: `[0, request, post (0/1), url, content type | null, body | null, bytes (1)?]`.
    Send { request: u32, http: HttpRequest },
    /// Call `timer_fired(timer)` after `ms` milliseconds.
    SetTimer { timer: u32, ms: u64 },
    /// The timer is no longer wanted (it may have fired already).
    CancelTimer { timer: u32 },
    /// `localStorage.setItem(key, value)`, or `removeItem(key)` for `None`.
    Store { key: String, value: Option<String> },
    /// Post `message` to the other tabs of this origin.
    Post { message: String },
    /// Run call `call`'s `beforeEmit` with `session` (an id or `null`), await it, then answer
    /// `before_emit_settled(slot, error)`.
    BeforeEmit { slot: u32, call: u32, session: Option<String> },
    /// Call `call` resolved with this JSON text.
    Resolve { call: u32, json: String },
    /// Call `call` resolved with the same JSON string as the last `Resolve` whose JSON was a
    /// string (the same cached token again, [`Port::settle_token`]): the ~700 bytes of a JWT
    /// need not be written, cross and be decoded for every `getToken()`. On the wire: `[9, call]`.
    Again { call: u32 },
    /// Call `call` rejected with this error JSON ([`super::ClerkError::to_json`]).
    Reject { call: u32, error: String },
    /// The instance was disposed: free it now. What it still shows is `snapshot`, and every
    /// later call or query fails with `error` (`clerk_disposed`). Freed at once rather than when
    /// its JS wrapper is collected: wasm memory does not prompt a major GC, and a page that
    /// re-creates its instance grew by ~45 KB a cycle until one came (tests/js/soak.mjs).
    Retire { snapshot: String, error: String },
}

impl Command {
    /// `[kind, …]`: JSON values, with `Resolve`'s and `Reject`'s JSON embedded as values (one
    /// `JSON.parse` on the JS side for all of it). Bytes (a file upload) go as a string of
    /// Latin-1 characters, one per byte.
    fn write(&self, out: &mut String) {
        let number = push_decimal;
        let text_or_null = |out: &mut String, s: Option<&str>| match s {
            Some(s) => write_string(s, out),
            None => out.push_str("null"),
        };
        out.push('[');
        match self {
            Command::Send { request, http } => {
                out.push_str("0,");
                number(out, u64::from(*request));
                out.push_str(if http.method == Method::Post { ",1," } else { ",0," });
                write_string(&http.url, out);
                out.push(',');
                match &http.body {
                    None => out.push_str("null,null"),
                    Some(Body::Form(form)) => {
                        write_string("application/x-www-form-urlencoded", out);
                        out.push(',');
                        write_string(form, out);
                    }
                    Some(Body::Bytes { content_type, bytes }) => {
                        write_string(content_type, out);
                        out.push(',');
                        let latin1: String = bytes.iter().map(|&b| char::from(b)).collect();
                        write_string(&latin1, out);
                        out.push_str(",1");
                    }
                }
            }
            Command::SetTimer { timer, ms } => {
                out.push_str("1,");
                number(out, u64::from(*timer));
                out.push(',');
                number(out, *ms);
            }
            Command::CancelTimer { timer } => {
                out.push_str("2,");
                number(out, u64::from(*timer));
            }
            Command::Store { key, value } => {
                out.push_str("3,");
                write_string(key, out);
                out.push(',');
                text_or_null(out, value.as_deref());
            }
            Command::Post { message } => {
                out.push_str("4,");
                write_string(message, out);
            }
            Command::BeforeEmit { slot, call, session } => {
                out.push_str("5,");
                number(out, u64::from(*slot));
                out.push(',');
                number(out, u64::from(*call));
                out.push(',');
                text_or_null(out, session.as_deref());
            }
            Command::Retire { snapshot, error } => {
                out.push_str("8,");
                write_string(snapshot, out);
                out.push(',');
                out.push_str(error);
            }
            Command::Again { call } => {
                out.push_str("9,");
                number(out, u64::from(*call));
            }
            Command::Resolve { call, json } | Command::Reject { call, error: json } => {
                out.push_str(if matches!(self, Command::Resolve { .. }) { "6," } else { "7," });
                number(out, u64::from(*call));
                out.push(',');
                out.push_str(json);
            }
        }
        out.push(']');
    }
}

/// The commands as one JSON array (`""` when there are none, so the host skips the parse).
pub fn encode(commands: &[Command]) -> String {
    // Sized once: a settled call's answer (a token, a client) is most of it.
    let payload: usize = commands
        .iter()
        .map(|c| match c {
            Command::Resolve { json, .. } | Command::Reject { error: json, .. } => json.len(),
            _ => 0,
        })
        .sum();
    let mut out = String::with_capacity(payload + 32 * commands.len());
    for (i, command) in commands.iter().enumerate() {
        out.push(if i == 0 { '[' } else { ',' });
        command.write(&mut out);
    }
    if !out.is_empty() {
        out.push(']');
    }
    out
}

/// What the host lends synchronously: the dev-browser token in storage (read once, at start)
/// and how the user sees the tab (read when a token request is built: clerk-js sends it).
pub trait PageReads {
    fn stored(&self, key: &str) -> Option<String>;
    fn tab_state(&self) -> Option<&'static str>;
}

struct PortState {
    /// The time of the input being handled.
    now: Cell<u64>,
    /// Requests, timers and `beforeEmit` slots share one numbering: an input names one.
    next_id: Cell<u32>,
    outbox: RefCell<Vec<Command>>,
    /// Calls started and not settled yet: a dispose rejects them.
    open_calls: RefCell<Vec<u32>>,
    /// The token the last call answered with a string resolved with, while it was a token
    /// (`settle_token`), which an `Again` repeats.
    last_token: RefCell<Option<Rc<str>>>,
    page: Rc<dyn PageReads>,
}

/// The outbox the engine writes its commands to, with the time of the current input. Cheap to
/// clone (one `Rc`).
#[derive(Clone)]
pub struct Port(Rc<PortState>);

impl Port {
    pub fn new(now_ms: u64, page: Rc<dyn PageReads>) -> Port {
        Port(Rc::new(PortState {
            now: Cell::new(now_ms),
            next_id: Cell::new(0),
            outbox: RefCell::default(),
            open_calls: RefCell::default(),
            last_token: RefCell::default(),
            page,
        }))
    }

    /// The time of the input about to be handled.
    pub fn at(&self, now_ms: u64) {
        self.0.now.set(now_ms);
    }

    pub fn push(&self, command: Command) {
        self.0.outbox.borrow_mut().push(command);
    }

    /// The commands since the last take, as one JSON array (`""` for none).
    pub fn take(&self) -> String {
        // Encoded in place: the outbox keeps its capacity for the next input.
        let mut outbox = self.0.outbox.borrow_mut();
        let text = encode(&outbox);
        outbox.clear();
        text
    }

    /// The commands since the last take, as values (native drivers).
    pub fn take_commands(&self) -> Vec<Command> {
        std::mem::take(&mut *self.0.outbox.borrow_mut())
    }

    fn next_id(&self) -> u32 {
        let id = self.0.next_id.get() + 1;
        self.0.next_id.set(id);
        id
    }

    /// Commands `fetch(http)`; the answer comes back as an input naming the returned id.
    pub(crate) fn send(&self, http: HttpRequest) -> u32 {
        let request = self.next_id();
        self.push(Command::Send { request, http });
        request
    }

    /// Commands a timer of `ms`; it fires as an input naming the returned id.
    pub(crate) fn set_timer(&self, ms: u64) -> u32 {
        let timer = self.next_id();
        self.push(Command::SetTimer { timer, ms });
        timer
    }

    pub(crate) fn cancel_timer(&self, timer: u32) {
        self.push(Command::CancelTimer { timer });
    }

    /// Commands call `call`'s `beforeEmit`; its settling comes back naming the returned slot.
    pub(crate) fn before_emit(&self, call: u32, session: Option<String>) -> u32 {
        let slot = self.next_id();
        self.push(Command::BeforeEmit { slot, call, session });
        slot
    }

    pub(crate) fn open(&self, call: u32) {
        self.0.open_calls.borrow_mut().push(call);
    }

    /// Call `call` is done: `Resolve` with its JSON text or `Reject` with the error's JSON.
    pub(crate) fn settle(&self, call: u32, outcome: super::error::Result<String>) {
        self.close(call);
        self.push(match outcome {
            Ok(json) => {
                if json.starts_with('"') {
                    // Another string: an `Again` now would repeat it, not the last token.
                    self.0.last_token.borrow_mut().take();
                }
                Command::Resolve { call, json }
            }
            Err(error) => Command::Reject { call, error: error.to_json().to_text() },
        });
    }

    /// Call `call` resolved with the token `jwt`: `Again` when it is the very token the last
    /// string answer was (a cached one), else the token in full.
    pub(crate) fn settle_token(&self, call: u32, jwt: &Rc<str>) {
        self.close(call);
        let again = self.0.last_token.borrow_mut().replace(jwt.clone()).is_some_and(|last| Rc::ptr_eq(&last, jwt));
        self.push(if again {
            Command::Again { call }
        } else {
            let mut json = String::with_capacity(jwt.len() + 2);
            write_string(jwt, &mut json);
            Command::Resolve { call, json }
        });
    }

    fn close(&self, call: u32) {
        self.0.open_calls.borrow_mut().retain(|c| *c != call);
    }

    /// The calls not settled yet, which stop being open.
    pub(crate) fn take_open_calls(&self) -> Vec<u32> {
        std::mem::take(&mut *self.0.open_calls.borrow_mut())
    }

    pub(crate) fn tab_state(&self) -> Option<&'static str> {
        self.0.page.tab_state()
    }

    /// Milliseconds since the Unix epoch, as the current input said.
    pub fn now_ms(&self) -> u64 {
        self.0.now.get()
    }

    /// What `localStorage` held under `key` when the page lent it (the host reads it).
    pub(crate) fn stored(&self, key: &str) -> Option<String> {
        self.0.page.stored(key)
    }

    /// `localStorage.setItem(key, value)`, or `removeItem(key)` for `None`.
    pub(crate) fn store(&self, key: &str, value: Option<&str>) {
        self.push(Command::Store { key: key.into(), value: value.map(Into::into) });
    }

    /// A message to the other tabs of this origin.
    pub(crate) fn post(&self, message: &str) {
        self.push(Command::Post { message: message.into() });
    }
}
