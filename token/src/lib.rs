//! Clerk's session-token format, shared by the browser library and the server.
//!
//! Always available, with no JSON and no cryptography so that it stays small in wasm: token
//! splitting and [`payload_json`], and publishable keys ([`parse_publishable_key`],
//! [`encode_publishable_key`]).
//!
//! With the default feature `claims` (serde):
//! * [`SessionClaims`] (Clerk's v2 claims, with [`OrgClaim`] and [`OrgPermissions`] for the
//!   compact organization claims) and [`decode_unverified`].
//!
//! With the default feature `verify` (`ring` for RSA and SHA-256, RustCrypto's `der` family for
//! the key formats):
//! * `SigningKey` / `PublicKey`: RSA-2048 keys with e = 65537 as PKCS#8/SPKI PEM and JWK,
//!   the only shape `@clerk/backend`'s `jwtKey` accepts (PKCS#1 private keys load too);
//! * `verify_and_validate` and `verify_with_key_set`: networkless RS256 verification that
//!   makes the same checks, in the same order and with the same reasons
//!   (`VerifyError::reason`), as `@clerk/backend`'s `verifyToken`.
//!
//! With the feature `generate` (`aws-lc-rs`, because ring cannot generate RSA keys):
//! `SigningKey::generate`. Only a server that creates instances needs it.

// Not `pub`: tests/base64_agrees.rs compiles the file itself to compare it with the `base64` crate.
mod base64;
#[cfg(feature = "claims")]
mod claims;
mod decode;
#[cfg(feature = "verify")]
mod keys;
mod publishable_key;
#[cfg(feature = "verify")]
mod verify;

#[cfg(feature = "claims")]
pub use claims::{OrgClaim, OrgPermissions, SessionClaims};
#[cfg(feature = "claims")]
pub use decode::decode_unverified;
pub use decode::{MAX_TOKEN_LEN, TokenError, payload_json};
#[cfg(feature = "verify")]
pub use keys::{KEY_BITS, PUBLIC_EXPONENT, PublicKey, SigningKey};
pub use publishable_key::{InstanceType, KeyError, PublishableKey, encode_publishable_key, parse_publishable_key};
#[cfg(feature = "verify")]
pub use verify::{TokenKind, VerifyError, VerifyOptions, verify_and_validate, verify_with_key_set};
