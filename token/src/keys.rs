//! RS256 keys (feature `verify`): RSA-2048 with e = 65537, the only shape @clerk/backend's
//! `jwtKey` option can verify (it turns the PEM into a JWK by cutting a fixed 2048-bit SPKI prefix
//! off the base64).
//!
//! The RSA arithmetic is `ring`'s: constant-time private-key operations with blinding, which the
//! `rsa` crate used before could not promise (RUSTSEC-2023-0071, "Marvin"). The key formats (PEM,
//! PKCS#8, PKCS#1, SPKI) are read and written with RustCrypto's `der`/`pkcs8`/`pkcs1`/`spki`,
//! the same encoders the `rsa` crate used, so keys stored by earlier versions load and re-encode
//! byte for byte (tests/keys.rs checks a key the old code made). ring cannot generate RSA keys;
//! [`SigningKey::generate`] (feature `generate`) uses `aws-lc-rs` for that one-off step.

use std::fmt;
use std::sync::Arc;

use der::asn1::{BitStringRef, UintRef};
use der::pem::LineEnding;
use der::{Decode, Encode};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair, RsaPublicKeyComponents};
use serde::Serialize;
use serde_json::{Value, json};

use crate::KeyError;
use crate::base64;
use crate::decode::BASE64URL;

/// The only key size @clerk/backend's `jwtKey` understands.
pub const KEY_BITS: usize = 2048;
/// The only public exponent @clerk/backend's `jwtKey` understands (its PEM suffix is `IDAQAB`).
pub const PUBLIC_EXPONENT: u64 = 65537;
/// [`PUBLIC_EXPONENT`] as big-endian bytes without leading zeros, as DER and JWK carry it.
const PUBLIC_EXPONENT_BYTES: [u8; 3] = [0x01, 0x00, 0x01];

/// An RS256 signing key: RSA-2048, e = 65537, with a stable key id.
#[derive(Clone)]
pub struct SigningKey {
    // ring's key pair is not `Clone`; the server shares one key across all its workers.
    pair: Arc<RsaKeyPair>,
    /// Kept as read (or generated) so that `to_pkcs8_pem` gives back exactly what was stored.
    pkcs8_der: Arc<[u8]>,
    public: PublicKey,
}

// Hand-written so that the private key never ends up in logs.
impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.public.kid).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Generates a fresh key from the OS random number generator (feature `generate`). Takes a
    /// moment (RSA-2048: ~0.2-0.5 s here).
    #[cfg(feature = "generate")]
    pub fn generate() -> Self {
        use aws_lc_rs::encoding::AsDer;
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
            .expect("generating an RSA-2048 key with the OS RNG cannot fail");
        let pkcs8 = pair.as_der().expect("an RSA key encodes as PKCS#8");
        Self::from_pkcs8_der(pkcs8.as_ref()).expect("a generated key has e = 65537 and 2048 bits")
    }

    /// Reads a private key PEM: PKCS#8 `-----BEGIN PRIVATE KEY-----` (what
    /// [`to_pkcs8_pem`](Self::to_pkcs8_pem) writes) or PKCS#1 `-----BEGIN RSA PRIVATE KEY-----`.
    /// Keys other than RSA-2048 with e = 65537 are refused.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, KeyError> {
        let (label, der) =
            der::pem::decode_vec(pem.trim().as_bytes()).map_err(|e| KeyError::InvalidPem(format!("not a PEM private key: {e}")))?;
        match label {
            "PRIVATE KEY" => Self::from_pkcs8_der(&der),
            "RSA PRIVATE KEY" => Self::from_pkcs1_der(&der),
            other => Err(KeyError::InvalidPem(format!(
                "expected BEGIN PRIVATE KEY (PKCS#8) or BEGIN RSA PRIVATE KEY (PKCS#1), not BEGIN {other}"
            ))),
        }
    }

    fn from_pkcs8_der(pkcs8_der: &[u8]) -> Result<Self, KeyError> {
        let info =
            pkcs8::PrivateKeyInfo::from_der(pkcs8_der).map_err(|e| KeyError::InvalidPem(format!("not a PKCS#8 private key: {e}")))?;
        if info.algorithm.oid != pkcs1::ALGORITHM_OID {
            return Err(KeyError::InvalidPem(format!("not a PKCS#8 RSA private key (algorithm {})", info.algorithm.oid)));
        }
        Self::from_parts(info.private_key, pkcs8_der.into())
    }

    fn from_pkcs1_der(pkcs1_der: &[u8]) -> Result<Self, KeyError> {
        let pkcs8_der = pkcs8::PrivateKeyInfo::new(pkcs1::ALGORITHM_ID, pkcs1_der)
            .to_der()
            .map_err(|e| KeyError::InvalidPem(format!("PKCS#1 key does not fit PKCS#8: {e}")))?;
        Self::from_parts(pkcs1_der, pkcs8_der.into())
    }

    fn from_parts(pkcs1_der: &[u8], pkcs8_der: Arc<[u8]>) -> Result<Self, KeyError> {
        let private =
            pkcs1::RsaPrivateKey::from_der(pkcs1_der).map_err(|e| KeyError::InvalidPem(format!("not an RSA private key: {e}")))?;
        // Size and exponent first, so that a 1024-bit key is refused as unsupported (with its size)
        // rather than as whatever ring calls it.
        let public = PublicKey::from_components(private.modulus.as_bytes(), private.public_exponent.as_bytes())?;
        let pair = RsaKeyPair::from_der(pkcs1_der).map_err(|e| KeyError::InvalidPem(format!("inconsistent RSA private key: {e}")))?;
        Ok(Self { pair: Arc::new(pair), pkcs8_der, public })
    }

    /// The key as a PKCS#8 `-----BEGIN PRIVATE KEY-----` PEM, LF line endings.
    pub fn to_pkcs8_pem(&self) -> String {
        der::pem::encode_string("PRIVATE KEY", LineEnding::LF, &self.pkcs8_der).expect("DER encodes as PEM")
    }

    pub fn public_key(&self) -> PublicKey {
        self.public.clone()
    }

    /// The key id put in the header of every token this key signs; see [`PublicKey::kid`].
    pub fn kid(&self) -> &str {
        &self.public.kid
    }

    /// Signs `claims` as an RS256 JWT with header `{"alg":"RS256","typ":"JWT","kid":...}`.
    ///
    /// An `aud` claim is dropped: Clerk session tokens never carry one, and the Python SDK rejects
    /// tokens that do unless the caller asks for that audience.
    ///
    /// # Panics
    /// If `claims` does not serialize to a JSON object.
    pub fn sign<T: Serialize>(&self, claims: &T) -> String {
        let mut payload = match serde_json::to_value(claims) {
            Ok(Value::Object(map)) => map,
            Ok(other) => panic!("JWT claims must serialize to a JSON object, not {other}"),
            Err(e) => panic!("JWT claims must serialize to JSON: {e}"),
        };
        payload.remove("aud");
        let header = json!({ "alg": "RS256", "typ": "JWT", "kid": self.kid() });
        self.sign_raw(&header, &Value::Object(payload))
    }

    /// Signs any header and payload with this key, without checks: for tests that need tokens
    /// Clerk would reject (odd `typ`, `alg` lies, missing claims).
    #[doc(hidden)]
    pub fn sign_raw(&self, header: &Value, payload: &Value) -> String {
        let encode = |v: &Value| BASE64URL.encode(serde_json::to_vec(v).expect("JSON values serialize"));
        let signing_input = format!("{}.{}", encode(header), encode(payload));
        let mut signature = vec![0; self.pair.public().modulus_len()];
        // PKCS#1 v1.5 signatures are deterministic; ring takes the RNG for blinding.
        self.pair
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), signing_input.as_bytes(), &mut signature)
            .expect("RS256 signing with a valid key and a right-sized buffer cannot fail");
        format!("{signing_input}.{}", BASE64URL.encode(&signature))
    }
}

/// An RSA public key for verifying RS256 tokens, with its key id.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// Big-endian, no leading zero byte, exactly [`KEY_BITS`] bits (e is always 65537).
    modulus: Vec<u8>,
    spki_der: Vec<u8>,
    kid: String,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

impl PublicKey {
    /// Reads an SPKI `-----BEGIN PUBLIC KEY-----` PEM. Like @clerk/backend, it also takes the PEM
    /// with its line breaks removed (as it often is in an environment variable). PKCS#1
    /// (`BEGIN RSA PUBLIC KEY`) is refused: @clerk/backend silently fails on it.
    pub fn from_spki_pem(pem: &str) -> Result<Self, KeyError> {
        const BEGIN: &str = "-----BEGIN PUBLIC KEY-----";
        const END: &str = "-----END PUBLIC KEY-----";
        let pem = pem.trim();
        let body = pem
            .strip_prefix(BEGIN)
            .and_then(|rest| rest.strip_suffix(END))
            .ok_or_else(|| KeyError::InvalidPem(format!("expected an SPKI PEM between {BEGIN} and {END}")))?;
        let body: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let der = base64::STANDARD.decode(body.as_bytes()).map_err(|e| KeyError::InvalidPem(format!("PEM body is not base64: {e}")))?;
        let not_spki = |e: der::Error| KeyError::InvalidPem(format!("not an SPKI RSA public key: {e}"));
        let spki = spki::SubjectPublicKeyInfoRef::from_der(&der).map_err(not_spki)?;
        if spki.algorithm.oid != pkcs1::ALGORITHM_OID {
            return Err(KeyError::InvalidPem(format!("not an SPKI RSA public key (algorithm {})", spki.algorithm.oid)));
        }
        let rsa_key = spki.subject_public_key.as_bytes().ok_or_else(|| KeyError::InvalidPem("SPKI key bits are not whole bytes".into()))?;
        let rsa_key = pkcs1::RsaPublicKey::from_der(rsa_key).map_err(not_spki)?;
        Self::from_components(rsa_key.modulus.as_bytes(), rsa_key.public_exponent.as_bytes())
    }

    /// Checks the shape Clerk's SDKs need and derives the SPKI encoding and the key id.
    fn from_components(modulus: &[u8], exponent: &[u8]) -> Result<Self, KeyError> {
        let modulus = strip_leading_zeros(modulus);
        let exponent = strip_leading_zeros(exponent);
        let bits = modulus.first().map_or(0, |top| modulus.len() * 8 - top.leading_zeros() as usize);
        if bits != KEY_BITS || exponent != PUBLIC_EXPONENT_BYTES {
            return Err(KeyError::UnsupportedKey(format!(
                "Clerk's SDKs need RSA-{KEY_BITS} with e = {PUBLIC_EXPONENT}, got {bits} bits with e = {}",
                describe_number(exponent)
            )));
        }
        let invalid = |e: der::Error| KeyError::InvalidPem(format!("RSA key does not encode: {e}"));
        let rsa_key = pkcs1::RsaPublicKey {
            modulus: UintRef::new(modulus).map_err(invalid)?,
            public_exponent: UintRef::new(exponent).map_err(invalid)?,
        }
        .to_der()
        .map_err(invalid)?;
        let spki_der = spki::SubjectPublicKeyInfoRef {
            algorithm: pkcs1::ALGORITHM_ID,
            subject_public_key: BitStringRef::from_bytes(&rsa_key).map_err(invalid)?,
        }
        .to_der()
        .map_err(invalid)?;
        Ok(Self { kid: kid_for(&spki_der), modulus: modulus.to_vec(), spki_der })
    }

    /// The key as an SPKI `-----BEGIN PUBLIC KEY-----` PEM (LF line endings), the form
    /// @clerk/backend's `jwtKey` takes.
    pub fn to_spki_pem(&self) -> String {
        der::pem::encode_string("PUBLIC KEY", LineEnding::LF, &self.spki_der).expect("DER encodes as PEM")
    }

    /// The key id: `"ins_"` + the first 27 characters of base64url(SHA-256(SPKI DER)). Derived from
    /// the key itself, so it is stable across restarts and identical on every machine.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The key as a JWKS entry: `{kid, kty: "RSA", alg: "RS256", use: "sig", n, e}`.
    pub fn jwk(&self, kid: &str) -> Value {
        json!({
            "kid": kid,
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "n": BASE64URL.encode(&self.modulus),
            "e": BASE64URL.encode(PUBLIC_EXPONENT_BYTES),
        })
    }

    /// Reads a JWKS entry (`{kty: "RSA", n, e, kid?, ...}`, e.g. from `GET /v1/jwks`). The key
    /// keeps the entry's `kid`, or derives one when it has none. `alg`, if present, must be RS256.
    pub fn from_jwk(jwk: &Value) -> Result<Self, KeyError> {
        let field = |name: &str| jwk.get(name).and_then(Value::as_str);
        if field("kty") != Some("RSA") {
            return Err(KeyError::UnsupportedKey("JWK is not an RSA key (kty)".into()));
        }
        if let Some(alg) = field("alg").filter(|alg| *alg != "RS256") {
            return Err(KeyError::UnsupportedKey(format!("JWK is for {alg}, not RS256")));
        }
        let number = |name: &str| {
            let encoded = field(name).ok_or_else(|| KeyError::InvalidJwk(format!("JWK has no `{name}`")))?;
            BASE64URL.decode(encoded.as_bytes()).map_err(|e| KeyError::InvalidJwk(format!("JWK `{name}` is not base64url: {e}")))
        };
        let mut key = Self::from_components(&number("n")?, &number("e")?)?;
        if let Some(kid) = field("kid") {
            key.kid = kid.to_owned();
        }
        Ok(key)
    }

    pub(crate) fn verify_rs256(&self, signing_input: &[u8], signature: &[u8]) -> bool {
        RsaPublicKeyComponents { n: self.modulus.as_slice(), e: PUBLIC_EXPONENT_BYTES.as_slice() }
            .verify(&RSA_PKCS1_2048_8192_SHA256, signing_input, signature)
            .is_ok()
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// A big-endian number in decimal when it fits 128 bits (exponents always do in practice).
fn describe_number(bytes: &[u8]) -> String {
    if bytes.len() > 16 {
        return format!("a {}-byte number", bytes.len());
    }
    let value = bytes.iter().fold(0u128, |acc, &b| (acc << 8) | u128::from(b));
    value.to_string()
}

fn kid_for(spki_der: &[u8]) -> String {
    let digest = BASE64URL.encode(ring::digest::digest(&ring::digest::SHA256, spki_der));
    format!("ins_{}", &digest[..27])
}
