//! The `jwt` fuzz target's input mapping and invariants, shared with token/tests/fuzz_regressions.rs
//! so that a saved input replays exactly as it ran.
//!
//! First byte even: the rest is a token as text (the seeds are real tokens). Odd: the rest builds
//! one, structure-aware: header and payload JSON written as text from the bytes (so keys can
//! repeat and values can be anything, even invalid JSON), usually on top of a valid header and
//! claim set, signed with the fixed fuzz key or not, then perhaps damaged; and the verify options.

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clerk_token::{
    PublicKey, SigningKey, TokenKind, VerifyOptions, decode_unverified, payload_json, verify_and_validate, verify_with_key_set,
};

use super::bytes::Bytes;

pub const NOW: i64 = 1_700_000_000;
pub const ISSUER: &str = "https://clerk.example.com";
pub const ORIGIN: &str = "https://app.example.com";

/// A fixed test-only key, so a saved input signs the same token on every machine.
const KEY_PEM: &str = include_str!("../fuzz-key.pem");

struct Key {
    public: PublicKey,
    signer: rsa::pkcs1v15::SigningKey<sha2::Sha256>,
}

fn key() -> &'static Key {
    static KEY: OnceLock<Key> = OnceLock::new();
    KEY.get_or_init(|| {
        use rsa::pkcs8::DecodePrivateKey;
        let public = SigningKey::from_pkcs8_pem(KEY_PEM).expect("fuzz key").public_key();
        let private = rsa::RsaPrivateKey::from_pkcs8_pem(KEY_PEM).expect("fuzz key");
        Key { public, signer: rsa::pkcs1v15::SigningKey::new(private) }
    })
}

pub fn public_key() -> &'static PublicKey {
    &key().public
}

const NAMES: &[&str] = &[
    "alg", "typ", "kid", "cat", "sub", "sid", "exp", "nbf", "iat", "azp", "iss", "aud", "v", "fva", "sts", "act", "o", "fea", "org_id",
    "jti", "",
];
const STRINGS: &[&str] = &[
    "RS256",
    "RS512",
    "HS256",
    "none",
    "JWT",
    "jwt",
    "at+jwt",
    "",
    ISSUER,
    ORIGIN,
    "https://evil.example.com",
    "user_1",
    "sess_1",
    "org_1",
    "cl_B7d4PD333AAA",
    "\0",
    "\u{feff}",
    "\u{1F600}",
    "admin",
    "read,manage",
    "3",
    "1,2",
    "o:posts,u:beta",
];
const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1.5",
    "1e400",
    "-0",
    "1700000060.0",
    "1700000060.5",
    "9e12",
    "-9e12",
    "1E2",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "-1e13",
];

fn string(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialize")
}

fn value(b: &mut Bytes, depth: usize) -> String {
    let nested = depth < 4;
    match b.choice(14) {
        0 => "null".into(),
        1 => "true".into(),
        2 => "false".into(),
        3 => (NOW + i64::from(b.u16() as i16)).to_string(),
        4 => (b.u64() as i64).to_string(),
        5 => NUMBERS[b.choice(NUMBERS.len())].into(),
        6 => string(STRINGS[b.choice(STRINGS.len())]),
        7 => string(&b.text(64)),
        8 if nested => {
            let items: Vec<String> = (0..b.choice(4)).map(|_| value(b, depth + 1)).collect();
            format!("[{}]", items.join(","))
        }
        9 if nested => object(b, depth + 1, &[]),
        // Anything at all, JSON or not.
        10 => b.text(16),
        // Nesting past any parser's recursion limit.
        11 => {
            let n = usize::from(b.u16() % 600);
            format!("{}{}", "[".repeat(n), "]".repeat(n))
        }
        12 => {
            format!(r#"{{"id":{},"rol":{},"slg":{},"per":{},"fpm":{}}}"#, value(b, 4), value(b, 4), value(b, 4), value(b, 4), value(b, 4))
        }
        // Large enough to cross MAX_TOKEN_LEN.
        13 => string(&"x".repeat(usize::from(b.u16()) % 20_000)),
        _ => "0".into(),
    }
}

fn name(b: &mut Bytes) -> String {
    match b.choice(NAMES.len() + 1) {
        i if i < NAMES.len() => string(NAMES[i]),
        _ => string(&b.text(16)),
    }
}

/// `{base..., extra...}`: extra entries come last, so one repeating a base name overrides it in
/// last-wins parsers.
fn object(b: &mut Bytes, depth: usize, base: &[(&str, String)]) -> String {
    let mut entries: Vec<String> = base.iter().map(|(k, v)| format!("{}:{v}", string(k))).collect();
    for _ in 0..b.choice(5) {
        entries.push(format!("{}:{}", name(b), value(b, depth)));
    }
    format!("{{{}}}", entries.join(","))
}

fn segment(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(text)
}

pub struct Case {
    pub token: String,
    pub options: VerifyOptions,
}

pub fn case(data: &[u8]) -> Case {
    let mut b = Bytes(data);
    let structured = b.flag();
    if !structured {
        return Case { token: String::from_utf8_lossy(b.rest()).into_owned(), options: options(None) };
    }
    let options = options(Some(&mut b));

    let header = if b.choice(8) != 0 {
        let base = [("alg", string("RS256")), ("typ", string("JWT")), ("kid", string(public_key().kid()))];
        object(&mut b, 1, &base)
    } else {
        object(&mut b, 1, &[])
    };
    let payload = match b.choice(8) {
        0 => object(&mut b, 1, &[]),
        1 => value(&mut b, 1),
        _ => {
            let base = [
                ("sub", string("user_1")),
                ("sid", string("sess_1")),
                ("iss", string(ISSUER)),
                ("azp", string(ORIGIN)),
                ("exp", (NOW + 60).to_string()),
                ("iat", NOW.to_string()),
                ("nbf", (NOW - 10).to_string()),
                ("v", "2".into()),
                ("fva", "[0,-1]".into()),
            ];
            object(&mut b, 1, &base)
        }
    };
    let signing_input = format!("{}.{}", segment(&header), segment(&payload));
    let signature = if b.flag() { sign(&signing_input) } else { b.bytes(300).to_vec() };
    let mut token = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature));
    damage(&mut b, &mut token);
    Case { token, options }
}

/// RS256 with the fuzz key. Signing is most of a case's cost, and mutations often keep the header
/// and payload (changing the options or the damage), so recent signatures are kept.
fn sign(signing_input: &str) -> Vec<u8> {
    use rsa::signature::{SignatureEncoding, Signer};
    use std::cell::RefCell;
    use std::collections::HashMap;
    thread_local! {
        static SIGNED: RefCell<HashMap<String, Vec<u8>>> = RefCell::new(HashMap::new());
    }
    SIGNED.with_borrow_mut(|signed| {
        if signed.len() > 4096 {
            signed.clear();
        }
        signed.entry(signing_input.to_owned()).or_insert_with(|| key().signer.sign(signing_input.as_bytes()).to_vec()).clone()
    })
}

fn options(b: Option<&mut Bytes>) -> VerifyOptions {
    let fixed = VerifyOptions {
        authorized_parties: vec![ORIGIN.into()],
        issuer: Some(ISSUER.into()),
        clock_skew_secs: 5,
        now: Some(NOW),
        token_kind: TokenKind::Session,
    };
    let Some(b) = b else { return fixed };
    VerifyOptions {
        authorized_parties: match b.choice(3) {
            0 => vec![ORIGIN.into()],
            1 => vec![],
            _ => vec![String::new()],
        },
        issuer: b.flag().then(|| ISSUER.into()),
        clock_skew_secs: match b.choice(4) {
            0 => 5,
            1 => 0,
            2 => u64::MAX,
            _ => b.u64(),
        },
        now: Some(match b.choice(4) {
            0 | 1 => NOW,
            2 => NOW + i64::from(b.u16() as i16),
            _ => b.u64() as i64,
        }),
        token_kind: TokenKind::Session,
    }
}

/// What an attacker does to a token in transit: flip, cut, insert, pad.
fn damage(b: &mut Bytes, token: &mut String) {
    let kind = b.choice(8);
    if kind < 4 || token.is_empty() {
        return;
    }
    let mut at = usize::from(b.u16()) % token.len();
    while !token.is_char_boundary(at) {
        at -= 1;
    }
    match kind {
        4 => {
            let flipped = token.as_bytes()[at] ^ (b.byte() | 1);
            // Stay in ASCII so the token stays a string; a byte of 0x80+ becomes U+FFFD.
            token.replace_range(at..=at, &char::from(flipped & 0x7f).to_string());
        }
        5 => token.truncate(at),
        6 => token.insert(at, ['.', '=', '+', '/', ' ', 'A', '\u{feff}'][b.choice(7)]),
        _ => token.push_str(&"=".repeat(1 + b.choice(4))),
    }
}

/// Runs every decoder and the verifier on the case. Nothing may panic, and what the verifier
/// accepts must satisfy the options it was accepted under and decode the same way unverified.
pub fn check(case: &Case) {
    let Case { token, options } = case;
    let unverified = decode_unverified(token);
    let payload = payload_json(token);
    let verified = verify_and_validate(token, public_key(), options);
    let by_set = verify_with_key_set(token, std::slice::from_ref(public_key()), options);

    let errors = [unverified.as_ref().err(), payload.as_ref().err()];
    for error in errors.into_iter().flatten() {
        let _ = error.to_string();
    }
    if let Err(error) = &verified {
        let _ = (error.to_string(), error.reason());
    }
    // The one key of the set is the same key: a set can only be stricter (on `kid`).
    if let Ok(claims) = &by_set {
        assert_eq!(verified.as_ref(), Ok(claims), "key set accepted what the key refused");
    }
    let Ok(claims) = &verified else { return };
    assert_eq!(unverified.as_ref(), Ok(claims), "the verified claims decode differently unverified");
    assert!(payload.is_ok(), "verified but payload_json failed: {payload:?}");
    assert!(claims.sid.is_some(), "verified without sid");
    let now = options.now.expect("the fuzz options fix the time");
    let skew = i64::try_from(options.clock_skew_secs).unwrap_or(i64::MAX);
    assert!(claims.exp > now.saturating_sub(skew), "verified an expired token: {claims:?}");
    // nbf and iat default to 0 when absent, which is only "in the past" for a positive now + skew.
    if now.saturating_add(skew) >= 0 {
        assert!(claims.nbf <= now.saturating_add(skew), "verified before nbf: {claims:?}");
        assert!(claims.iat <= now.saturating_add(skew), "verified iat in the future: {claims:?}");
    }
    if !options.authorized_parties.is_empty() {
        assert!(
            claims.azp.as_ref().is_some_and(|azp| options.authorized_parties.contains(azp)),
            "verified an unauthorized party: {:?}",
            claims.azp
        );
    }
    if let Some(issuer) = &options.issuer {
        assert_eq!(&claims.iss, issuer, "verified another issuer");
    }
}
