//! An exchange: one logical Frontend API request, carried through its attempts as explicit
//! state. Each step ends by commanding a `Send` or a back-off `SetTimer` and parking the
//! exchange in the pending table under that id; the input that answers the id continues it.
//!
//! ```text
//!            ┌──────────── no dev-browser token yet ─────────────┐
//!  begin ────┤                                                   ▼
//!            └─▶ Main ──401 dev_browser_unauthenticated (once)─▶ DevBrowser ──▶ Main
//!                 │ 401 while signed in (not /client)
//!                 ▼
//!               Reread: GET /client, applied, then the caller hears of the 401
//! ```
//! In every phase, a retryable answer (429, 5xx) or a network failure of an idempotent request
//! waits out a jittered back-off (never shorter than `Retry-After`) and is sent again, up to
//! [`MAX_ATTEMPTS`] times. The outcome goes to the exchange's [`Then`].

use super::clerk::Clerk;
use super::error::{ClerkError, Result, is_retryable_status};
use super::fapi::{MAX_ATTEMPTS, Request, Retry, is_signed_out, parse_success};
use super::flow::{Pending, Then};
use super::json::Json;
use super::platform::{HttpRequest, HttpResponse, Method};

pub(crate) struct Exchange {
    /// `None`: only make sure of the dev-browser token (`load()` does, before its two requests).
    request: Option<Request>,
    then: Then,
    phase: Phase,
    /// Of the current phase's request, from 1.
    attempt: u32,
    /// The dev browser was renewed once already after `dev_browser_unauthenticated`.
    renewed: bool,
}

enum Phase {
    DevBrowser,
    Main,
    /// clerk-js's `handleUnauthenticated`: the client is read again before the caller hears of
    /// this 401, so a session that ended elsewhere is no longer active by then.
    Reread(HttpResponse),
}

impl Clerk {
    /// Sends `request`; its outcome goes to `then`.
    pub(super) fn send(&self, request: Request, then: Then) {
        self.begin(Exchange { request: Some(request), then, phase: Phase::Main, attempt: 1, renewed: false });
    }

    /// Makes sure of a dev-browser token (at once when there is one or none is needed).
    pub(super) fn ensure_dev_browser(&self, then: Then) {
        self.begin(Exchange { request: None, then, phase: Phase::Main, attempt: 1, renewed: false });
    }

    fn begin(&self, mut exchange: Exchange) {
        if self.0.fapi.needs_dev_browser_token() {
            exchange.phase = Phase::DevBrowser;
        } else if exchange.request.is_none() {
            return self.finish(exchange.then, Ok(Json::Null));
        }
        self.transmit(exchange);
    }

    /// Commands the current phase's request and parks the exchange until it is answered.
    fn transmit(&self, exchange: Exchange) {
        let fapi = &self.0.fapi;
        let http = match (&exchange.phase, &exchange.request) {
            (Phase::DevBrowser, _) => fapi.dev_browser_request(),
            (Phase::Main, Some(request)) => fapi.http(request),
            // (`Main` without a request never transmits: `begin` and the dev-browser step finish it.)
            (Phase::Reread(_) | Phase::Main, _) => {
                HttpRequest { method: Method::Get, url: fapi.url("/client", super::fapi::Verb::Get, &[]), body: None }
            }
        };
        let id = self.0.port.send(http);
        self.0.flows.borrow_mut().pending.insert(id, Pending::Reply(Box::new(exchange)));
    }

    /// The back-off timer of `exchange` fired: the same request again.
    pub(super) fn resend(&self, exchange: Exchange) {
        self.transmit(exchange);
    }

    /// What came of the current attempt: an answer, or `Err(message)` below HTTP.
    pub(super) fn answered(&self, mut exchange: Exchange, outcome: std::result::Result<HttpResponse, String>) {
        let retry = match (&exchange.phase, &exchange.request) {
            (Phase::Main, Some(request)) => request.retry,
            _ => Retry::Idempotent,
        };
        let last = retry == Retry::Once || exchange.attempt >= MAX_ATTEMPTS;
        let error = match outcome {
            Ok(response) => {
                self.0.fapi.received(&response);
                if last || !is_retryable_status(response.status) {
                    return self.final_answer(exchange, response);
                }
                ClerkError::from_response(response.status, &response.body, response.retry_after)
            }
            Err(message) => {
                let error = ClerkError::network(["The request to the Frontend API failed: ", &message].concat());
                if last {
                    return match exchange.phase {
                        // The re-read failed: the 401 stands as it was, and nothing changed.
                        Phase::Reread(original) => self.finish(exchange.then, parse_success(&original)),
                        _ => self.finish(exchange.then, Err(error)),
                    };
                }
                error
            }
        };
        let delay = self.0.fapi.backoff_ms(exchange.attempt, error.retry_after);
        exchange.attempt += 1;
        let timer = self.0.port.set_timer(delay);
        self.0.flows.borrow_mut().pending.insert(timer, Pending::Backoff(Box::new(exchange)));
    }

    fn final_answer(&self, mut exchange: Exchange, response: HttpResponse) {
        exchange.attempt = 1;
        match std::mem::replace(&mut exchange.phase, Phase::Main) {
            Phase::DevBrowser => match self.0.fapi.accept_dev_browser(&response) {
                Ok(()) if exchange.request.is_some() => self.transmit(exchange),
                outcome => self.finish(exchange.then, outcome.map(|()| Json::Null)),
            },
            Phase::Main => {
                let path = exchange.request.as_ref().map_or("", |r| r.path.as_str());
                if !exchange.renewed && self.0.fapi.forgot_dev_browser(&response) {
                    exchange.renewed = true;
                    exchange.phase = Phase::DevBrowser;
                    self.transmit(exchange);
                } else if path != "/client" && is_signed_out(&response) && self.signed_in() {
                    exchange.phase = Phase::Reread(response);
                    self.transmit(exchange);
                } else {
                    self.finish(exchange.then, parse_success(&response));
                }
            }
            Phase::Reread(original) => {
                // A failed read changes nothing.
                let _ = parse_success(&response).and_then(|body| self.client_answered(&body));
                self.finish(exchange.then, parse_success(&original));
            }
        }
    }

    /// Whether a session is active, so a 401 may mean it ended elsewhere.
    fn signed_in(&self) -> bool {
        self.0.state.borrow().active_session_id.is_some() && !self.is_disposed()
    }
}

/// What an exchange's outcome is, for a [`Then`]: the answer's JSON or the typed error.
pub(crate) type Outcome = Result<Json>;
