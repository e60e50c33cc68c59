//! Decoding without verification: all a browser client needs (it reads `exp`, `iat`, `sid`, `o`,
//! and trusts the token because it came straight from the Frontend API).

use std::fmt;

#[cfg(feature = "claims")]
use serde_json::{Map, Value};

#[cfg(feature = "claims")]
use crate::SessionClaims;
use crate::base64::{self, Engine};

/// Tokens longer than this are rejected before any parsing. Session tokens live in a cookie
/// (≤ 4 KiB), so 16 KiB is generous while bounding the work an attacker can cause.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;
const TOO_LONG: &str = "token is longer than the 16384 bytes allowed";
const _: () = assert!(MAX_TOKEN_LEN == 16384, "TOO_LONG names the limit");

/// base64url without padding when encoding; padding tolerated when decoding, like
/// @clerk/backend's loose parser.
pub(crate) const BASE64URL: Engine = base64::URL_SAFE_NO_PAD_INDIFFERENT;

/// Why a token could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// Not a JWT: wrong number of segments, bad base64url, not JSON, not an object, too large.
    Malformed(String),
    /// A well-formed JWT whose claims do not fit [`SessionClaims`] (e.g. no `sub` or `exp`).
    InvalidClaims(String),
}

impl TokenError {
    /// What `Display` shows, built without `core::fmt` (the wasm library never formats).
    pub fn message(&self) -> String {
        match self {
            Self::Malformed(why) => ["malformed token: ", why].concat(),
            Self::InvalidClaims(why) => ["invalid session token claims: ", why].concat(),
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for TokenError {}

#[cfg(feature = "claims")]
/// Decodes a session token's claims **without checking its signature** or its times.
///
/// Use it only where the token's origin is already trusted (a browser reading the token the
/// Frontend API just returned). Servers must use `verify_and_validate` (feature `verify`).
pub fn decode_unverified(token: &str) -> Result<SessionClaims, TokenError> {
    let parts = split(token)?;
    let payload = decode_json_object(parts.payload, "payload")?;
    serde_json::from_value(Value::Object(payload)).map_err(|e| TokenError::InvalidClaims(e.to_string()))
}

/// The payload of a token as JSON text, undecoded, for hosts that parse JSON themselves.
pub fn payload_json(token: &str) -> Result<String, TokenError> {
    let parts = split(token)?;
    String::from_utf8(decode_segment(parts.payload, "payload")?).map_err(|_| TokenError::Malformed("payload is not UTF-8".into()))
}

/// The three raw segments of a compact JWS.
// Only the payload is needed without `verify`.
#[cfg_attr(not(feature = "verify"), allow(dead_code))]
pub(crate) struct Parts<'a> {
    pub header: &'a str,
    pub payload: &'a str,
    pub signature: &'a str,
    /// `header.payload`: the bytes the signature covers.
    pub signing_input: &'a str,
}

pub(crate) fn split(token: &str) -> Result<Parts<'_>, TokenError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::Malformed(TOO_LONG.into()));
    }
    let mut segments = token.split('.');
    match (segments.next(), segments.next(), segments.next(), segments.next()) {
        (Some(header), Some(payload), Some(signature), None) => {
            Ok(Parts { header, payload, signature, signing_input: &token[..header.len() + 1 + payload.len()] })
        }
        _ => Err(TokenError::Malformed("a JWT has three segments separated by dots".into())),
    }
}

pub(crate) fn decode_segment(segment: &str, what: &str) -> Result<Vec<u8>, TokenError> {
    // `concat`, not `format!`: this is the wasm library's decode path, and it never formats.
    BASE64URL.decode(segment.as_bytes()).map_err(|e| TokenError::Malformed([what, " is not valid base64url: ", e.as_str()].concat()))
}

#[cfg(feature = "claims")]
pub(crate) fn decode_json_object(segment: &str, what: &str) -> Result<Map<String, Value>, TokenError> {
    let bytes = decode_segment(segment, what)?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(TokenError::Malformed(format!("{what} is not a JSON object"))),
        Err(e) => Err(TokenError::Malformed(format!("{what} is not JSON: {e}"))),
    }
}
