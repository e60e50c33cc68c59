//! Shared by the integration tests: two fixed keys, so that every run signs the same tokens.
#![allow(dead_code)] // each test binary uses a different subset

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clerk_token::SigningKey;
use serde_json::{Value, json};

/// A fixed "now" (November 2023) for the native tests; only one test reads the clock.
pub const NOW: i64 = 1_700_000_000;
pub const ISSUER: &str = "https://clerk.example.com";
pub const ORIGIN: &str = "https://app.example.com";

/// A key made by the `rsa` crate this library used before ring (tests/fixtures/old-rsa-crate-key.*).
pub fn key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::from_pkcs8_pem(include_str!("../fixtures/old-rsa-crate-key.pkcs8.pem")).unwrap())
}

/// A second, unrelated key, made by `openssl genpkey`.
pub fn other_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::from_pkcs8_pem(include_str!("../fixtures/openssl-key.pkcs8.pem")).unwrap())
}

/// The claims our server mints, issued at `now`.
pub fn claims_at(now: i64) -> Value {
    json!({
        "sub": "user_123",
        "sid": "sess_123",
        "iss": ISSUER,
        "azp": ORIGIN,
        "exp": now + 60,
        "iat": now,
        "nbf": now - 10,
        "v": 2,
        "fva": [0, -1],
    })
}

/// `claims_at(NOW)` with some fields changed (`null` removes a field).
pub fn claims_with(changes: Value) -> Value {
    let mut claims = claims_at(NOW);
    let map = claims.as_object_mut().unwrap();
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            map.remove(name);
        } else {
            map.insert(name.clone(), value.clone());
        }
    }
    claims
}

pub fn rs256_header() -> Value {
    json!({ "alg": "RS256", "typ": "JWT", "kid": key().kid() })
}

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn b64_json(value: &Value) -> String {
    b64(serde_json::to_vec(value).unwrap())
}

/// Replaces one of the three segments of `token`.
pub fn replace_segment(token: &str, index: usize, segment: &str) -> String {
    let mut parts: Vec<&str> = token.split('.').collect();
    parts[index] = segment;
    parts.join(".")
}

/// `header.payload` signed with HMAC-SHA256 keyed by `secret`: the classic algorithm-confusion
/// forgery when `secret` is the verifier's public key.
pub fn hs256(header: &Value, payload: &Value, secret: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let input = format!("{}.{}", b64_json(header), b64_json(payload));
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", b64(mac.finalize().into_bytes()))
}

/// A real RS512 signature with `key`.
pub fn rs512(key: &SigningKey, payload: &Value) -> String {
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{SignatureEncoding, Signer};
    let private = rsa::RsaPrivateKey::from_pkcs8_pem(&key.to_pkcs8_pem()).unwrap();
    let header = json!({ "alg": "RS512", "typ": "JWT", "kid": key.kid() });
    let input = format!("{}.{}", b64_json(&header), b64_json(payload));
    let signature = rsa::pkcs1v15::SigningKey::<sha2::Sha512>::new(private).sign(input.as_bytes());
    format!("{input}.{}", b64(signature.to_bytes()))
}
