//! The one error type every fallible operation returns, shaped like Clerk's API errors so that
//! JS sees the same `code` / `message` / `longMessage` / `meta` / `status` as with clerk-js.

use super::json::{Fields, Json, object};
use super::text::decimal;
use std::fmt;

/// One entry of Clerk's error envelope `{errors: [{code, message, long_message, meta}]}`.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiErrorItem {
    pub code: String,
    pub message: String,
    pub long_message: Option<String>,
    pub meta: Option<Json>,
}

impl ApiErrorItem {
    /// An entry of the envelope; fields of the wrong type are treated as absent, since an
    /// error is reported whatever its shape.
    fn from_json(value: &Json) -> ApiErrorItem {
        ApiErrorItem {
            code: value.optional_str("code").ok().flatten().unwrap_or_default(),
            message: value.optional_str("message").ok().flatten().unwrap_or_default(),
            long_message: value.optional_str("long_message").ok().flatten(),
            meta: value.optional_json("meta"),
        }
    }
}

/// The entries of `{errors: [...]}`, when the body is such an envelope.
fn envelope_errors(body: &str) -> Vec<ApiErrorItem> {
    let Ok(body) = Json::parse(body) else { return Vec::new() };
    let items = body.get("errors").and_then(Json::as_array).unwrap_or_default();
    items.iter().filter(|e| e.is_object()).map(ApiErrorItem::from_json).collect()
}

/// Whether an HTTP status says the same request may succeed later (429 and 5xx).
pub(crate) fn is_retryable_status(status: u16) -> bool {
    status == 429 || status >= 500
}

/// Codes of errors raised by the client itself rather than by the server.
pub mod codes {
    pub const NETWORK: &str = "network_error";
    pub const UNEXPECTED_RESPONSE: &str = "unexpected_response";
    pub const INVALID_ARGUMENT: &str = "invalid_argument";
    pub const INVALID_PUBLISHABLE_KEY: &str = "invalid_publishable_key";
    pub const NOT_LOADED: &str = "clerk_not_loaded";
    pub const SESSION_NOT_FOUND: &str = "session_not_found";
    pub const SESSION_NOT_ACTIVE: &str = "session_not_active";
    pub const ORGANIZATION_NOT_FOUND: &str = "organization_not_found";
    pub const BEFORE_EMIT_FAILED: &str = "before_emit_failed";
    pub const DISPOSED: &str = "clerk_disposed";
    pub const COMPONENTS_UNAVAILABLE: &str = "ui_components_unavailable";
}

#[derive(Clone, Debug, PartialEq)]
pub struct ClerkError {
    pub code: String,
    pub message: String,
    pub long_message: Option<String>,
    pub meta: Option<Json>,
    /// HTTP status when the error came from the server; `None` for client-side errors.
    pub status: Option<u16>,
    /// Seconds to wait before retrying, from a `Retry-After` header (429/503).
    pub retry_after: Option<u32>,
    /// Every entry of the server's error envelope (the first one is mirrored above).
    pub errors: Vec<ApiErrorItem>,
}

impl ClerkError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        ClerkError {
            code: code.to_owned(),
            message: message.into(),
            long_message: None,
            meta: None,
            status: None,
            retry_after: None,
            errors: Vec::new(),
        }
    }

    pub fn with_long_message(mut self, long: impl Into<String>) -> Self {
        self.long_message = Some(long.into());
        self
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(codes::INVALID_ARGUMENT, message)
    }

    pub fn network(message: impl Into<String>) -> Self {
        Self::new(codes::NETWORK, message)
    }

    /// A response the client could not make sense of (wrong shape, not JSON, …).
    pub fn unexpected_response(status: u16, detail: &str) -> Self {
        let mut e = Self::new(codes::UNEXPECTED_RESPONSE, "The server sent a response the client could not read")
            .with_long_message(["HTTP ", &decimal(status.into()), ": ", detail].concat());
        e.status = Some(status);
        e
    }

    /// Builds the error for a non-2xx response, from the envelope when there is one.
    pub(crate) fn from_response(status: u16, body: &str, retry_after: Option<u32>) -> Self {
        let errors = envelope_errors(body);
        let mut e = match errors.first().cloned() {
            Some(first) => ClerkError {
                code: first.code,
                message: first.message,
                long_message: first.long_message,
                meta: first.meta,
                status: None,
                retry_after: None,
                errors,
            },
            None => ClerkError::new(
                if status == 429 { "too_many_requests" } else { "http_error" },
                ["The server answered HTTP ", &decimal(status.into())].concat(),
            ),
        };
        e.status = Some(status);
        e.retry_after = retry_after;
        e
    }

    /// The error as the object layer receives it: `{code, message, long_message, meta, status,
    /// retry_after, errors: [{code, message, long_message, meta}]}`. A client-side error is its
    /// own single entry of `errors`, so `errors[0]` is always there, as with clerk-js.
    pub fn to_json(&self) -> Json {
        let item = |e: &ApiErrorItem| {
            object([
                ("code", Json::String(e.code.clone())),
                ("message", Json::String(e.message.clone())),
                ("long_message", Json::string_or_null(e.long_message.as_deref())),
                ("meta", e.meta.clone().unwrap_or(Json::Object(Vec::new()))),
            ])
        };
        let own = [ApiErrorItem {
            code: self.code.clone(),
            message: self.message.clone(),
            long_message: self.long_message.clone(),
            meta: self.meta.clone(),
        }];
        let items = if self.errors.is_empty() { &own[..] } else { &self.errors[..] };
        let number = |n: Option<u32>| n.map_or(Json::Null, |n| Json::Number(decimal(n.into()).into()));
        object([
            ("code", Json::String(self.code.clone())),
            ("message", Json::String(self.message.clone())),
            ("long_message", Json::string_or_null(self.long_message.as_deref())),
            ("meta", self.meta.clone().unwrap_or(Json::Object(Vec::new()))),
            ("status", number(self.status.map(u32::from))),
            ("retry_after", number(self.retry_after)),
            ("errors", Json::Array(items.iter().map(item).collect())),
        ])
    }
}

impl fmt::Display for ClerkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)?;
        if let Some(long) = &self.long_message {
            write!(f, ": {long}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ClerkError {}

pub type Result<T, E = ClerkError> = std::result::Result<T, E>;
