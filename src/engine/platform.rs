//! The HTTP requests and answers the engine commands and hears of (see [`super::port`]): the
//! object layer's driver performs them with `fetch`, the native tests with a scripted server.

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
