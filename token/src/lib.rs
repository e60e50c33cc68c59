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
//! With the default feature `verify` (RustCrypto's `rsa` and `sha2`):
//! * `SigningKey` / `PublicKey`: RSA-2048 keys with e = 65537 as PKCS#8/SPKI PEM and JWK,
//!   the only shape `@clerk/backend`'s `jwtKey` accepts;
//! * `verify_and_validate` and `verify_with_key_set`: networkless RS256 verification that
//!   makes the same checks, in the same order and with the same reasons
//!   (`VerifyError::reason`), as `@clerk/backend`'s `verifyToken`.

// Not `pub`: tests/base64_agrees.rs compiles the file itself to compare it with the `base64` crate.
mod base64;
#[cfg(feature = "claims")]
mod claims;
mod decode;
mod publishable_key;
#[cfg(feature = "verify")]
mod verify;

#[cfg(feature = "claims")]
pub use claims::{OrgClaim, OrgPermissions, SessionClaims};
#[cfg(feature = "claims")]
pub use decode::decode_unverified;
pub use decode::{MAX_TOKEN_LEN, TokenError, payload_json};
pub use publishable_key::{
    InstanceType, KeyError, PublishableKey, encode_publishable_key, parse_publishable_key,
};
#[cfg(feature = "verify")]
pub use verify::{
    KEY_BITS, PUBLIC_EXPONENT, PublicKey, SigningKey, TokenKind, VerifyError, VerifyOptions,
    verify_and_validate, verify_with_key_set,
};
