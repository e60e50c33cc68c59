//! The `fapi` fuzz target's input mapping, shared with tests/fuzz_regressions.rs.
//!
//! First byte even: the rest is a Frontend API body (or tab message, or token) as text. Odd: the
//! rest is put in a token's payload, `header.base64url(rest).signature`, so the token decoders
//! get arbitrary JSON past the base64 layer.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::bytes::Bytes;

pub fn text(data: &[u8]) -> String {
    let mut b = Bytes(data);
    let as_token = b.flag();
    let rest = b.rest();
    if !as_token {
        return String::from_utf8_lossy(rest).into_owned();
    }
    format!("eyJhbGciOiJSUzI1NiJ9.{}.c2ln", URL_SAFE_NO_PAD.encode(rest))
}
