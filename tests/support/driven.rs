//! The native tests' host for the engine: it performs the `Machine`'s commands against the
//! scripted Frontend API ([`FakeFapi`]) and the hand-moved clock, as the object layer's driver
//! performs them in a browser (`pkg-template/src/driver.ts`).
//!
//! Each operation is a future that starts its call when first polled and is ready when the
//! engine settles it, so the tests keep their shape (`block_on(clerk.load())`, calls raced on a
//! `LocalPool`). The work the host does for the engine (requests, back-off timers, `beforeEmit`)
//! runs on the fake's background pool, which every pending operation drives; the refresh-ahead
//! timer starts only when the test runs the background (`fake.run_background()`), so time moves
//! on its own only where a test lets it.

use super::*;
use clerk_rs::engine::{Clerk as Engine, ClerkError, Command, Json, Machine, PageReads};
use futures::future::AbortHandle;
use std::collections::HashMap;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

/// Runs between the "session is undefined" and the "new session is set" emissions; an error's
/// message is what the host reports (as a `beforeEmit` that threw).
pub type BeforeEmit = Box<dyn FnOnce(Option<Session>) -> LocalBoxFuture<'static, Result<(), ClerkError>>>;

/// What the page lends: storage the engine's `Store` commands wrote, and the tab's state.
pub struct TestPage {
    pub storage: RefCell<HashMap<String, String>>,
    pub tab_state: Option<&'static str>,
}

impl PageReads for TestPage {
    fn stored(&self, key: &str) -> Option<String> {
        self.storage.borrow().get(key).cloned()
    }
    fn tab_state(&self) -> Option<&'static str> {
        self.tab_state
    }
}

/// A `Clerk` as the tests use it: the engine's queries through `Deref`, its calls as futures.
#[derive(Clone)]
pub struct Driven(Rc<Host>);

pub struct Host {
    machine: Machine,
    fake: Rc<FakeFapi>,
    page: Rc<TestPage>,
    /// This tab's place on a hub, when it has one.
    hub: Option<(Rc<TabHub>, usize)>,
    next_call: Cell<u32>,
    settled: RefCell<HashMap<u32, Result<String, ClerkError>>>,
    before_emits: RefCell<HashMap<u32, BeforeEmit>>,
    /// Timers under way, to cancel.
    timers: RefCell<HashMap<u32, AbortHandle>>,
    /// Refresh-ahead timers not started yet: `(timer, ms)`.
    deferred: RefCell<Vec<(u32, u64)>>,
    /// The last JSON string a call resolved with, which `Again` repeats (as the driver does).
    last_string: RefCell<String>,
}

impl Deref for Driven {
    type Target = Engine;
    /// A query at the fake clock's time, as the driver gives every query the time.
    fn deref(&self) -> &Engine {
        self.0.machine.at(self.0.fake.clock.now_ms());
        self.0.machine.clerk()
    }
}

/// Whoever waits on the engine: woken whenever anything the host does makes progress.
pub type Nudges = Arc<Mutex<Vec<Waker>>>;

pub fn nudge(nudges: &Nudges) {
    for waker in nudges.lock().unwrap().drain(..) {
        waker.wake();
    }
}

/// A waker that also wakes every waiting operation: the host's work runs on the background
/// pool, but the operations waiting on it are polled by the test's executor.
struct Nudging {
    inner: Waker,
    nudges: Nudges,
}

impl Wake for Nudging {
    fn wake(self: Arc<Self>) {
        self.inner.wake_by_ref();
        nudge(&self.nudges);
    }
}

struct WithNudges<F> {
    future: Pin<Box<F>>,
    nudges: Nudges,
}

impl<F: Future<Output = ()>> Future for WithNudges<F> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let waker = Waker::from(Arc::new(Nudging { inner: cx.waker().clone(), nudges: self.nudges.clone() }));
        self.future.as_mut().poll(&mut Context::from_waker(&waker))
    }
}

impl Driven {
    #[allow(clippy::result_large_err)] // see src/engine/mod.rs
    pub fn new(
        fake: &Rc<FakeFapi>,
        key: &str,
        options: ClerkOptions,
        cookies: Rc<dyn CookieJar>,
        tab_state: Option<&'static str>,
        hub: Option<(Rc<TabHub>, usize)>,
    ) -> Result<Driven, ClerkError> {
        let page = Rc::new(TestPage { storage: RefCell::default(), tab_state });
        let machine = Machine::new(key, options, fake.clock.now_ms(), page.clone(), cookies)?;
        let host = Host {
            machine,
            fake: fake.clone(),
            page,
            hub,
            next_call: Cell::new(0),
            settled: RefCell::default(),
            before_emits: RefCell::default(),
            timers: RefCell::default(),
            deferred: RefCell::default(),
            last_string: RefCell::default(),
        };
        let driven = Driven(Rc::new(host));
        fake.hosts.borrow_mut().push(Rc::downgrade(&driven.0));
        Ok(driven)
    }

    pub(super) fn from_host(host: Rc<Host>) -> Driven {
        Driven(host)
    }

    pub fn machine(&self) -> &Machine {
        &self.0.machine
    }

    pub fn page(&self) -> &TestPage {
        &self.0.page
    }

    /// One input at the fake clock's time, then every command it produced.
    fn input(&self, give: impl FnOnce(&Machine)) {
        self.0.machine.at(self.0.fake.clock.now_ms());
        give(&self.0.machine);
        self.perform();
    }

    fn perform(&self) {
        loop {
            let commands = self.0.machine.take_commands();
            if commands.is_empty() {
                return;
            }
            for command in commands {
                self.perform_one(command);
            }
        }
    }

    fn perform_one(&self, command: Command) {
        let fake = &self.0.fake;
        match command {
            Command::Send { request, http } => {
                let answer = fake.send(http);
                let me = self.clone();
                self.background(async move {
                    match answer.await {
                        Ok(response) => me.input(|m| m.response(request, response)),
                        Err(message) => me.input(|m| m.failure(request, message)),
                    }
                });
            }
            Command::SetTimer { timer, ms } => {
                if self.refresh_timer() == Some(timer) {
                    self.0.deferred.borrow_mut().push((timer, ms));
                } else {
                    self.start_timer(timer, ms);
                }
            }
            Command::CancelTimer { timer } => {
                self.0.deferred.borrow_mut().retain(|(t, _)| *t != timer);
                if let Some(handle) = self.0.timers.borrow_mut().remove(&timer) {
                    handle.abort();
                }
            }
            Command::Store { key, value } => {
                let mut storage = self.0.page.storage.borrow_mut();
                match value {
                    Some(value) => storage.insert(key, value),
                    None => storage.remove(&key),
                };
            }
            Command::Post { message } => {
                if let Some((hub, from)) = &self.0.hub {
                    hub.post(*from, &message);
                }
            }
            Command::BeforeEmit { slot, call, session } => {
                let callback = self.0.before_emits.borrow_mut().remove(&call);
                let session = session.and_then(|id| self.signed_in_session(&id));
                let me = self.clone();
                self.background(async move {
                    let outcome = match callback {
                        Some(callback) => callback(session).await,
                        None => Ok(()),
                    };
                    me.input(|m| m.before_emit_settled(slot, outcome.err().map(|e| e.message)));
                });
            }
            Command::Resolve { call, json } => {
                if json.starts_with('"') {
                    self.0.last_string.borrow_mut().clone_from(&json);
                }
                self.0.settled.borrow_mut().insert(call, Ok(json));
                nudge(&fake.nudges);
            }
            Command::Again { call } => {
                let json = self.0.last_string.borrow().clone();
                self.0.settled.borrow_mut().insert(call, Ok(json));
                nudge(&fake.nudges);
            }
            Command::Reject { call, error } => {
                self.0.settled.borrow_mut().insert(call, Err(error_from_wire(&error)));
                nudge(&fake.nudges);
            }
            Command::Retire { .. } => {
                if let Some((hub, from)) = &self.0.hub {
                    hub.closed.borrow_mut().push(*from);
                }
            }
        }
    }

    /// The engine's refresh-ahead timer, which the test starts with `run_background()`.
    fn refresh_timer(&self) -> Option<u32> {
        self.0.machine.clerk().refresh_timer()
    }

    fn start_timer(&self, timer: u32, ms: u64) {
        let me = self.clone();
        let sleep = self.0.fake.clock.sleep(ms);
        let (task, handle) = futures::future::abortable(async move {
            sleep.await;
            me.0.timers.borrow_mut().remove(&timer);
            me.input(|m| m.timer_fired(timer));
        });
        self.0.timers.borrow_mut().insert(timer, handle);
        self.background(async move {
            let _ = task.await;
        });
    }

    /// Starts the refresh-ahead timers set so far (`fake.run_background()` does).
    pub(super) fn start_deferred(&self) {
        let deferred = std::mem::take(&mut *self.0.deferred.borrow_mut());
        for (timer, ms) in deferred {
            self.start_timer(timer, ms);
        }
    }

    fn background(&self, task: impl Future<Output = ()> + 'static) {
        let nudges = self.0.fake.nudges.clone();
        self.0.fake.spawn(Box::pin(WithNudges { future: Box::pin(task), nudges }));
    }

    /// Starts operation `op` when first polled; ready with its answer's JSON text once the
    /// engine settles it.
    pub fn call(&self, op: Call, args: &str, before_emit: Option<BeforeEmit>) -> impl Future<Output = Result<String, ClerkError>> + use<> {
        let (me, args) = (self.clone(), args.to_owned());
        let mut before_emit = Some(before_emit);
        let mut started: Option<u32> = None;
        std::future::poll_fn(move |cx| {
            let call = match started {
                Some(call) => call,
                None => {
                    let call = me.0.next_call.get() + 1;
                    me.0.next_call.set(call);
                    started = Some(call);
                    let before_emit = before_emit.take().flatten();
                    let has_before_emit = before_emit.is_some();
                    if let Some(callback) = before_emit {
                        me.0.before_emits.borrow_mut().insert(call, callback);
                    }
                    me.input(|m| m.call(call, op, &args, has_before_emit));
                    call
                }
            };
            me.0.fake.drive();
            if let Some(outcome) = me.0.settled.borrow_mut().remove(&call) {
                return Poll::Ready(outcome);
            }
            me.0.fake.nudges.lock().unwrap().push(cx.waker().clone());
            Poll::Pending
        })
    }

    /// A message another tab posted.
    pub fn tab_message(&self, message: &str) {
        self.input(|m| m.tab_message(message));
    }

    /// `clerk.dispose()`: what is under way rejects, and the host frees the instance.
    pub fn dispose(&self) {
        self.input(Machine::dispose);
    }

    // ---- the operations, as the object layer names them -------------------------------------

    pub fn load(&self) -> impl Future<Output = Result<(), ClerkError>> + use<> {
        unit(self.call(Call::Load, "{}", None))
    }

    pub fn get_token(&self, session: &str, options: &GetTokenOptions) -> impl Future<Output = Result<String, ClerkError>> + use<> {
        let args = json!({"session": session, "options": token_options(options)}).to_string();
        let call = self.call(Call::GetToken, &args, None);
        async move { Ok(serde_json::from_str::<String>(&call.await?).unwrap()) }
    }

    pub fn set_active(
        &self,
        session: Selection,
        organization: Selection,
        before_emit: Option<BeforeEmit>,
    ) -> impl Future<Output = Result<(), ClerkError>> + use<> {
        let mut args = serde_json::Map::new();
        for (name, selection) in [("session", session), ("organization", organization)] {
            match selection {
                Selection::Keep => {}
                Selection::Clear => {
                    args.insert(name.into(), Value::Null);
                }
                Selection::Id(id) => {
                    args.insert(name.into(), json!(id));
                }
            }
        }
        if before_emit.is_some() {
            args.insert("beforeEmit".into(), json!("function"));
        }
        unit(self.call(Call::SetActive, &Value::Object(args).to_string(), before_emit))
    }

    pub fn sign_out(&self, session: Option<&str>) -> impl Future<Output = Result<(), ClerkError>> + use<> {
        let args = match session {
            Some(id) => json!({"sessionId": id}),
            None => json!({}),
        };
        unit(self.call(Call::SignOut, &args.to_string(), None))
    }

    pub fn session_end(&self, session: &str) -> impl Future<Output = Result<Session, ClerkError>> + use<> {
        session_answer(self.call(Call::EndSession, &json!({"session": session}).to_string(), None))
    }

    pub fn session_remove(&self, session: &str) -> impl Future<Output = Result<Session, ClerkError>> + use<> {
        session_answer(self.call(Call::RemoveSession, &json!({"session": session}).to_string(), None))
    }

    pub fn session_touch(&self, session: &str) -> impl Future<Output = Result<Session, ClerkError>> + use<> {
        session_answer(self.call(Call::TouchSession, &json!({"session": session}).to_string(), None))
    }

    pub fn client_reload(&self) -> impl Future<Output = Result<(), ClerkError>> + use<> {
        unit(self.call(Call::ReloadClient, "{}", None))
    }

    pub fn client_destroy(&self) -> impl Future<Output = Result<(), ClerkError>> + use<> {
        unit(self.call(Call::DestroyClient, "{}", None))
    }

    pub fn client_remove_sessions(&self) -> impl Future<Output = Result<(), ClerkError>> + use<> {
        unit(self.call(Call::RemoveSessions, "{}", None))
    }
}

async fn unit(call: impl Future<Output = Result<String, ClerkError>>) -> Result<(), ClerkError> {
    let answer = call.await?;
    assert_eq!(answer, "null", "the call answers null");
    Ok(())
}

async fn session_answer(call: impl Future<Output = Result<String, ClerkError>>) -> Result<Session, ClerkError> {
    let answer = call.await?;
    Ok(Session::from_json(&Json::parse(&answer).unwrap()).unwrap())
}

/// `getToken()`'s options as the object layer sends them.
fn token_options(options: &GetTokenOptions) -> Value {
    let mut out = serde_json::Map::new();
    if let Some(template) = &options.template {
        out.insert("template".into(), json!(template));
    }
    match &options.organization {
        Selection::Keep => {}
        Selection::Clear => {
            out.insert("organizationId".into(), Value::Null);
        }
        Selection::Id(id) => {
            out.insert("organizationId".into(), json!(id));
        }
    }
    if let Some(leeway) = options.leeway_secs {
        out.insert("leewayInSeconds".into(), json!(leeway));
    }
    if options.skip_cache {
        out.insert("skipCache".into(), json!(true));
    }
    if !options.throw_on_error {
        out.insert("throwOnError".into(), json!(false));
    }
    Value::Object(out)
}

/// A rejection's error JSON ([`ClerkError::to_json`]) as the error it was.
pub fn error_from_wire(text: &str) -> ClerkError {
    let value: Value = serde_json::from_str(text).unwrap();
    let text_of = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    let meta =
        |v: &Value| v.get("meta").filter(|m| m.as_object().is_some_and(|o| !o.is_empty())).map(|m| Json::parse(&m.to_string()).unwrap());
    let mut error = ClerkError::new(&text_of(&value, "code").unwrap(), text_of(&value, "message").unwrap());
    error.long_message = text_of(&value, "long_message");
    error.meta = meta(&value);
    error.status = value.get("status").and_then(Value::as_u64).map(|s| s as u16);
    error.retry_after = value.get("retry_after").and_then(Value::as_u64).map(|s| s as u32);
    let items = value["errors"].as_array().unwrap();
    // A client-side error (no status) is its own single entry on the wire, and has none here.
    let items = if error.status.is_none() && items.len() == 1 { &[][..] } else { &items[..] };
    error.errors = items
        .iter()
        .map(|item| ApiErrorItem {
            code: text_of(item, "code").unwrap(),
            message: text_of(item, "message").unwrap(),
            long_message: text_of(item, "long_message"),
            meta: meta(item),
        })
        .collect();
    error
}
