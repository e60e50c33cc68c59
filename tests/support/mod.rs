//! Test doubles for the core: a Frontend API simulator the test host ([`driven`]) sends the
//! engine's requests to, and a clock the test moves by hand. The simulator keeps a real client model (sessions, statuses,
//! organizations) and mints unsigned JWTs with real claims, so the core is exercised against
//! the same shapes the real server sends; the real server is exercised by the e2e tests.
#![allow(dead_code)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
mod driven;

pub use clerk_rs::engine::*;
pub use driven::*;
use futures::FutureExt;
use futures::channel::oneshot;
pub use futures::future::LocalBoxFuture;
use serde_json::{Value, json};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

/// The tests' `Clerk`: the engine behind its test host.
pub type Clerk = Driven;

pub const PK_DEV: &str = "pk_test_Y2xlcmsuZXhhbXBsZS5hY2NvdW50cy5kZXYk"; // clerk.example.accounts.dev
pub const PROXY: &str = "http://127.0.0.1:4000";

/// Time that moves only when the test says so.
pub struct FakeClock {
    pub now: Rc<Cell<u64>>,
    pub sleeps: RefCell<Vec<u64>>,
    /// When true (the default), sleeping moves time forward at once, so back-off is observable
    /// without waiting. When false, sleepers wait until `advance_secs` reaches their deadline.
    pub auto_advance: Cell<bool>,
    wakers: Rc<RefCell<Vec<std::task::Waker>>>,
    /// Sleeps started and neither finished nor dropped: the timers a browser would hold.
    pub pending: Rc<Cell<usize>>,
}

/// Counts a sleep as pending from its start until it finishes or is dropped.
struct PendingSleep(Rc<Cell<usize>>);

impl Drop for PendingSleep {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

impl Default for FakeClock {
    fn default() -> Self {
        FakeClock {
            now: Rc::default(),
            sleeps: RefCell::default(),
            auto_advance: Cell::new(true),
            wakers: Rc::default(),
            pending: Rc::default(),
        }
    }
}

impl FakeClock {
    pub fn advance_secs(&self, secs: u64) {
        self.advance_ms(secs * 1000);
    }

    pub fn advance_ms(&self, ms: u64) {
        self.now.set(self.now.get() + ms);
        for waker in self.wakers.borrow_mut().drain(..) {
            waker.wake();
        }
    }
}

impl FakeClock {
    pub fn now_ms(&self) -> u64 {
        self.now.get()
    }

    pub fn sleep(&self, ms: u64) -> LocalBoxFuture<'static, ()> {
        self.sleeps.borrow_mut().push(ms);
        if self.auto_advance.get() {
            self.now.set(self.now.get() + ms);
            return futures::future::ready(()).boxed_local();
        }
        let (now, wakers, deadline) = (self.now.clone(), self.wakers.clone(), self.now.get() + ms);
        self.pending.set(self.pending.get() + 1);
        let guard = PendingSleep(self.pending.clone());
        let mut guard = Some(guard);
        futures::future::poll_fn(move |cx| {
            if now.get() >= deadline {
                guard.take();
                std::task::Poll::Ready(())
            } else {
                wakers.borrow_mut().push(cx.waker().clone());
                std::task::Poll::Pending
            }
        })
        .boxed_local()
    }
}

#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub query: HashMap<String, String>,
    pub form: HashMap<String, String>,
    /// The query string and body as sent (repeated keys, a file upload's bytes).
    pub raw_query: String,
    pub body: Option<Body>,
}

/// A canned answer that replaces the simulator's for the next matching request.
struct Override {
    path_suffix: String,
    status: u16,
    body: String,
    retry_after: Option<u32>,
}

#[derive(Default)]
pub struct FakeFapi {
    pub clock: Rc<FakeClock>,
    pub client: RefCell<Value>,
    pub requests: RefCell<Vec<Recorded>>,
    overrides: RefCell<Vec<Override>>,
    /// While set, answers wait until `release()`.
    pub hold: Cell<bool>,
    /// When set, only answers to paths ending with this are held.
    pub hold_only: RefCell<Option<String>>,
    held: RefCell<Vec<oneshot::Sender<()>>>,
    pub token_ttl_secs: Cell<i64>,
    minted: Cell<u64>,
    /// The host's work for the engine (requests, timers, `beforeEmit`s).
    background: Background,
    /// The operations waiting on the engine, woken when the background makes progress.
    pub nudges: Nudges,
    /// The instances over this fake, for `run_background`.
    hosts: RefCell<Vec<Weak<driven::Host>>>,
}

impl FakeFapi {
    pub fn spawn(&self, task: LocalBoxFuture<'static, ()>) {
        self.background.spawn(task);
    }

    /// Runs the host's work for the engine until it all waits (on time or the network).
    pub fn drive(&self) {
        self.background.run_until_stalled();
    }
}

pub fn user(id: &str, orgs: &[(&str, &str, &[&str])]) -> Value {
    let memberships: Vec<Value> = orgs
        .iter()
        .map(|(org, role, perms)| {
            json!({"object": "organization_membership", "id": format!("mem_{id}_{org}"), "role": role, "permissions": perms,
                   "organization": {"object": "organization", "id": org, "name": org.to_uppercase(), "slug": format!("slug-{org}")}})
        })
        .collect();
    json!({"object": "user", "id": id, "first_name": id, "organization_memberships": memberships,
           "email_addresses": [{"id": format!("idn_{id}"), "email_address": format!("{id}@example.com")}]})
}

pub fn session(id: &str, user: Value) -> Value {
    json!({"object": "session", "id": id, "status": "active", "user": user, "last_active_organization_id": null,
           "factor_verification_age": [0, -1], "created_at": 1, "updated_at": 1, "expire_at": 9_999_999_999_999i64,
           "abandon_at": 9_999_999_999_999i64, "last_active_at": 1, "last_active_token": null})
}

impl FakeFapi {
    /// A client with two signed-in sessions: `sess_a` (user_a, member of org_1 and org_2) and
    /// `sess_b` (user_b), `sess_a` last active.
    pub fn two_sessions() -> Rc<Self> {
        let fake = FakeFapi { token_ttl_secs: Cell::new(60), ..Default::default() };
        fake.clock.now.set(1_700_000_000_000);
        let a = session("sess_a", user("user_a", &[("org_1", "org:admin", &["org:sys_memberships:manage"]), ("org_2", "org:member", &[])]));
        let b = session("sess_b", user("user_b", &[]));
        *fake.client.borrow_mut() = json!({"object": "client", "id": "client_1", "sessions": [a, b],
            "last_active_session_id": "sess_a", "sign_in": null, "sign_up": null, "cookie_expires_at": null,
            "created_at": 1, "updated_at": 1});
        Rc::new(fake)
    }

    pub fn signed_out() -> Rc<Self> {
        let fake = Self::two_sessions();
        *fake.client.borrow_mut() = Value::Null;
        fake
    }

    /// A Clerk in another "tab": same server, same client, messages through `hub`.
    pub fn tab(self: &Rc<Self>, hub: &Rc<TabHub>) -> Clerk {
        let tab_id = hub.tabs.borrow().len();
        let clerk = Driven::new(self, PK_DEV, Self::options(), Rc::new(NoCookies), None, Some((hub.clone(), tab_id))).unwrap();
        hub.tabs.borrow_mut().push(clerk.clone());
        clerk
    }

    /// Runs the background (the refresh-ahead timers too) until it all waits (on time or on
    /// the network).
    pub fn run_background(&self) {
        let hosts: Vec<_> = self.hosts.borrow().iter().filter_map(Weak::upgrade).collect();
        for host in hosts {
            Driven::from_host(host).start_deferred();
        }
        self.background.run_until_stalled();
        nudge(&self.nudges);
    }

    pub fn clerk(self: &Rc<Self>) -> Clerk {
        self.clerk_with(Rc::new(NoCookies), None)
    }

    /// The tests' `Clerk` (development key, this fake as proxy) with these page cookies and
    /// tab state.
    pub fn clerk_with(self: &Rc<Self>, cookies: Rc<dyn CookieJar>, tab_state: Option<&'static str>) -> Clerk {
        Driven::new(self, PK_DEV, Self::options(), cookies, tab_state, None).unwrap()
    }

    /// A `Clerk` of another key and options, or the error creating it gives.
    #[allow(clippy::result_large_err)] // see src/engine/mod.rs
    pub fn try_clerk(self: &Rc<Self>, key: &str, options: ClerkOptions) -> Result<Clerk, ClerkError> {
        Driven::new(self, key, options, Rc::new(NoCookies), None, None)
    }

    fn options() -> ClerkOptions {
        ClerkOptions { proxy_url: Some(PROXY.into()), ..Default::default() }
    }

    /// The next request whose path ends with `path_suffix` gets this answer instead.
    pub fn respond_once(&self, path_suffix: &str, status: u16, body: &str) {
        self.overrides.borrow_mut().push(Override { path_suffix: path_suffix.into(), status, body: body.into(), retry_after: None });
    }

    pub fn respond_once_retry_after(&self, path_suffix: &str, status: u16, retry_after: u32) {
        self.overrides.borrow_mut().push(Override {
            path_suffix: path_suffix.into(),
            status,
            body: r#"{"errors":[{"code":"too_many_requests","message":"Too many requests"}]}"#.into(),
            retry_after: Some(retry_after),
        });
    }

    pub fn release(&self) {
        self.hold.set(false);
        for tx in self.held.borrow_mut().drain(..) {
            let _ = tx.send(());
        }
    }

    pub fn count(&self, path_suffix: &str) -> usize {
        self.requests.borrow().iter().filter(|r| r.path.ends_with(path_suffix)).count()
    }

    pub fn minted(&self) -> u64 {
        self.minted.get()
    }

    pub fn set_session_status(&self, id: &str, status: &str) {
        let mut client = self.client.borrow_mut();
        for s in client["sessions"].as_array_mut().unwrap() {
            if s["id"] == id {
                s["status"] = json!(status);
            }
        }
    }

    pub fn mint(&self, sid: &str, org: Option<&str>, template: Option<&str>) -> String {
        self.minted.set(self.minted.get() + 1);
        let now = (self.clock.now_ms() / 1000) as i64;
        let mut claims = json!({"sub": "user", "sid": sid, "iss": PROXY, "iat": now, "nbf": now - 10,
            "exp": now + self.token_ttl_secs.get(), "v": 2, "n": self.minted.get()});
        if let Some(org) = org {
            claims["o"] = json!({"id": org, "rol": "admin", "slg": "slug", "per": ""});
        }
        if let Some(t) = template {
            claims["template"] = json!(t);
        }
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        format!("{header}.{payload}.c2lnbmF0dXJl")
    }

    fn route(&self, method: &str, path: &str, form: &HashMap<String, String>) -> (u16, Value) {
        let client_snapshot = |c: &Value| if c.is_null() { Value::Null } else { c.clone() };
        let segments: Vec<&str> = path.trim_start_matches("/v1/").split('/').collect();
        match (method, segments.as_slice()) {
            ("POST", ["dev_browser"]) => (200, json!({"object": "dev_browser", "id": "dvb_test"})),
            ("PATCH" | "GET", ["environment"]) => (200, json!({"auth_config": {"single_session_mode": false}})),
            ("GET", ["client"]) => (200, json!({"response": client_snapshot(&self.client.borrow()), "client": null})),
            ("DELETE", ["client"]) => {
                *self.client.borrow_mut() = Value::Null;
                (200, json!({"response": null, "client": null}))
            }
            ("DELETE", ["client", "sessions"]) => {
                let mut client = self.client.borrow_mut();
                for s in client["sessions"].as_array_mut().unwrap() {
                    s["status"] = json!("removed");
                }
                (200, json!({"response": client.clone(), "client": client.clone()}))
            }
            ("POST", ["client", "sessions", sid, rest @ ..]) => {
                let mut client = self.client.borrow_mut();
                let Some(index) = client["sessions"].as_array().unwrap().iter().position(|s| s["id"] == *sid) else {
                    return (404, json!({"errors": [{"code": "resource_not_found", "message": "not found"}]}));
                };
                let active = matches!(client["sessions"][index]["status"].as_str(), Some("active" | "pending"));
                match rest {
                    ["touch"] => {
                        let org = form.get("active_organization_id").filter(|o| !o.is_empty()).cloned();
                        let token = self.mint(sid, org.as_deref(), None);
                        let s = &mut client["sessions"][index];
                        s["last_active_organization_id"] = json!(org);
                        s["last_active_token"] = json!({"object": "token", "jwt": token});
                        client["last_active_session_id"] = json!(sid);
                    }
                    ["end"] => client["sessions"][index]["status"] = json!("ended"),
                    ["remove"] => client["sessions"][index]["status"] = json!("removed"),
                    ["tokens"] | ["tokens", _] if !active => {
                        return (
                            401,
                            json!({"errors": [{"code": "authentication_invalid", "message": "Unauthorized request", "long_message": "The session is not active"}]}),
                        );
                    }
                    ["tokens"] => {
                        let org = form.get("organization_id").filter(|o| !o.is_empty()).cloned();
                        return (200, json!({"object": "token", "jwt": self.mint(sid, org.as_deref(), None)}));
                    }
                    ["tokens", template] => return (200, json!({"object": "token", "jwt": self.mint(sid, None, Some(template))})),
                    _ => return (404, json!({"errors": [{"code": "resource_not_found", "message": "not found"}]})),
                }
                let session = client["sessions"][index].clone();
                (200, json!({"response": session, "client": client.clone()}))
            }
            _ => (404, json!({"errors": [{"code": "resource_not_found", "message": format!("no route {method} {path}")}]})),
        }
    }
}

fn parse_pairs(s: &str) -> HashMap<String, String> {
    form_urlencoded::parse(s.as_bytes()).into_owned().collect()
}

impl FakeFapi {
    /// Answers `request` as the Frontend API would (or holds it until `release()`).
    pub fn send(&self, request: HttpRequest) -> LocalBoxFuture<'static, Result<HttpResponse, String>> {
        let url = request.url.strip_prefix(PROXY).expect("requests go to the proxy URL");
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        let query = parse_pairs(query);
        let form = parse_pairs(request.form_body().unwrap_or(""));
        self.requests.borrow_mut().push(Recorded {
            method: request.method,
            path: path.to_owned(),
            query: query.clone(),
            form: form.clone(),
            raw_query: url.split_once('?').map_or("", |(_, q)| q).to_owned(),
            body: request.body.clone(),
        });
        let method = match (request.method, query.get("_method")) {
            (Method::Get, _) => "GET".to_owned(),
            (Method::Post, Some(m)) => m.clone(),
            (Method::Post, None) => "POST".to_owned(),
        };
        let overridden = {
            let mut overrides = self.overrides.borrow_mut();
            overrides.iter().position(|o| path.ends_with(&o.path_suffix)).map(|i| overrides.remove(i))
        };
        let response = match overridden {
            Some(o) => HttpResponse { status: o.status, body: o.body, dev_browser_jwt: None, retry_after: o.retry_after },
            None => {
                let (status, body) = self.route(&method, path, &form);
                HttpResponse { status, body: body.to_string(), dev_browser_jwt: None, retry_after: None }
            }
        };
        let held_path = self.hold_only.borrow().as_ref().is_none_or(|suffix| path.ends_with(suffix.as_str()));
        if self.hold.get() && held_path {
            let (tx, rx) = oneshot::channel();
            self.held.borrow_mut().push(tx);
            async move {
                let _ = rx.await;
                Ok(response)
            }
            .boxed_local()
        } else {
            futures::future::ready(Ok(response)).boxed_local()
        }
    }
}

/// A small single-threaded executor for the host's work: unlike `LocalPool`, it may run inside
/// `block_on` (an operation drives it while the test's executor polls the operation), and a
/// task may spawn others while it runs.
#[derive(Default)]
struct Background {
    tasks: RefCell<Vec<(LocalBoxFuture<'static, ()>, std::sync::Arc<Woken>)>>,
    /// Spawned while the tasks run.
    incoming: RefCell<Vec<(LocalBoxFuture<'static, ()>, std::sync::Arc<Woken>)>>,
    running: Cell<bool>,
}

#[derive(Default)]
struct Woken(std::sync::atomic::AtomicBool);

impl std::task::Wake for Woken {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Background {
    fn spawn(&self, task: LocalBoxFuture<'static, ()>) {
        let woken = std::sync::Arc::new(Woken(std::sync::atomic::AtomicBool::new(true)));
        self.incoming.borrow_mut().push((task, woken));
    }

    /// Polls woken tasks until none is; a nested call (from a task) leaves it to the outer one.
    fn run_until_stalled(&self) {
        if self.running.replace(true) {
            return;
        }
        loop {
            self.tasks.borrow_mut().append(&mut self.incoming.borrow_mut());
            let ready: Vec<_> = {
                let mut tasks = self.tasks.borrow_mut();
                let (ready, waiting) =
                    std::mem::take(&mut *tasks).into_iter().partition(|(_, w)| w.0.swap(false, std::sync::atomic::Ordering::SeqCst));
                *tasks = waiting;
                ready
            };
            if ready.is_empty() && self.incoming.borrow().is_empty() {
                break;
            }
            for (mut task, woken) in ready {
                let waker = std::task::Waker::from(woken.clone());
                if task.as_mut().poll(&mut std::task::Context::from_waker(&waker)).is_pending() {
                    self.tasks.borrow_mut().push((task, woken));
                }
            }
        }
        self.running.set(false);
    }
}

/// Runs a future to completion on a single-threaded executor.
pub fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    futures::executor::block_on(f)
}

/// Records what every emission looked like, as short strings: `client:session:org`.
pub fn recorder(clerk: &Clerk) -> Rc<RefCell<Vec<String>>> {
    let log = Rc::new(RefCell::new(Vec::new()));
    let sink = log.clone();
    clerk.add_listener(Rc::new(move |r: &Resources| {
        sink.borrow_mut().push(describe(r));
        Ok(())
    }));
    log
}

pub fn describe(r: &Resources) -> String {
    let slot = |s: &Slot<String>| match s {
        Slot::Undefined => "undefined".to_owned(),
        Slot::Null => "null".to_owned(),
        Slot::Value(v) => v.clone(),
    };
    let session = match &r.session {
        Slot::Undefined => Slot::Undefined,
        Slot::Null => Slot::Null,
        Slot::Value(s) => Slot::Value(s.id.clone()),
    };
    let org = match &r.organization {
        Slot::Undefined => Slot::Undefined,
        Slot::Null => Slot::Null,
        Slot::Value(o) => Slot::Value(o.get("id").and_then(|id| id.as_str()).unwrap().to_owned()),
    };
    format!("{}:{}", slot(&session), slot(&org))
}

pub fn claims(jwt: &str) -> clerk_token::SessionClaims {
    clerk_token::decode_unverified(jwt).unwrap()
}

/// A BroadcastChannel between test "tabs": posts are queued and delivered on `deliver()`,
/// to every tab but the sender, as browsers do.
#[derive(Default)]
pub struct TabHub {
    tabs: RefCell<Vec<Clerk>>,
    queue: RefCell<Vec<(usize, String)>>,
    pub posted: RefCell<Vec<String>>,
    /// Tabs whose channel was closed (disposed instances).
    pub closed: RefCell<Vec<usize>>,
}

impl TabHub {
    pub fn new() -> Rc<Self> {
        Rc::default()
    }

    /// Delivers queued messages (and those they cause) until none are left.
    pub fn deliver(&self) {
        loop {
            let batch: Vec<_> = self.queue.borrow_mut().drain(..).collect();
            if batch.is_empty() {
                return;
            }
            let tabs: Vec<Clerk> = self.tabs.borrow().clone();
            for (from, message) in batch {
                for (i, tab) in tabs.iter().enumerate() {
                    // A disposed tab's channel is closed: messages no longer reach it.
                    if i != from && !self.closed.borrow().contains(&i) {
                        tab.tab_message(&message);
                    }
                }
            }
        }
    }

    /// Tab `from` posted `message`.
    pub fn post(&self, from: usize, message: &str) {
        if self.closed.borrow().contains(&from) {
            panic!("tab {from} posted after its channel was closed");
        }
        self.posted.borrow_mut().push(message.to_owned());
        self.queue.borrow_mut().push((from, message.to_owned()));
    }
}

/// The outcome of a `getToken` call running on a test executor, once it has finished.
pub type PendingToken = Rc<RefCell<Option<Result<String, ClerkError>>>>;

/// Starts `clerk.get_token(session, options)` on `pool`; it makes progress as the pool runs.
pub fn spawn_get_token(pool: &futures::executor::LocalPool, clerk: &Clerk, session: &str, options: GetTokenOptions) -> PendingToken {
    use futures::task::LocalSpawnExt;
    let outcome: PendingToken = Rc::default();
    let (clerk, session, sink) = (clerk.clone(), session.to_owned(), outcome.clone());
    pool.spawner()
        .spawn_local(async move {
            let token = clerk.get_token(&session, &options).await;
            *sink.borrow_mut() = Some(token);
        })
        .unwrap();
    outcome
}

/// Two loaded tabs of one client whose messages have been delivered; background refreshes wait
/// for time the test moves.
#[allow(dead_code)] // not every test binary that includes `support` uses it
pub fn two_tabs() -> (Rc<FakeFapi>, Rc<TabHub>, Clerk, Clerk) {
    let fake = FakeFapi::two_sessions();
    fake.clock.auto_advance.set(false);
    let hub = TabHub::new();
    let (a, b) = (fake.tab(&hub), fake.tab(&hub));
    block_on(a.load()).unwrap();
    block_on(b.load()).unwrap();
    hub.deliver();
    (fake, hub, a, b)
}

/// The outcome of a `setActive` call running on a test executor, once it has finished.
pub type PendingSetActive = Rc<RefCell<Option<Result<(), ClerkError>>>>;

/// Starts `clerk.set_active(session, Keep, None)` on `pool`, as [`spawn_get_token`] does.
#[allow(dead_code)]
pub fn spawn_set_active(pool: &futures::executor::LocalPool, clerk: &Clerk, session: &str) -> PendingSetActive {
    use futures::task::LocalSpawnExt;
    let outcome: PendingSetActive = Rc::default();
    let (clerk, session, sink) = (clerk.clone(), session.to_owned(), outcome.clone());
    pool.spawner()
        .spawn_local(async move {
            *sink.borrow_mut() = Some(clerk.set_active(Selection::Id(session), Selection::Keep, None).await);
        })
        .unwrap();
    outcome
}
