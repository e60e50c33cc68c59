//! Signing and networkless verification (feature `verify`).
//!
//! Keys are RSA-2048 with e = 65537 and tokens are RS256, because that is the only shape
//! @clerk/backend's `jwtKey` option can verify: it turns the PEM into a JWK by cutting a fixed
//! 2048-bit SPKI prefix off the base64. The checks mirror @clerk/backend's `verifyJwt`, in the
//! same order, so both sides reject a token for the same reason.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::decode::{decode_json_object, decode_segment, split};
use crate::{PublicKey, SessionClaims, TokenError};

/// What [`verify_and_validate`] checks besides the signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Accepted `azp` values (origins). Empty: `azp` is not checked. Otherwise a token without
    /// `azp` is rejected too.
    pub authorized_parties: Vec<String>,
    /// The expected `iss`; `None`: not checked.
    pub issuer: Option<String>,
    /// Tolerance for `exp`, `nbf` and `iat`, in seconds (@clerk/backend: 5 s).
    pub clock_skew_secs: u64,
    /// The current time in seconds since the epoch; `None`: the system clock. For tests.
    pub now: Option<i64>,
    /// What kind of token is expected. The default, [`TokenKind::Session`], requires `sid`.
    pub token_kind: TokenKind,
}

/// Which Clerk token [`verify_and_validate`] expects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TokenKind {
    /// A session token: `sid` is required.
    #[default]
    Session,
    /// A JWT-template token (`session.getToken({template})`, BAPI
    /// `/sessions/{id}/tokens/{template}`): its claims are the template's, so `sid` may be
    /// absent (if present it must still be a string). Everything else is checked as for a
    /// session token. Only ask for this where a template token is what you expect: a session
    /// check that accepted tokens without a session would accept any template's token.
    JwtTemplate,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self { authorized_parties: Vec::new(), issuer: None, clock_skew_secs: 5, now: None, token_kind: TokenKind::Session }
    }
}

/// Why a token failed verification. [`reason`](Self::reason) gives @clerk/backend's
/// `TokenVerificationError` reason for the same failure.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// Not a decodable JWT (segments, base64url, JSON), or larger than [`crate::MAX_TOKEN_LEN`].
    Malformed(String),
    /// The header's `typ` is present and not `"JWT"`.
    InvalidType(String),
    /// The header's `cat` says it is a machine (M2M) token, which must never pass for a session.
    InvalidCategory(String),
    /// The header's `alg` is not `RS256` (the value found, or `null`).
    InvalidAlgorithm(String),
    /// The signature does not match the key.
    InvalidSignature,
    /// [`verify_with_key_set`] has no key for the header's `kid` (`None`: no `kid`, several keys).
    UnknownKid(Option<String>),
    /// A required claim is absent: `sub`, `sid` or `exp`.
    MissingClaim(&'static str),
    /// A claim has the wrong JSON type (e.g. a numeric `sub`, a string `exp`).
    InvalidClaim(&'static str),
    /// `azp` is absent or not among the authorized parties.
    InvalidAuthorizedParty(Option<String>),
    /// `iss` is absent or not the expected issuer.
    InvalidIssuer(Option<String>),
    /// `exp` is at or before `now - skew`.
    Expired { exp: i64, now: i64 },
    /// `nbf` is after `now + skew`.
    NotActiveYet { nbf: i64, now: i64 },
    /// `iat` is after `now + skew`.
    IatInTheFuture { iat: i64, now: i64 },
}

impl VerifyError {
    /// @clerk/backend's `TokenVerificationErrorReason` for this failure.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Malformed(_) | Self::InvalidType(_) | Self::InvalidCategory(_) => "token-invalid",
            Self::InvalidAlgorithm(_) => "token-invalid-algorithm",
            Self::InvalidSignature => "token-invalid-signature",
            Self::UnknownKid(_) => "jwk-kid-mismatch",
            Self::MissingClaim(_) | Self::InvalidClaim(_) => "token-verification-failed",
            Self::InvalidAuthorizedParty(_) => "token-invalid-authorized-parties",
            Self::InvalidIssuer(_) => "token-invalid-issuer",
            Self::Expired { .. } => "token-expired",
            Self::NotActiveYet { .. } => "token-not-active-yet",
            Self::IatInTheFuture { .. } => "token-iat-in-the-future",
        }
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(why) => write!(f, "malformed token: {why}"),
            Self::InvalidType(typ) => write!(f, "invalid JWT type {typ}, expected \"JWT\""),
            Self::InvalidCategory(cat) => write!(f, "token category {cat} is not a session token"),
            Self::InvalidAlgorithm(alg) => {
                write!(f, "invalid JWT algorithm {alg}, only RS256 is accepted")
            }
            Self::InvalidSignature => f.write_str("JWT signature is invalid"),
            Self::UnknownKid(kid) => write!(f, "no key for the token's key id (kid) {kid:?}"),
            Self::MissingClaim(claim) => write!(f, "required claim `{claim}` is missing"),
            Self::InvalidClaim(claim) => write!(f, "claim `{claim}` has the wrong type"),
            Self::InvalidAuthorizedParty(azp) => {
                write!(f, "authorized party (azp) {azp:?} is not one of the authorized parties")
            }
            Self::InvalidIssuer(iss) => {
                write!(f, "issuer (iss) {iss:?} is not the expected issuer")
            }
            Self::Expired { exp, now } => write!(f, "token expired at {exp} (now {now})"),
            Self::NotActiveYet { nbf, now } => {
                write!(f, "token not valid before {nbf} (now {now})")
            }
            Self::IatInTheFuture { iat, now } => {
                write!(f, "token issued in the future at {iat} (now {now})")
            }
        }
    }
}

impl std::error::Error for VerifyError {}

impl From<TokenError> for VerifyError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Malformed(why) | TokenError::InvalidClaims(why) => Self::Malformed(why),
        }
    }
}

/// Verifies an RS256 session token with `key` and validates its claims, in @clerk/backend's
/// order: decode, `cat`, `typ`, `alg`, signature, `sub`, `sid`, `azp`, `iss`, `exp`, `nbf`, `iat`.
///
/// The header's `kid` is not looked at (like @clerk/backend with `jwtKey`); to pick the key by
/// `kid`, use [`verify_with_key_set`].
///
/// Stricter than @clerk/backend in two ways: only RS256 is accepted (it also takes RS384/RS512,
/// which then fail against an RS256 key anyway), and a session id (`sid`) is required unless
/// [`VerifyOptions::token_kind`] is [`TokenKind::JwtTemplate`].
///
/// ```
/// use clerk_token::{SessionClaims, SigningKey, VerifyOptions, verify_and_validate};
///
/// let key = SigningKey::from_pkcs8_pem(include_str!("../tests/fixtures/openssl-key.pkcs8.pem"))?;
/// let now = 1_700_000_000;
/// let claims = SessionClaims {
///     sub: "user_1".into(),
///     sid: Some("sess_1".into()),
///     iss: "https://clerk.example.com".into(),
///     azp: Some("https://app.example.com".into()),
///     exp: now + 60,
///     iat: now,
///     nbf: now - 10,
///     v: Some(2),
///     ..SessionClaims::default()
/// };
/// let token = key.sign(&claims);
///
/// let options = VerifyOptions {
///     authorized_parties: vec!["https://app.example.com".into()],
///     now: Some(now), // tests only; None reads the system clock
///     ..VerifyOptions::default()
/// };
/// assert_eq!(verify_and_validate(&token, &key.public_key(), &options), Ok(claims));
///
/// let late = VerifyOptions { now: Some(now + 3600), ..options };
/// let error = verify_and_validate(&token, &key.public_key(), &late).unwrap_err();
/// assert_eq!(error.reason(), "token-expired");
/// # Ok::<(), clerk_token::KeyError>(())
/// ```
pub fn verify_and_validate(token: &str, key: &PublicKey, options: &VerifyOptions) -> Result<SessionClaims, VerifyError> {
    Decoded::parse(token)?.verify(key, options)
}

/// @clerk/backend's `JWT_CATEGORY_M2M_TOKEN`: the header `cat` of machine-to-machine tokens.
const M2M_TOKEN_CATEGORY: &str = "cl_B7d4PD333AAA";

/// Like [`verify_and_validate`], with the key chosen by the header's `kid` from `keys` (e.g. a
/// JWKS read with [`PublicKey::from_jwk`], or the current and previous key during a rotation).
/// A token without `kid` is accepted only when there is exactly one key.
pub fn verify_with_key_set(token: &str, keys: &[PublicKey], options: &VerifyOptions) -> Result<SessionClaims, VerifyError> {
    let decoded = Decoded::parse(token)?;
    let kid = decoded.header.get("kid").and_then(Value::as_str);
    let key = match (kid, keys) {
        (Some(kid), _) => keys.iter().find(|key| key.kid() == kid),
        (None, [only]) => Some(only),
        (None, _) => None,
    };
    let key = key.ok_or_else(|| VerifyError::UnknownKid(kid.map(str::to_owned)))?;
    decoded.verify(key, options)
}

/// A token split and decoded, not yet verified.
struct Decoded<'a> {
    signing_input: &'a str,
    header: Map<String, Value>,
    payload: Map<String, Value>,
    signature: Vec<u8>,
}

impl<'a> Decoded<'a> {
    fn parse(token: &'a str) -> Result<Self, VerifyError> {
        let parts = split(token)?;
        let decoded = Self {
            signing_input: parts.signing_input,
            header: decode_json_object(parts.header, "header")?,
            payload: decode_json_object(parts.payload, "payload")?,
            signature: decode_segment(parts.signature, "signature")?,
        };
        // Before the key is chosen, as in @clerk/backend's verifyToken: an M2M token signed by the
        // instance key is still not a session.
        if let Some(cat) = decoded.header.get("cat").filter(|cat| cat.as_str() == Some(M2M_TOKEN_CATEGORY)) {
            return Err(VerifyError::InvalidCategory(cat.to_string()));
        }
        Ok(decoded)
    }

    fn verify(self, key: &PublicKey, options: &VerifyOptions) -> Result<SessionClaims, VerifyError> {
        let Self { signing_input, header, payload, signature } = self;
        match header.get("typ") {
            None => {}
            Some(Value::String(typ)) if typ == "JWT" => {}
            Some(other) => return Err(VerifyError::InvalidType(other.to_string())),
        }
        match header.get("alg") {
            Some(Value::String(alg)) if alg == "RS256" => {}
            other => {
                return Err(VerifyError::InvalidAlgorithm(other.unwrap_or(&Value::Null).to_string()));
            }
        }
        if !key.verify_rs256(signing_input.as_bytes(), &signature) {
            return Err(VerifyError::InvalidSignature);
        }

        string_claim(&payload, "sub")?.ok_or(VerifyError::MissingClaim("sub"))?;
        let sid = string_claim(&payload, "sid")?;
        if options.token_kind == TokenKind::Session && sid.is_none() {
            return Err(VerifyError::MissingClaim("sid"));
        }

        if !options.authorized_parties.is_empty() {
            // A wrongly typed azp is treated as absent: either way it is not an authorized party.
            let azp = payload.get("azp").and_then(Value::as_str);
            if !azp.is_some_and(|azp| options.authorized_parties.iter().any(|p| p == azp)) {
                return Err(VerifyError::InvalidAuthorizedParty(azp.map(str::to_owned)));
            }
        }
        if let Some(issuer) = &options.issuer {
            let iss = payload.get("iss").and_then(Value::as_str);
            if iss != Some(issuer.as_str()) {
                return Err(VerifyError::InvalidIssuer(iss.map(str::to_owned)));
            }
        }

        let now = options.now.unwrap_or_else(system_now);
        let skew = i64::try_from(options.clock_skew_secs).unwrap_or(i64::MAX);
        let exp = time_claim(&payload, "exp")?.ok_or(VerifyError::MissingClaim("exp"))?;
        if exp <= now.saturating_sub(skew) {
            return Err(VerifyError::Expired { exp, now });
        }
        if let Some(nbf) = time_claim(&payload, "nbf")?
            && nbf > now.saturating_add(skew)
        {
            return Err(VerifyError::NotActiveYet { nbf, now });
        }
        if let Some(iat) = time_claim(&payload, "iat")?
            && iat > now.saturating_add(skew)
        {
            return Err(VerifyError::IatInTheFuture { iat, now });
        }

        // Everything Clerk checks has passed; what is left is fitting the rest into SessionClaims
        // (e.g. an `fva` that is not two numbers).
        serde_json::from_value(Value::Object(payload)).map_err(|e| VerifyError::Malformed(format!("invalid session token claims: {e}")))
    }
}

fn string_claim<'a>(payload: &'a Map<String, Value>, name: &'static str) -> Result<Option<&'a str>, VerifyError> {
    match payload.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(VerifyError::InvalidClaim(name)),
    }
}

/// A NumericDate claim in whole seconds. RFC 7519 allows fractions, but Clerk never sends them
/// and [`SessionClaims`] holds integers, so they are refused rather than silently truncated.
fn time_claim(payload: &Map<String, Value>, name: &'static str) -> Result<Option<i64>, VerifyError> {
    match payload.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or(VerifyError::InvalidClaim(name)),
        Some(_) => Err(VerifyError::InvalidClaim(name)),
    }
}

fn system_now() -> i64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX)
}
