//! The one generic operation behind every resource method of the object layer (`user.update`,
//! `emailAddress.prepareVerification`, `organization.inviteMember`, the paginated lists, …).
//!
//! The object layer names the request as data: a verb, the path's segments, the parameters, and
//! for a list the query. Everything else is the protocol, and lives here once: each segment is
//! checked (an id can never climb out of its path), the parameters become clerk-js's form (keys
//! in snake_case, arrays as repeated keys, objects as JSON text), `_clerk_session_id` names the
//! active session, a GET may be retried, the `client` piggy-backed on the answer replaces ours
//! and is emitted, and a change to the account or an organization forgets the active session's
//! cached tokens (their claims may be stale: `org_role`, `org_permissions`, the user's fields in
//! a JWT template). A hundred methods thus cost one request purpose in the wasm, not a hundred.

use super::clerk::*;
use super::error::{ClerkError, Result};
use super::fapi::{Body, Request, Retry, Verb};
use super::flow::{Purpose, Then};
use super::json::Json;
use super::params::{optional_string, snake_case};

/// One resource request, as the object layer describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceRequest {
    pub verb: Verb,
    /// `/`-joined, after each segment was checked.
    pub path: String,
    /// Query parameters (a GET's filters and pages), repeated keys for arrays.
    pub query: Vec<(String, String)>,
    /// The body: form fields, or a file upload.
    pub body: ResourceBody,
    /// `{data, total_count}` is expected (a paginated list).
    pub list: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ResourceBody {
    Form(Vec<(String, String)>),
    /// `multipart/form-data` with one `file` part, as clerk-js uploads a `Blob`.
    File {
        name: String,
        content_type: String,
        bytes: Vec<u8>,
    },
    /// The file given as a string (a data URL), sent as it is: clerk-js's `application/octet-stream`.
    Raw(String),
}

impl ResourceRequest {
    /// `{verb, path: [segment…], params?, query?, file?, list?}`.
    pub fn parse(args: &Json) -> Result<ResourceRequest> {
        let verb = match optional_string(args, "verb")?.as_deref() {
            Some("GET") => Verb::Get,
            Some("POST") => Verb::Post,
            Some("PUT") => Verb::Put,
            Some("PATCH") => Verb::Patch,
            Some("DELETE") => Verb::Delete,
            _ => return Err(ClerkError::invalid_argument("verb must be GET, POST, PUT, PATCH or DELETE")),
        };
        let segments = args.get("path").and_then(Json::as_array).filter(|s| !s.is_empty());
        let mut path = String::new();
        for segment in segments.ok_or_else(|| ClerkError::invalid_argument("path must be a list of segments"))? {
            let text = match segment {
                Json::String(s) => s.as_str(),
                _ => return Err(ClerkError::invalid_argument("Every path segment must be a string")),
            };
            validate_path_segment("id", text)?;
            path.push('/');
            path.push_str(text);
        }
        let body = match (args.get("file"), args.get("params")) {
            (Some(Json::String(raw)), _) => ResourceBody::Raw(raw.clone()),
            (Some(file @ Json::Object(_)), _) => ResourceBody::File {
                name: header_safe(optional_string(file, "name")?.unwrap_or_else(|| "blob".into())),
                content_type: header_safe(
                    optional_string(file, "type")?.filter(|t| !t.is_empty()).unwrap_or_else(|| "application/octet-stream".into()),
                ),
                bytes: latin1_bytes(&optional_string(file, "bytes")?.unwrap_or_default())?,
            },
            (Some(file), _) if !file.is_null() => return Err(ClerkError::invalid_argument("file must be a Blob, a File or a string")),
            (_, params) => ResourceBody::Form(fields(params)?),
        };
        Ok(ResourceRequest { verb, path, query: fields(args.get("query"))?, body, list: args.get("list") == Some(&Json::Bool(true)) })
    }
}

/// What the app passed, as clerk-js's `stringifyQueryParams` writes it: camelCase keys in
/// snake_case, arrays as one pair per item, objects as JSON text, `null` as empty; keys whose
/// value was `undefined` never reached us (`JSON.stringify` dropped them).
pub fn fields(params: Option<&Json>) -> Result<Vec<(String, String)>> {
    let entries = match params {
        None | Some(Json::Null) => return Ok(Vec::new()),
        Some(Json::Object(entries)) => entries,
        Some(_) => return Err(ClerkError::invalid_argument("Expected an object of parameters")),
    };
    let mut out = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let key = snake_case(key);
        match value {
            Json::Array(items) => {
                for item in items {
                    out.push((key.clone(), text(item)));
                }
            }
            _ => out.push((key, text(value))),
        }
    }
    Ok(out)
}

fn text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        // Numbers as JSON wrote them (as JS prints them), booleans, and objects as JSON text.
        other => other.to_text(),
    }
}

/// A file name or type goes into a part header: no quotes or line breaks can break out of it.
fn header_safe(text: String) -> String {
    text.chars().filter(|c| !matches!(c, '"' | '\r' | '\n' | '\\')).collect()
}

/// The object layer hands a file's bytes over as a string of code points 0–255, one per byte
/// (JSON carries it; nothing needs decoding but this).
fn latin1_bytes(text: &str) -> Result<Vec<u8>> {
    text.chars().map(|c| u8::try_from(u32::from(c)).map_err(|_| ClerkError::invalid_argument("file bytes must be 0–255"))).collect()
}

/// `multipart/form-data` with one `file` part; the boundary is one the bytes do not contain.
fn multipart(name: &str, content_type: &str, bytes: &[u8], seed: u64) -> Body {
    let mut boundary = ["----clerk-rs-", &super::text::decimal(seed)].concat();
    while bytes.windows(boundary.len()).any(|w| w == boundary.as_bytes()) {
        boundary.push('x');
    }
    let head = [
        "--",
        &boundary,
        "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"",
        name,
        "\"\r\nContent-Type: ",
        content_type,
        "\r\n\r\n",
    ]
    .concat();
    let mut body = head.into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(["\r\n--", &boundary, "--\r\n"].concat().as_bytes());
    Body::Bytes { content_type: ["multipart/form-data; boundary=", &boundary].concat(), bytes: body }
}

impl Clerk {
    /// Sends `request` for the active session; the call answers its `response`.
    pub(super) fn start_resource(&self, call: u32, request: ResourceRequest) -> Result<()> {
        self.require_loaded()?;
        let session = self.0.state.borrow().active_session_id.clone();
        let mut query = request.query;
        if let Some(id) = &session {
            query.push(("_clerk_session_id".into(), id.clone()));
        }
        let get = request.verb == Verb::Get;
        let body = match request.body {
            _ if get => None,
            ResourceBody::Form(form) => Some(Body::Form(super::form::encode(form.iter().map(|(k, v)| (k.as_str(), v.as_str()))))),
            ResourceBody::File { name, content_type, bytes } => Some(multipart(&name, &content_type, &bytes, self.now_ms())),
            ResourceBody::Raw(raw) => Some(Body::Bytes { content_type: "application/octet-stream".into(), bytes: raw.into_bytes() }),
        };
        let retry = if get { Retry::Idempotent } else { Retry::Once };
        let purpose = Purpose::Resource { session, mutating: !get, list: request.list };
        self.send(Request { verb: request.verb, path: request.path, query, body, retry }, Then::Call(call, purpose));
        Ok(())
    }

    /// A resource request's answer: the client it carries is kept, and its `response` is the
    /// call's answer.
    pub(super) fn resource_answered(&self, answer: Json, session: Option<String>, mutating: bool, list: bool) -> Result<Json> {
        if let (true, Some(id)) = (mutating, &session) {
            self.0.tokens.clear_session(id);
        }
        // A few answers are bare lists with no envelope (`GET /me/sessions/active`, as clerk-js reads it).
        let response = if matches!(answer, Json::Array(_)) { answer } else { self.absorb(answer, Emit::Now)? };
        if list && response.get("data").and_then(Json::as_array).is_none() {
            return Err(ClerkError::unexpected_response(200, "the list has no data"));
        }
        Ok(response)
    }

    /// Whether an environment setting the React SDKs ask about is on (clerk-js's
    /// `__internal_attemptToEnableEnvironmentSetting`); only `organizations` exists.
    pub fn setting_enabled(&self, setting: &str) -> Result<bool> {
        if setting != "organizations" {
            return Err(ClerkError::invalid_argument(["Unknown or unsupported setting \"", setting, "\""].concat()));
        }
        let environment = self.environment();
        let enabled = environment.as_deref().and_then(|e| e.get("organization_settings")?.get("enabled")).and_then(Json::as_bool);
        Ok(enabled.unwrap_or(false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ResourceRequest> {
        ResourceRequest::parse(&Json::parse(text).unwrap())
    }

    #[test]
    fn requests_are_named_as_data_and_checked() {
        let r = parse(r#"{"verb":"PATCH","path":["me"],"params":{"firstName":"Ada","unsafeMetadata":{"a":[1]},"x":null}}"#).unwrap();
        assert_eq!((r.verb, r.path.as_str(), r.list), (Verb::Patch, "/me", false));
        let expected = [("first_name", "Ada"), ("unsafe_metadata", r#"{"a":[1]}"#), ("x", "")];
        assert_eq!(r.body, ResourceBody::Form(expected.map(|(k, v)| (k.to_owned(), v.to_owned())).to_vec()));
        let list = parse(r#"{"verb":"GET","path":["organizations","org_1","memberships"],"query":{"role":["org:admin","org:member"],"limit":10},"list":true}"#).unwrap();
        assert_eq!(list.path, "/organizations/org_1/memberships");
        assert_eq!(list.query, [("role", "org:admin"), ("role", "org:member"), ("limit", "10")].map(|(k, v)| (k.to_owned(), v.to_owned())));
        assert!(list.list);
        for bad in [
            r#"{"verb":"GET","path":["me","..","x"]}"#,
            r#"{"verb":"GET","path":["me/../x"]}"#,
            r#"{"verb":"GET","path":["me",""]}"#,
            r#"{"verb":"GET","path":[]}"#,
            r#"{"verb":"GET","path":["me",7]}"#,
            r#"{"verb":"TRACE","path":["me"]}"#,
            r#"{"path":["me"]}"#,
            r#"{"verb":"POST","path":["me"],"params":[1]}"#,
            r#"{"verb":"POST","path":["me"],"file":7}"#,
            r#"{"verb":"POST","path":["me"],"file":{"bytes":"\u0100"}}"#,
        ] {
            assert_eq!(parse(bad).unwrap_err().code, "invalid_argument", "{bad}");
        }
    }

    #[test]
    fn files_become_one_multipart_part() {
        let r = parse(
            r#"{"verb":"POST","path":["me","profile_image"],"file":{"name":"a\"b.png","type":"image/png","bytes":"\u0089PNG\u00ff"}}"#,
        )
        .unwrap();
        let ResourceBody::File { name, content_type, bytes } = &r.body else { panic!("{r:?}") };
        assert_eq!((name.as_str(), content_type.as_str(), bytes.as_slice()), ("ab.png", "image/png", &[0x89, b'P', b'N', b'G', 0xff][..]));
        let Body::Bytes { content_type, bytes } = multipart(name, content_type, bytes, 7) else { panic!() };
        assert_eq!(content_type, "multipart/form-data; boundary=----clerk-rs-7");
        let mut expected = b"------clerk-rs-7\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ab.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\xff".to_vec();
        expected.extend_from_slice(b"\r\n------clerk-rs-7--\r\n");
        assert_eq!(bytes, expected);
        // A boundary never occurs in the bytes it frames.
        let Body::Bytes { content_type, .. } = multipart("f", "t", b"------clerk-rs-7", 7) else { panic!() };
        assert_eq!(content_type, "multipart/form-data; boundary=----clerk-rs-7x");
    }
}
