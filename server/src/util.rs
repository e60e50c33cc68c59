//! Small helpers: time, ids, secrets, password hashing, one-time codes.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::Rng;
use rand::distributions::Alphanumeric;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Random alphanumeric string from the OS CSPRNG.
pub fn random_string(len: usize) -> String {
    OsRng.sample_iter(&Alphanumeric).take(len).map(char::from).collect()
}

/// Clerk-style id: `user_2x...`, `sess_...`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", random_string(27))
}

pub fn sha256_hex(data: &str) -> String {
    hex::encode(Sha256::digest(data.as_bytes()))
}

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).expect("argon2 hashing with default params cannot fail").to_string()
}

/// argon2 verification (constant time in the hash comparison).
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok()).unwrap_or(false)
}

/// A uniformly random 6-digit code.
pub fn new_email_code() -> String {
    format!("{:06}", OsRng.gen_range(0..1_000_000u32))
}

/// Hash of a one-time code bound to its owner, so that a code hash is useless elsewhere.
pub fn code_hash(owner_id: &str, code: &str) -> String {
    sha256_hex(&format!("{owner_id}:{}", code.trim()))
}

pub fn ct_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// A new base32 TOTP secret (160 bits, as authenticator apps expect).
pub fn new_totp_secret() -> String {
    let bytes: [u8; 20] = OsRng.r#gen();
    match totp_rs::Secret::Raw(bytes.to_vec()).to_encoded() {
        totp_rs::Secret::Encoded(s) => s,
        totp_rs::Secret::Raw(_) => unreachable!("to_encoded returns Encoded"),
    }
}

fn totp(secret_b32: &str) -> Option<totp_rs::TOTP> {
    let bytes = totp_rs::Secret::Encoded(secret_b32.to_owned()).to_bytes().ok()?;
    // RFC 6238 defaults: SHA-1, 6 digits, 30 s steps; one step of skew either side.
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes).ok()
}

/// The time step (30 s) whose TOTP code `code` is, now or one step either side; `None` if it is
/// none of them. Compared in constant time. The step lets a replay guard refuse a code already used.
pub fn totp_step(secret_b32: &str, code: &str) -> Option<u64> {
    let t = totp(secret_b32)?;
    let code = code.trim();
    let now_step = (now_ms() / 1000) as u64 / t.step;
    // Every candidate is computed and compared, so the time taken does not say which one matched.
    let mut matched = None;
    for step in [now_step.saturating_sub(1), now_step, now_step + 1] {
        if ct_eq(&t.generate(step * t.step), code) {
            matched = Some(step);
        }
    }
    matched
}

/// Checks a TOTP code (the crate compares in constant time).
pub fn check_totp(secret_b32: &str, code: &str) -> bool {
    let Some(t) = totp(secret_b32) else { return false };
    let now = (now_ms() / 1000) as u64;
    t.check(code.trim(), now)
}

/// The TOTP code of the time `unix_secs` (tests: a code from the next step, still accepted).
pub fn totp_at(secret_b32: &str, unix_secs: u64) -> Option<String> {
    totp(secret_b32).map(|t| t.generate(unix_secs))
}

/// The current TOTP code (used by the dev endpoint and the tests).
pub fn totp_now(secret_b32: &str) -> Option<String> {
    totp(secret_b32).map(|t| t.generate((now_ms() / 1000) as u64))
}

pub fn is_plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && s.len() <= 254
}
