//! What the core needs from its host, as small traits: HTTP, time and a key-value store.
//! The browser layer implements them over `fetch`, `Date.now`/`setTimeout` and `localStorage`;
//! tests implement them with fakes they fully control.

use std::future::Future;
use std::pin::Pin;

/// A boxed future of this thread: the same type as `futures`' `LocalBoxFuture`, which is all of
/// that crate the library needed besides `join!` (see `task::join`).
pub type LocalBoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// `future.boxed_local()`, as `futures::FutureExt` spells it.
pub trait BoxLocal: Future + Sized {
    fn boxed_local<'a>(self) -> LocalBoxFuture<'a, Self::Output>
    where
        Self: 'a,
    {
        Box::pin(self)
    }
}

impl<F: Future> BoxLocal for F {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// A Frontend API request. Browsers send only GET and POST to FAPI; other verbs are
/// tunnelled through `_method=` in `url`, as clerk-js does, so no CORS preflight is needed.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    /// The body of a POST, when there is one.
    pub body: Option<Body>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    /// `application/x-www-form-urlencoded`: what almost every request sends.
    Form(String),
    /// Bytes of their own type: a file upload (`multipart/form-data; boundary=…`).
    Bytes { content_type: String, bytes: Vec<u8> },
}

impl HttpRequest {
    /// The form body's text, if it has one.
    pub fn form_body(&self) -> Option<&str> {
        match &self.body {
            Some(Body::Form(form)) => Some(form),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
    /// `Clerk-Db-Jwt` header: a replacement dev-browser token.
    pub dev_browser_jwt: Option<String>,
    /// `Retry-After` header in seconds.
    pub retry_after: Option<u32>,
}

/// A failure below HTTP: no connection, CORS refusal, aborted request.
#[derive(Clone, Debug, PartialEq)]
pub struct TransportError(pub String);

pub trait Transport {
    fn send(&self, request: HttpRequest) -> LocalBoxFuture<'static, Result<HttpResponse, TransportError>>;
}

pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
    /// A future that completes after `ms` milliseconds (used for retry back-off).
    fn sleep(&self, ms: u64) -> LocalBoxFuture<'static, ()>;
}

/// Runs background work (token refresh-ahead) on the host's event loop.
pub trait Spawner {
    fn spawn(&self, task: LocalBoxFuture<'static, ()>);
}

/// Messages to the other tabs of the same origin (BroadcastChannel). Incoming messages are
/// handed to [`crate::engine::Clerk::receive_broadcast`] by the host.
pub trait Broadcast {
    fn post(&self, message: &str);

    /// Stops listening and sending for good (the instance was disposed).
    fn close(&self) {}

    /// How the user sees this tab: `focused`, `visible` or `hidden`. clerk-js reports it when
    /// it asks for a session token (`tab_state`); `None` where there is no page.
    fn tab_state(&self) -> Option<&'static str> {
        None
    }
}

/// For hosts with a single tab (and tests that do not look at tabs).
pub struct NoBroadcast;

impl Broadcast for NoBroadcast {
    fn post(&self, _message: &str) {}
}

/// Small persistent strings (the dev-browser token). Failures are ignored by design:
/// storage is a cache, and private browsing modes may refuse it.
pub trait Storage {
    fn get(&self, key: &str) -> Option<String>;
    fn set(&self, key: &str, value: &str);
    fn remove(&self, key: &str);
}

/// Storage that forgets everything when dropped.
#[derive(Default)]
pub struct MemoryStorage(std::cell::RefCell<super::small_map::SmallMap<String, String>>);

impl Storage for MemoryStorage {
    fn get(&self, key: &str) -> Option<String> {
        self.0.borrow().get(key).cloned()
    }
    fn set(&self, key: &str, value: &str) {
        self.0.borrow_mut().insert(key.to_owned(), value.to_owned());
    }
    fn remove(&self, key: &str) {
        self.0.borrow_mut().remove(key);
    }
}
