//! The `publishable_key` fuzz target's input mapping and invariants, shared with
//! token/tests/fuzz_regressions.rs.
//!
//! First byte even: the rest is the key as text. Odd: `pk_test_`/`pk_live_` + standard base64 of
//! the rest (padded or not), so the fuzzer works on the decoded Frontend API host directly.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use clerk_token::{encode_publishable_key, parse_publishable_key};

use super::bytes::Bytes;

pub fn key_text(data: &[u8]) -> String {
    let mut b = Bytes(data);
    let mode = b.byte();
    if mode & 1 == 0 {
        return String::from_utf8_lossy(b.rest()).into_owned();
    }
    let prefix = if mode & 2 == 0 { "pk_test_" } else { "pk_live_" };
    let engine = if mode & 4 == 0 { STANDARD } else { STANDARD_NO_PAD };
    format!("{prefix}{}", engine.encode(b.rest()))
}

/// Parsing never panics; a key that parses obeys clerk-js's rules and survives a round trip.
pub fn check(key: &str) {
    let Ok(parsed) = parse_publishable_key(key) else {
        return;
    };
    let host = &parsed.frontend_api;
    assert!(host.contains('.') && !host.contains('$'), "accepted host {host:?}");
    let encoded = encode_publishable_key(parsed.instance_type, host);
    assert_eq!(parse_publishable_key(&encoded), Ok(parsed), "round trip of {key:?}");
}
