//! Decoding without verification: all a browser client needs (it reads `exp`, `iat`, `sid`, `o`,
//! and trusts the token because it came straight from the Frontend API).

use std::fmt;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Value};

use crate::SessionClaims;

/// Tokens longer than this are rejected before any parsing. Session tokens live in a cookie
/// (≤ 4 KiB), so 16 KiB is generous while bounding the work an attacker can cause.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// base64url without padding when encoding; padding tolerated when decoding, like
/// @clerk/backend's loose parser.
pub(crate) const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a token could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// Not a JWT: wrong number of segments, bad base64url, not JSON, not an object, too large.
    Malformed(String),
    /// A well-formed JWT whose claims do not fit [`SessionClaims`] (e.g. no `sub` or `exp`).
    InvalidClaims(String),
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(why) => write!(f, "malformed token: {why}"),
            Self::InvalidClaims(why) => write!(f, "invalid session token claims: {why}"),
        }
    }
}

impl std::error::Error for TokenError {}

/// Decodes a session token's claims **without checking its signature** or its times.
///
/// Use it only where the token's origin is already trusted (a browser reading the token the
/// Frontend API just returned). Servers must use `verify_and_validate` (feature `verify`).
pub fn decode_unverified(token: &str) -> Result<SessionClaims, TokenError> {
    let parts = split(token)?;
    let payload = decode_json_object(parts.payload, "payload")?;
    serde_json::from_value(Value::Object(payload))
        .map_err(|e| TokenError::InvalidClaims(e.to_string()))
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
        return Err(TokenError::Malformed(format!(
            "token is {} bytes, more than the {MAX_TOKEN_LEN} allowed",
            token.len()
        )));
    }
    let mut segments = token.split('.');
    match (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) {
        (Some(header), Some(payload), Some(signature), None) => Ok(Parts {
            header,
            payload,
            signature,
            signing_input: &token[..header.len() + 1 + payload.len()],
        }),
        _ => Err(TokenError::Malformed(
            "a JWT has three segments separated by dots".into(),
        )),
    }
}

pub(crate) fn decode_segment(segment: &str, what: &str) -> Result<Vec<u8>, TokenError> {
    BASE64URL
        .decode(segment)
        .map_err(|e| TokenError::Malformed(format!("{what} is not valid base64url: {e}")))
}

pub(crate) fn decode_json_object(
    segment: &str,
    what: &str,
) -> Result<Map<String, Value>, TokenError> {
    let bytes = decode_segment(segment, what)?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(TokenError::Malformed(format!(
            "{what} is not a JSON object"
        ))),
        Err(e) => Err(TokenError::Malformed(format!("{what} is not JSON: {e}"))),
    }
}
