//! One error type for every endpoint, rendered the way Clerk does:
//! `{"errors":[{"code","message","long_message","meta"}]}` with the matching HTTP status.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::store::StoreError;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub long_message: String,
    pub meta: Value,
    /// Seconds for a `Retry-After` header (rate limiting).
    /// (u32: a day is 86,400; keeps the type small, see `internal_detail`.)
    pub retry_after: Option<u32>,
    /// What went wrong inside, for the log only (never sent). Logged when the error is answered,
    /// not when it is made: a transaction body that is run again makes errors nobody sees.
    /// Boxed: every handler returns this error type, and clippy keeps it at most 128 bytes.
    pub internal_detail: Option<Box<String>>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        let message = message.into();
        ApiError { status, code, long_message: message.clone(), message, meta: json!({}), retry_after: None, internal_detail: None }
    }

    pub fn long(mut self, long_message: impl Into<String>) -> Self {
        self.long_message = long_message.into();
        self
    }

    /// Names the offending parameter, as Clerk does for form errors.
    pub fn param(mut self, name: &str) -> Self {
        self.meta = json!({ "param_name": name });
        self
    }

    pub fn meta(mut self, meta: Value) -> Self {
        self.meta = meta;
        self
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "resource_not_found", format!("{what} not found"))
            .long(format!("No {what} was found with the given identifier for this client."))
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    pub fn invalid_param(name: &str, message: impl Into<String>) -> Self {
        Self::unprocessable("form_param_value_invalid", message).param(name)
    }

    pub fn missing_param(name: &str) -> Self {
        Self::unprocessable("form_param_missing", format!("{name} is missing"))
            .long(format!("The `{name}` parameter is required."))
            .param(name)
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    pub fn too_many_attempts(retry_after: u64) -> Self {
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", "Too many failed attempts")
            .long(format!("Too many failed attempts. Try again in {retry_after} seconds."));
        e.retry_after = Some(u32::try_from(retry_after).unwrap_or(u32::MAX).max(1));
        e
    }

    /// `limit`: the body limit in bytes (`extract::BODY_LIMIT`; passed in, so that errors need
    /// nothing from extract, which builds on errors).
    pub fn body_too_large(limit: usize) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "request_body_too_large", "Request body too large")
            .long(format!("Request bodies are limited to {limit} bytes."))
    }

    pub fn internal(message: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_clerk_error", "Something went wrong")
            .long("The server hit an internal error; see its log.");
        e.internal_detail = Some(Box::new(message.into()));
        e
    }

    pub fn to_json(&self) -> Value {
        json!({ "errors": [self.error_json()] })
    }

    /// The one error object, as a verification's `error` carries it.
    pub fn error_json(&self) -> Value {
        json!({ "code": self.code, "message": self.message, "long_message": self.long_message, "meta": self.meta })
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::internal(format!("store: {e}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(detail) = &self.internal_detail {
            tracing::error!(status = self.status.as_u16(), code = self.code, "internal error: {detail}");
        }
        let mut resp = json_response(self.status, &self.to_json());
        if let Some(secs) = self.retry_after {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::PAYLOAD_TOO_LARGE {
            // The body was not read, so the connection cannot carry another request: say so,
            // or a client that reuses it gets a broken message (seen as a flaky test).
            resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        resp
    }
}

/// JSON with `Content-Type` exactly `application/json`: @clerk/backend treats anything else
/// (even `; charset=utf-8`) as text and hands callers a raw string.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut resp = (status, bytes).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// A 200 JSON response; handlers return this.
pub struct Json(pub Value);

impl IntoResponse for Json {
    fn into_response(self) -> Response {
        json_response(StatusCode::OK, &self.0)
    }
}
