//! The Frontend API's rules that need no waiting: URL building, method tunnelling, the
//! dev-browser identity, envelopes, typed errors and the back-off of idempotent requests. How
//! a request goes through them, attempt by attempt, is [`super::exchange`].

use super::error::{ClerkError, Result};
use super::form;
use super::json::Json;
pub use super::platform::Body;
use super::platform::{HttpRequest, HttpResponse, Method};
use super::port::Port;
use std::cell::{Cell, RefCell};

/// The API version we speak, sent on every request as clerk-js does.
pub const API_VERSION: &str = "2026-08-20";
const DEV_BROWSER_UNAUTHENTICATED: &str = "dev_browser_unauthenticated";
/// Attempts for idempotent requests (GETs and token minting); mutations are sent once.
pub(super) const MAX_ATTEMPTS: u32 = 4;
const BASE_BACKOFF_MS: u64 = 250;
const MAX_BACKOFF_MS: u64 = 8_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Verb {
    fn tunnelled(self) -> Option<&'static str> {
        match self {
            Verb::Get | Verb::Post => None,
            Verb::Put => Some("PUT"),
            Verb::Patch => Some("PATCH"),
            Verb::Delete => Some("DELETE"),
        }
    }
}

/// Frontend API hosts of Clerk's own development instances, where clerk-js always uses a dev
/// browser (`@clerk/shared`'s `DEV_OR_STAGING_SUFFIXES`).
const CLERK_DEV_HOST_SUFFIXES: [&str; 9] = [
    ".lcl.dev",
    ".stg.dev",
    ".lclstage.dev",
    ".stgstage.dev",
    ".dev.lclclerk.com",
    ".stg.lclclerk.com",
    ".accounts.lclclerk.com",
    "accountsstage.dev",
    "accounts.dev",
];

/// Whether a development instance identifies the browser by a dev-browser token rather than by
/// its `__client` cookie. Always for Clerk's own development hosts, as clerk-js does. Otherwise
/// only when the Frontend API is on another origin than the page (another site or port, such as
/// a local clerk-server beside a dev server): a third-party cookie may not reach it, while a
/// same-origin Frontend API gets the cookie and the `POST /v1/dev_browser` would be wasted.
pub fn needs_dev_browser(frontend_api: &str, base_url: &str, page_origin: Option<&str>) -> bool {
    let host = frontend_api.bytes().rposition(|b| b == b':').map_or(frontend_api, |colon| &frontend_api[..colon]);
    if CLERK_DEV_HOST_SUFFIXES.iter().any(|suffix| host.ends_with(suffix)) {
        return true;
    }
    match page_origin.filter(|o| !o.is_empty() && *o != "null") {
        Some(origin) => origin_of(base_url) != origin.trim_end_matches('/'),
        None => true,
    }
}

/// `scheme://host[:port]` of a base URL (always `http://` or `https://`, see [`base_url`]).
fn origin_of(url: &str) -> &str {
    let after_scheme = if url.starts_with("https://") {
        8
    } else if url.starts_with("http://") {
        7
    } else {
        0
    };
    let end = url.bytes().skip(after_scheme).position(|b| b == b'/').map_or(url.len(), |i| after_scheme + i);
    &url[..end]
}

/// Whether a failed request may be sent again without changing its effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    Idempotent,
    Once,
}

/// One Frontend API request as an operation names it: sent, retried and renewed by
/// [`super::exchange`].
#[derive(Clone, Debug)]
pub(crate) struct Request {
    pub(crate) verb: Verb,
    /// From `/`, after the base URL.
    pub(crate) path: String,
    /// Besides what every request carries (the API version, the tunnelled method, the
    /// dev-browser token).
    pub(crate) query: Vec<(String, String)>,
    pub(crate) body: Option<Body>,
    pub(crate) retry: Retry,
}

impl Request {
    /// A request with a form body (none for a GET); `Idempotent` GETs and tokens, `Once` else.
    pub(crate) fn form(verb: Verb, path: String, form: &[(&str, &str)], retry: Retry) -> Request {
        let body = (verb != Verb::Get).then(|| Body::Form(super::form::encode(form.iter().copied())));
        Request { verb, path, query: Vec::new(), body, retry }
    }

    pub(crate) fn with_query(mut self, query: &[(&str, &str)]) -> Request {
        self.query = query.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        self
    }
}

pub struct FrontendApi {
    /// `<origin>[/prefix]/v1`, without a trailing slash.
    base_url: String,
    /// Development instances identify the browser by a dev-browser token in the query string,
    /// so they work without third-party cookies.
    uses_dev_browser: bool,
    dev_browser_token: RefCell<Option<String>>,
    storage_key: String,
    port: Port,
    jitter_seed: Cell<u64>,
}

impl FrontendApi {
    pub fn new(base_url: String, uses_dev_browser: bool, port: Port) -> Self {
        let storage_key = ["clerk_db_jwt:", &base_url].concat();
        let stored = if uses_dev_browser { port.stored(&storage_key) } else { None };
        let seed = port.now_ms() | 1;
        FrontendApi { base_url, uses_dev_browser, dev_browser_token: RefCell::new(stored), storage_key, port, jitter_seed: Cell::new(seed) }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn dev_browser_token(&self) -> Option<String> {
        self.dev_browser_token.borrow().clone()
    }

    /// The full URL of `path` (starting with `/`), with the query every request carries.
    pub fn url(&self, path: &str, verb: Verb, extra_query: &[(&str, &str)]) -> String {
        let mut query = form::encode([("__clerk_api_version", API_VERSION)]);
        if let Some(method) = verb.tunnelled() {
            form::encode_into(&mut query, [("_method", method)]);
        }
        if let Some(token) = self.dev_browser_token.borrow().as_deref() {
            form::encode_into(&mut query, [("__clerk_db_jwt", token)]);
        }
        form::encode_into(&mut query, extra_query.iter().copied());
        [&self.base_url, path, "?", &query].concat()
    }

    /// Whether a request must wait for a dev-browser token first (`POST /v1/dev_browser`).
    pub(super) fn needs_dev_browser_token(&self) -> bool {
        self.uses_dev_browser && self.dev_browser_token.borrow().is_none()
    }

    pub(super) fn dev_browser_request(&self) -> HttpRequest {
        HttpRequest { method: Method::Post, url: [&self.base_url, "/dev_browser"].concat(), body: None }
    }

    /// Keeps the token a `POST /v1/dev_browser` answered with.
    pub(super) fn accept_dev_browser(&self, response: &HttpResponse) -> Result<()> {
        let body = parse_success(response)?;
        let token = body
            .get("id")
            .or_else(|| body.get("token"))
            .and_then(Json::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ClerkError::unexpected_response(response.status, "dev_browser response has no id"))?;
        self.store_dev_browser_token(Some(token.to_owned()));
        Ok(())
    }

    /// A 401 that says the server forgot our dev browser (its database was reset, say): the
    /// token is dropped, and the caller gets a new one, once.
    pub(super) fn forgot_dev_browser(&self, response: &HttpResponse) -> bool {
        let forgot = self.uses_dev_browser && is_dev_browser_unauthenticated(response);
        if forgot {
            self.store_dev_browser_token(None);
        }
        forgot
    }

    /// A token the server sent in the `Clerk-Db-Jwt` header replaces ours.
    pub(super) fn received(&self, response: &HttpResponse) {
        if let Some(token) = response.dev_browser_jwt.clone().filter(|t| !t.is_empty()) {
            self.store_dev_browser_token(Some(token));
        }
    }

    fn store_dev_browser_token(&self, token: Option<String>) {
        self.port.store(&self.storage_key, token.as_deref());
        *self.dev_browser_token.borrow_mut() = token;
    }

    /// The HTTP request of `request` as it is to be sent now (with the current dev-browser token).
    pub(super) fn http(&self, request: &Request) -> HttpRequest {
        let get = request.verb == Verb::Get;
        let query: Vec<(&str, &str)> = request.query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        HttpRequest {
            method: if get { Method::Get } else { Method::Post },
            url: self.url(&request.path, request.verb, &query),
            // A GET never has a body: fetch would refuse it.
            body: if get { None } else { request.body.clone() },
        }
    }

    /// Exponential back-off with full jitter, never shorter than the server's `Retry-After`.
    pub(super) fn backoff_ms(&self, attempt: u32, retry_after: Option<u32>) -> u64 {
        let ceiling = (BASE_BACKOFF_MS << (attempt - 1).min(6)).min(MAX_BACKOFF_MS);
        // xorshift64: enough randomness to de-synchronise tabs, no RNG dependency.
        let mut x = self.jitter_seed.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.jitter_seed.set(x);
        let jittered = ceiling / 2 + x % (ceiling / 2 + 1);
        jittered.max(u64::from(retry_after.unwrap_or(0)) * 1000)
    }
}

/// The first error code of a 401, or `None` for any other answer.
fn unauthenticated_code(response: &HttpResponse) -> Option<String> {
    if response.status != 401 {
        return None; // every other answer's body, a client perhaps, is not parsed here
    }
    let body = Json::parse(&response.body).ok()?;
    let code = body.get("errors").and_then(|e| e.at(0)).and_then(|e| e.get("code")).and_then(Json::as_str);
    Some(code.unwrap_or_default().to_owned())
}

/// A 401 that means "this dev-browser token is unknown here" rather than "signed out".
fn is_dev_browser_unauthenticated(response: &HttpResponse) -> bool {
    unauthenticated_code(response).as_deref() == Some(DEV_BROWSER_UNAUTHENTICATED)
}

/// A 401 that may mean "signed out": not a dev-browser one, nor a captcha demand.
pub(super) fn is_signed_out(response: &HttpResponse) -> bool {
    unauthenticated_code(response).is_some_and(|code| code != DEV_BROWSER_UNAUTHENTICATED && code != "requires_captcha")
}

/// The JSON body of a 2xx response, or the typed error the response stands for.
pub(super) fn parse_success(response: &HttpResponse) -> Result<Json> {
    if !(200..300).contains(&response.status) {
        return Err(ClerkError::from_response(response.status, &response.body, response.retry_after));
    }
    if response.body.trim().is_empty() {
        return Ok(Json::Null);
    }
    Json::parse(&response.body).map_err(|e| ClerkError::unexpected_response(response.status, &e.message()))
}

/// Resolves the Frontend API base URL from the publishable key and options, as clerk-js does:
/// a proxy URL wins (and is how plain-http servers are reached); otherwise https to the key's host.
pub fn base_url(frontend_api: &str, proxy_url: Option<&str>) -> Result<String> {
    match proxy_url.map(str::trim).filter(|p| !p.is_empty()) {
        Some(proxy) => {
            if !(proxy.starts_with("http://") || proxy.starts_with("https://")) {
                return Err(ClerkError::invalid_argument(["proxyUrl must be an absolute http(s) URL, got \"", proxy, "\""].concat()));
            }
            Ok([proxy.trim_end_matches('/'), "/v1"].concat())
        }
        None => Ok(["https://", frontend_api, "/v1"].concat()),
    }
}
