//! The engine's I/O as data (issue 23): the platform traits implemented over an outbox of
//! [`Command`]s and a table of pending replies that inputs fill. Nothing here performs I/O; the
//! host (the object layer's driver in a browser, a loop in the native tests) takes the commands,
//! performs them and feeds back what came of them (see [`super::machine::Machine`]).
//!
//! The operations are still `async fn`s, so a small run loop polls them after each input. It
//! polls only tasks whose waker fired, and every waker fires from an input, so it never spins.

use super::json::write_string;
use super::platform::LocalBoxFuture;
use super::platform::{Body, Broadcast, Clock, HttpRequest, HttpResponse, Method, Spawner, Storage, Transport, TransportError};
use super::small_map::SmallMap;
use super::text::push_decimal;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

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

/// What an input brings to a pending request, timer or `beforeEmit`.
pub(crate) enum Reply {
    Http(Result<HttpResponse, TransportError>),
    Fired,
    /// `beforeEmit` finished: `None`, or the message of what it threw.
    Settled(Option<String>),
}

#[derive(Default)]
struct Pending {
    reply: Option<Reply>,
    waker: Option<Waker>,
}

/// A task's waker: it marks the task for the run loop's next pass.
#[derive(Default)]
struct Woken(AtomicBool);

impl Wake for Woken {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::Relaxed);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::Relaxed);
    }
}

struct Task {
    future: LocalBoxFuture<'static, ()>,
    woken: Arc<Woken>,
}

/// What the host lends synchronously: the dev-browser token in storage (read once, at start)
/// and how the user sees the tab (read when a token request is built: clerk-js sends it).
pub trait PageReads {
    fn stored(&self, key: &str) -> Option<String>;
    /// `focused`, `visible` or `hidden`; `None` where there is no page.
    fn tab_state(&self) -> Option<&'static str>;
}

struct PortState {
    now: Cell<u64>,
    next_id: Cell<u32>,
    outbox: RefCell<Vec<Command>>,
    pending: RefCell<SmallMap<u32, Pending>>,
    /// Taken out while polled, so a task may spawn others (pushed at the end); compacted only
    /// by the outermost run, since a listener may call in while a task is polled.
    tasks: RefCell<Vec<Option<Task>>>,
    depth: Cell<u32>,
    page: Rc<dyn PageReads>,
}

/// The platform of an engine driven by inputs. Cloned into each of the engine's trait objects.
#[derive(Clone)]
pub struct Port(Rc<PortState>);

impl Port {
    pub fn new(now_ms: u64, page: Rc<dyn PageReads>) -> Port {
        Port(Rc::new(PortState {
            now: Cell::new(now_ms),
            next_id: Cell::new(0),
            outbox: RefCell::default(),
            pending: RefCell::default(),
            tasks: RefCell::default(),
            depth: Cell::new(0),
            page,
        }))
    }

    /// Every input brings the time.
    pub fn at(&self, now_ms: u64) {
        self.0.now.set(now_ms);
    }

    pub fn push(&self, command: Command) {
        self.0.outbox.borrow_mut().push(command);
    }

    /// The commands so far, in order, as JSON text (`""` for none).
    pub fn take(&self) -> String {
        // Encoded in place: the outbox keeps its capacity for the next input.
        let mut outbox = self.0.outbox.borrow_mut();
        let text = encode(&outbox);
        outbox.clear();
        text
    }

    pub fn take_commands(&self) -> Vec<Command> {
        std::mem::take(&mut *self.0.outbox.borrow_mut())
    }

    fn next_id(&self) -> u32 {
        let id = self.0.next_id.get() + 1;
        self.0.next_id.set(id);
        id
    }

    /// A future for the reply to `id` (a request, timer or `beforeEmit` just commanded).
    pub(crate) fn wait(&self, id: u32, timer: bool) -> Waiting {
        self.0.pending.borrow_mut().insert(id, Pending::default());
        Waiting { port: self.clone(), id, timer }
    }

    /// Fills the reply to `id` and runs what waited on it. A reply nobody waits for any more
    /// (a request of a disposed instance, a cancelled timer) is dropped.
    pub(crate) fn reply(&self, id: u32, reply: Reply) {
        let waker = {
            let mut pending = self.0.pending.borrow_mut();
            let Some(slot) = pending.get_mut(&id) else { return };
            slot.reply = Some(reply);
            slot.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        self.run();
    }

    /// Polls every woken task until none is left woken.
    pub fn run(&self) {
        let state = &self.0;
        state.depth.set(state.depth.get() + 1);
        loop {
            let mut ran = false;
            let mut index = 0;
            while index < state.tasks.borrow().len() {
                let task = {
                    let mut tasks = state.tasks.borrow_mut();
                    let woken = tasks[index].as_ref().is_some_and(|t| t.woken.0.swap(false, Ordering::Relaxed));
                    if woken { tasks[index].take() } else { None }
                };
                if let Some(mut task) = task {
                    ran = true;
                    let waker = Waker::from(task.woken.clone());
                    if task.future.as_mut().poll(&mut Context::from_waker(&waker)).is_pending() {
                        // A dispose while it ran emptied the list: the task goes with the others.
                        if let Some(place) = state.tasks.borrow_mut().get_mut(index) {
                            *place = Some(task);
                        }
                    }
                }
                index += 1;
            }
            if !ran {
                break;
            }
        }
        state.depth.set(state.depth.get() - 1);
        if state.depth.get() == 0 {
            state.tasks.borrow_mut().retain(Option::is_some);
        }
    }

    /// Drops every task (and so every wait: timers are cancelled) and every pending reply.
    pub fn stop(&self) {
        let tasks = std::mem::take(&mut *self.0.tasks.borrow_mut());
        drop(tasks);
        self.0.pending.borrow_mut().clear();
    }

    /// Tasks not finished yet (for tests: nothing may be left behind).
    pub fn task_count(&self) -> usize {
        self.0.tasks.borrow().iter().flatten().count()
    }
}

/// Waits for the reply to one request, timer or `beforeEmit`. Dropped before it came, it is
/// forgotten, and a timer is cancelled (a cancelled refresh leaves no timer pending).
pub(crate) struct Waiting {
    port: Port,
    id: u32,
    timer: bool,
}

impl Future for Waiting {
    type Output = Reply;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Reply> {
        let mut pending = self.port.0.pending.borrow_mut();
        let Some(slot) = pending.get_mut(&self.id) else { return Poll::Pending };
        match slot.reply.take() {
            Some(reply) => {
                pending.remove(&self.id);
                Poll::Ready(reply)
            }
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        let was_pending = self.port.0.pending.borrow_mut().remove(&self.id).is_some();
        if was_pending && self.timer {
            self.port.push(Command::CancelTimer { timer: self.id });
        }
    }
}

impl Transport for Port {
    fn send(&self, http: HttpRequest) -> LocalBoxFuture<'static, Result<HttpResponse, TransportError>> {
        let request = self.next_id();
        self.push(Command::Send { request, http });
        let waiting = self.wait(request, false);
        Box::pin(async move {
            match waiting.await {
                Reply::Http(outcome) => outcome,
                _ => Err(TransportError("no response".into())),
            }
        })
    }
}

impl Clock for Port {
    fn now_ms(&self) -> u64 {
        self.0.now.get()
    }

    fn sleep(&self, ms: u64) -> LocalBoxFuture<'static, ()> {
        let timer = self.next_id();
        self.push(Command::SetTimer { timer, ms });
        let waiting = self.wait(timer, true);
        Box::pin(async move {
            waiting.await;
        })
    }
}

impl Spawner for Port {
    /// A task, first polled by the next `run`.
    fn spawn(&self, future: LocalBoxFuture<'static, ()>) {
        let woken = Arc::new(Woken(AtomicBool::new(true)));
        self.0.tasks.borrow_mut().push(Some(Task { future, woken }));
    }
}

impl Storage for Port {
    fn get(&self, key: &str) -> Option<String> {
        self.0.page.stored(key)
    }
    fn set(&self, key: &str, value: &str) {
        self.push(Command::Store { key: key.into(), value: Some(value.into()) });
    }
    fn remove(&self, key: &str) {
        self.push(Command::Store { key: key.into(), value: None });
    }
}

impl Broadcast for Port {
    fn post(&self, message: &str) {
        self.push(Command::Post { message: message.into() });
    }

    fn tab_state(&self) -> Option<&'static str> {
        self.0.page.tab_state()
    }
}

impl Port {
    /// A `beforeEmit` for call `call`: it commands the host to run the callback and waits.
    pub(crate) fn before_emit(&self, call: u32, session: Option<String>) -> Waiting {
        let slot = self.next_id();
        self.push(Command::BeforeEmit { slot, call, session });
        self.wait(slot, false)
    }
}
