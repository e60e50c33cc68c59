//! Publishable keys: `pk_test_` / `pk_live_` + standard base64 of `"<frontend api host>$"`.
//! The validation rules are clerk-js's (`@clerk/shared` `parsePublishableKey`).

use std::fmt;

use crate::base64::{self, Engine};

const TEST_PREFIX: &str = "pk_test_";
const LIVE_PREFIX: &str = "pk_live_";

/// Standard base64; clerk-js emits and accepts it with or without `=` padding.
const BASE64_STANDARD: Engine = base64::STANDARD_INDIFFERENT;

/// Which kind of Clerk instance a key belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InstanceType {
    /// `pk_test_`: development instance (dev browser, relaxed checks).
    Development,
    /// `pk_live_`: production instance.
    Production,
}

/// A parsed publishable key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishableKey {
    pub instance_type: InstanceType,
    /// The Frontend API host (and port), without scheme: `"clerk.example.com"`, `"127.0.0.1:4001"`.
    pub frontend_api: String,
}

/// Why a publishable key, or a PEM or JWK key, was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The publishable key does not start with `pk_test_` or `pk_live_`.
    InvalidPrefix,
    /// The part after the prefix is not standard base64 of UTF-8 text.
    InvalidEncoding,
    /// The decoded text breaks clerk-js's rules (a `.`, and exactly one `$`, at the end).
    InvalidFrontendApi(&'static str),
    /// A PEM key could not be read.
    InvalidPem(String),
    /// A JWK could not be read.
    InvalidJwk(String),
    /// A readable key that Clerk's SDKs cannot use (not RSA-2048 with e = 65537).
    UnsupportedKey(String),
}

impl KeyError {
    /// What `Display` shows, built without `core::fmt` (the wasm library never formats).
    pub fn message(&self) -> String {
        match self {
            Self::InvalidPrefix => "publishable key must start with pk_test_ or pk_live_".into(),
            Self::InvalidEncoding => "publishable key must be pk_test_ or pk_live_ followed by standard base64".into(),
            Self::InvalidFrontendApi(why) => ["publishable key is not valid: ", why].concat(),
            Self::InvalidPem(why) => ["invalid PEM key: ", why].concat(),
            Self::InvalidJwk(why) => ["invalid JWK: ", why].concat(),
            Self::UnsupportedKey(why) => ["unsupported key: ", why].concat(),
        }
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for KeyError {}

/// Parses a publishable key with the rules clerk-js applies.
pub fn parse_publishable_key(key: &str) -> Result<PublishableKey, KeyError> {
    let (instance_type, encoded) = if let Some(rest) = key.strip_prefix(TEST_PREFIX) {
        (InstanceType::Development, rest)
    } else if let Some(rest) = key.strip_prefix(LIVE_PREFIX) {
        (InstanceType::Production, rest)
    } else {
        return Err(KeyError::InvalidPrefix);
    };
    if encoded.is_empty() {
        return Err(KeyError::InvalidEncoding);
    }
    let decoded = BASE64_STANDARD.decode(encoded.as_bytes()).map_err(|_| KeyError::InvalidEncoding)?;
    let decoded = String::from_utf8(decoded).map_err(|_| KeyError::InvalidEncoding)?;
    let host = decoded.strip_suffix('$').ok_or(KeyError::InvalidFrontendApi("the decoded Frontend API must end in '$'"))?;
    if host.contains('$') {
        return Err(KeyError::InvalidFrontendApi("the decoded Frontend API has more than one '$'"));
    }
    // clerk-js requires a dot, so `localhost:4001` is refused while `127.0.0.1:4001` works.
    if !host.contains('.') {
        return Err(KeyError::InvalidFrontendApi("the decoded Frontend API must contain a '.'"));
    }
    Ok(PublishableKey { instance_type, frontend_api: host.to_owned() })
}

/// Builds the publishable key for a Frontend API host (e.g. `"127.0.0.1:4001"`), padded like
/// Clerk's own keys. The result parses back only if the host contains a `.` and no `$`.
pub fn encode_publishable_key(instance_type: InstanceType, frontend_api: &str) -> String {
    let prefix = match instance_type {
        InstanceType::Development => TEST_PREFIX,
        InstanceType::Production => LIVE_PREFIX,
    };
    let encoded = base64::STANDARD.encode(format!("{frontend_api}$"));
    format!("{prefix}{encoded}")
}
