//! Clerk's session-token format, shared by the browser library and the server.
//!
//! Always available (and small enough for wasm): [`SessionClaims`], [`decode_unverified`] and
//! publishable keys. With the default feature `verify`: RSA keys, signing and networkless
//! verification that agrees with `@clerk/backend`'s `verifyToken`.

mod claims;
mod decode;
mod publishable_key;
#[cfg(feature = "verify")]
mod verify;

pub use claims::{OrgClaim, OrgPermissions, SessionClaims};
pub use decode::{MAX_TOKEN_LEN, TokenError, decode_unverified};
pub use publishable_key::{
    InstanceType, KeyError, PublishableKey, encode_publishable_key, parse_publishable_key,
};
#[cfg(feature = "verify")]
pub use verify::{
    KEY_BITS, PUBLIC_EXPONENT, PublicKey, SigningKey, VerifyError, VerifyOptions,
    verify_and_validate, verify_with_key_set,
};
