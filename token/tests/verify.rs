#![cfg(feature = "verify")]

mod common;

use clerk_token::{MAX_TOKEN_LEN, OrgClaim, SessionClaims, TokenKind, VerifyError, VerifyOptions, decode_unverified, verify_and_validate};
use common::*;
use serde_json::{Value, json};

fn options() -> VerifyOptions {
    VerifyOptions { now: Some(NOW), ..VerifyOptions::default() }
}

fn verify(token: &str) -> Result<SessionClaims, VerifyError> {
    verify_and_validate(token, &key().public_key(), &options())
}

fn verify_claims(claims: Value) -> Result<SessionClaims, VerifyError> {
    verify(&key().sign(&claims))
}

fn assert_rejected(result: Result<SessionClaims, VerifyError>, expected: VerifyError) {
    match result {
        Ok(claims) => panic!("expected {expected:?}, but the token was accepted: {claims:?}"),
        Err(error) => assert_eq!(error, expected, "reason {}", error.reason()),
    }
}

#[test]
fn sign_then_verify_round_trips_typed_claims() {
    let claims = SessionClaims {
        sub: "user_1".into(),
        sid: Some("sess_1".into()),
        iss: ISSUER.into(),
        azp: Some(ORIGIN.into()),
        exp: NOW + 60,
        iat: NOW,
        nbf: NOW - 10,
        v: Some(2),
        fva: Some([3, -1]),
        sts: Some("pending".into()),
        act: Some(json!({ "sub": "user_admin", "iss": "https://dashboard.clerk.com" })),
        o: Some(OrgClaim { id: "org_1".into(), rol: "admin".into(), slg: "acme".into(), per: "read,manage".into(), fpm: "3".into() }),
        fea: Some("o:posts".into()),
        extra: [("plan".to_owned(), json!("pro"))].into_iter().collect(),
    };
    let token = key().sign(&claims);
    let opts = VerifyOptions {
        authorized_parties: vec!["https://other.example.com".into(), ORIGIN.into()],
        issuer: Some(ISSUER.into()),
        ..options()
    };
    let verified = verify_and_validate(&token, &key().public_key(), &opts).unwrap();
    assert_eq!(verified, claims);
    assert_eq!(decode_unverified(&token).unwrap(), claims);
}

#[test]
fn header_is_rs256_jwt_with_the_key_id_and_no_aud_is_ever_signed() {
    let token = key().sign(&claims_with(json!({ "aud": "someone" })));
    let header: Value = serde_json::from_slice(&base64_decode(token.split('.').next().unwrap())).unwrap();
    assert_eq!(header, json!({ "alg": "RS256", "typ": "JWT", "kid": key().kid() }));
    let verified = verify(&token).unwrap();
    assert!(!verified.extra.contains_key("aud"));
}

#[test]
fn kid_absent_is_accepted() {
    let token = key().sign_raw(&json!({ "alg": "RS256", "typ": "JWT" }), &claims_at(NOW));
    assert!(verify(&token).is_ok());
}

#[test]
fn typ_absent_is_accepted_other_types_are_not() {
    let token = key().sign_raw(&json!({ "alg": "RS256" }), &claims_at(NOW));
    assert!(verify(&token).is_ok());
    let token = key().sign_raw(&json!({ "alg": "RS256", "typ": "at+jwt" }), &claims_at(NOW));
    assert_rejected(verify(&token), VerifyError::InvalidType("\"at+jwt\"".into()));
    assert_eq!(verify(&token).unwrap_err().reason(), "token-invalid");
}

#[test]
fn expiry_honours_the_clock_skew() {
    // Expired 4 s ago: inside the default 5 s skew.
    assert!(verify_claims(claims_with(json!({ "exp": NOW - 4 }))).is_ok());
    // Exactly at the skew boundary counts as expired, as in @clerk/backend (`<=`).
    assert_rejected(verify_claims(claims_with(json!({ "exp": NOW - 5 }))), VerifyError::Expired { exp: NOW - 5, now: NOW });
    let expired = key().sign(&claims_with(json!({ "exp": NOW - 10 })));
    assert_eq!(verify(&expired).unwrap_err().reason(), "token-expired");
    let lenient = VerifyOptions { clock_skew_secs: 20, ..options() };
    assert!(verify_and_validate(&expired, &key().public_key(), &lenient).is_ok());
}

#[test]
fn not_before_beyond_the_skew_is_rejected() {
    assert!(verify_claims(claims_with(json!({ "nbf": NOW + 4 }))).is_ok());
    assert!(verify_claims(claims_with(json!({ "nbf": NOW + 5 }))).is_ok());
    let result = verify_claims(claims_with(json!({ "nbf": NOW + 30 })));
    assert_rejected(result.clone(), VerifyError::NotActiveYet { nbf: NOW + 30, now: NOW });
    assert_eq!(result.unwrap_err().reason(), "token-not-active-yet");
}

#[test]
fn issued_in_the_future_beyond_the_skew_is_rejected() {
    assert!(verify_claims(claims_with(json!({ "iat": NOW + 5 }))).is_ok());
    let result = verify_claims(claims_with(json!({ "iat": NOW + 30 })));
    assert_rejected(result.clone(), VerifyError::IatInTheFuture { iat: NOW + 30, now: NOW });
    assert_eq!(result.unwrap_err().reason(), "token-iat-in-the-future");
}

#[test]
fn nbf_and_iat_are_optional_and_default_to_zero() {
    let claims = verify_claims(claims_with(json!({ "nbf": null, "iat": null }))).unwrap();
    assert_eq!((claims.nbf, claims.iat), (0, 0));
}

#[test]
fn authorized_parties_are_enforced_only_when_given() {
    let parties = VerifyOptions { authorized_parties: vec![ORIGIN.into()], ..options() };
    let verify_with = |claims: Value| verify_and_validate(&key().sign(&claims), &key().public_key(), &parties);
    assert!(verify_with(claims_at(NOW)).is_ok());
    assert_rejected(
        verify_with(claims_with(json!({ "azp": "https://evil.example.com" }))),
        VerifyError::InvalidAuthorizedParty(Some("https://evil.example.com".into())),
    );
    let missing = verify_with(claims_with(json!({ "azp": null })));
    assert_rejected(missing.clone(), VerifyError::InvalidAuthorizedParty(None));
    assert_eq!(missing.unwrap_err().reason(), "token-invalid-authorized-parties");
    // Without authorized parties a missing azp is fine (browser-less callers have no Origin).
    assert!(verify_claims(claims_with(json!({ "azp": null }))).is_ok());
}

#[test]
fn issuer_is_enforced_only_when_given() {
    let strict = VerifyOptions { issuer: Some("https://clerk.other.com".into()), ..options() };
    let token = key().sign(&claims_at(NOW));
    let result = verify_and_validate(&token, &key().public_key(), &strict);
    assert_rejected(result.clone(), VerifyError::InvalidIssuer(Some(ISSUER.into())));
    assert_eq!(result.unwrap_err().reason(), "token-invalid-issuer");
    let token = key().sign(&claims_with(json!({ "iss": null })));
    assert_rejected(verify_and_validate(&token, &key().public_key(), &strict), VerifyError::InvalidIssuer(None));
    assert_eq!(verify(&token).unwrap().iss, "");
}

#[test]
fn required_claims() {
    for claim in ["sub", "sid", "exp"] {
        let result = verify_claims(claims_with(json!({ claim: null })));
        assert_rejected(result.clone(), VerifyError::MissingClaim(claim));
        assert_eq!(result.unwrap_err().reason(), "token-verification-failed");
    }
    assert_rejected(verify_claims(claims_with(json!({ "sub": 42 }))), VerifyError::InvalidClaim("sub"));
    assert_rejected(verify_claims(claims_with(json!({ "exp": "tomorrow" }))), VerifyError::InvalidClaim("exp"));
    assert_rejected(verify_claims(claims_with(json!({ "nbf": 1.5 }))), VerifyError::InvalidClaim("nbf"));
}

#[test]
fn jwt_template_tokens_need_no_sid_but_only_when_asked_for() {
    // A JWT template's token: the template's own claims, the standard ones, and no `sid`.
    let template = claims_with(json!({ "sid": null, "role": "admin", "jti": "jti_1" }));
    let token = key().sign(&template);
    let as_template = VerifyOptions { token_kind: TokenKind::JwtTemplate, ..options() };

    // The default is a session token, which must carry `sid`.
    assert_eq!(VerifyOptions::default().token_kind, TokenKind::Session);
    assert_rejected(verify(&token), VerifyError::MissingClaim("sid"));

    let claims = verify_and_validate(&token, &key().public_key(), &as_template).unwrap();
    assert_eq!(claims.sid, None);
    assert_eq!(claims.extra["role"], "admin");
    assert_eq!(claims.extra["jti"], "jti_1");

    // Everything else is still checked: a wrongly typed `sid`, expiry, the signature.
    let typed = key().sign(&claims_with(json!({ "sid": 7 })));
    assert_rejected(verify_and_validate(&typed, &key().public_key(), &as_template), VerifyError::InvalidClaim("sid"));
    let late = VerifyOptions { now: Some(NOW + 3600), ..as_template.clone() };
    assert_eq!(verify_and_validate(&token, &key().public_key(), &late).unwrap_err().reason(), "token-expired");
    // A fixed second key: key generation is the `generate` feature, off when clerk-token is tested alone.
    let other = common::other_key();
    assert_rejected(verify_and_validate(&other.sign(&template), &key().public_key(), &as_template), VerifyError::InvalidSignature);
    // A session token passes as a template token too (it is one with more claims).
    let session = key().sign(&claims_with(json!({})));
    assert!(verify_and_validate(&session, &key().public_key(), &as_template).is_ok());
}

#[test]
fn tampering_breaks_the_signature() {
    let token = key().sign(&claims_at(NOW));
    let forged_payload = b64_json(&claims_with(json!({ "sub": "user_admin" })));
    assert_rejected(verify(&replace_segment(&token, 1, &forged_payload)), VerifyError::InvalidSignature);

    // A different but still acceptable header (kid removed) is not what was signed.
    let forged_header = b64_json(&json!({ "alg": "RS256", "typ": "JWT" }));
    assert_rejected(verify(&replace_segment(&token, 0, &forged_header)), VerifyError::InvalidSignature);

    let mut signature = base64_decode(token.rsplit('.').next().unwrap());
    signature[100] ^= 1;
    assert_rejected(verify(&replace_segment(&token, 2, &b64(&signature))), VerifyError::InvalidSignature);
    assert_rejected(verify(&replace_segment(&token, 2, "")), VerifyError::InvalidSignature);
    assert_eq!(verify(&replace_segment(&token, 2, "")).unwrap_err().reason(), "token-invalid-signature");
}

#[test]
fn a_different_key_is_rejected() {
    let token = other_key().sign(&claims_at(NOW));
    assert_rejected(verify(&token), VerifyError::InvalidSignature);
}

#[test]
fn only_rs256_is_accepted() {
    let claims = claims_at(NOW);
    let unsigned = format!("{}.{}.", b64_json(&json!({ "alg": "none", "typ": "JWT" })), b64_json(&claims));
    assert_rejected(verify(&unsigned), VerifyError::InvalidAlgorithm("\"none\"".into()));
    assert_eq!(verify(&unsigned).unwrap_err().reason(), "token-invalid-algorithm");

    // Algorithm confusion: HMAC keyed with the public key, in both forms an attacker could use.
    let hs256_header = json!({ "alg": "HS256", "typ": "JWT", "kid": key().kid() });
    let pem = key().public_key().to_spki_pem();
    for secret in [pem.as_bytes(), pem.trim().as_bytes()] {
        let forged = hs256(&hs256_header, &claims, secret);
        assert_rejected(verify(&forged), VerifyError::InvalidAlgorithm("\"HS256\"".into()));
    }

    let es256 = key().sign_raw(&json!({ "alg": "ES256", "typ": "JWT" }), &claims);
    assert_rejected(verify(&es256), VerifyError::InvalidAlgorithm("\"ES256\"".into()));
    assert_rejected(verify(&rs512(key(), &claims)), VerifyError::InvalidAlgorithm("\"RS512\"".into()));
    let no_alg = key().sign_raw(&json!({ "typ": "JWT" }), &claims);
    assert_rejected(verify(&no_alg), VerifyError::InvalidAlgorithm("null".into()));
}

#[test]
fn malformed_tokens() {
    let token = key().sign(&claims_at(NOW));
    let malformed = |t: &str| match verify(t) {
        Err(e @ VerifyError::Malformed(_)) => assert_eq!(e.reason(), "token-invalid"),
        other => panic!("expected Malformed for {t:?}, got {other:?}"),
    };
    malformed("");
    malformed("abc");
    malformed(&token[..token.rfind('.').unwrap()]); // two segments
    malformed(&format!("{token}.extra"));
    malformed(&replace_segment(&token, 1, "e30*")); // not base64url
    malformed(&replace_segment(&token, 1, &b64("not json")));
    malformed(&replace_segment(&token, 1, &b64("[1,2]")));
    malformed(&replace_segment(&token, 0, &b64("{")));
    malformed(&replace_segment(&token, 2, "!!!"));
    // Truncated in the middle of the signature: still decodes, but does not verify.
    let truncated = &token[..token.len() - 10];
    assert!(matches!(verify(truncated), Err(VerifyError::InvalidSignature | VerifyError::Malformed(_))));
}

#[test]
fn oversized_tokens_are_rejected_before_parsing() {
    let padding = "x".repeat(MAX_TOKEN_LEN);
    let huge = key().sign(&claims_with(json!({ "padding": padding })));
    assert!(huge.len() > MAX_TOKEN_LEN);
    assert!(matches!(verify(&huge), Err(VerifyError::Malformed(m)) if m.contains("bytes")));
    assert!(decode_unverified(&huge).is_err());
    // Garbage of that size is refused just as fast, without being decoded.
    assert!(matches!(verify(&"a".repeat(MAX_TOKEN_LEN + 1)), Err(VerifyError::Malformed(_))));
}

#[test]
fn check_order_matches_clerk_backend() {
    // Several problems at once: the first check in @clerk/backend's order wins.
    let everything_wrong =
        key().sign_raw(&json!({ "alg": "HS256", "typ": "at+jwt" }), &claims_with(json!({ "sub": null, "exp": NOW - 100 })));
    assert!(matches!(verify(&everything_wrong), Err(VerifyError::InvalidType(_))));
    let expired_without_sub = key().sign(&claims_with(json!({ "sub": null, "exp": NOW - 100 })));
    assert_rejected(verify(&expired_without_sub), VerifyError::MissingClaim("sub"));
    let forged_and_expired = other_key().sign(&claims_with(json!({ "exp": NOW - 100 })));
    assert_rejected(verify(&forged_and_expired), VerifyError::InvalidSignature);
    let strict = VerifyOptions { authorized_parties: vec!["https://x.example.com".into()], ..options() };
    let expired = key().sign(&claims_with(json!({ "exp": NOW - 100 })));
    assert!(matches!(verify_and_validate(&expired, &key().public_key(), &strict), Err(VerifyError::InvalidAuthorizedParty(_))));
}

#[test]
fn default_options_use_the_system_clock() {
    let defaults = VerifyOptions::default();
    assert_eq!(defaults.clock_skew_secs, 5);
    assert!(defaults.authorized_parties.is_empty() && defaults.issuer.is_none() && defaults.now.is_none());
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let token = key().sign(&claims_at(now));
    assert!(verify_and_validate(&token, &key().public_key(), &defaults).is_ok());
    // NOW is long past, so a token minted then has expired by the system clock.
    let fixed = key().sign(&claims_at(NOW));
    assert!(verify_and_validate(&fixed, &key().public_key(), &defaults).is_err());
}

#[test]
fn errors_display_readably() {
    assert_eq!(VerifyError::MissingClaim("sid").to_string(), "required claim `sid` is missing");
    let error: Box<dyn std::error::Error> = Box::new(VerifyError::InvalidSignature);
    assert_eq!(error.to_string(), "JWT signature is invalid");
}

fn base64_decode(segment: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(segment).unwrap()
}

#[test]
fn key_sets_pick_the_key_by_kid() {
    use clerk_token::verify_with_key_set;
    let keys = [other_key().public_key(), key().public_key()];
    let token = key().sign(&claims_at(NOW));
    assert_eq!(verify_with_key_set(&token, &keys, &options()).unwrap().sub, "user_123");
    let other = other_key().sign(&claims_at(NOW));
    assert!(verify_with_key_set(&other, &keys, &options()).is_ok());

    let unknown = verify_with_key_set(&token, &keys[..1], &options());
    assert_rejected(unknown.clone(), VerifyError::UnknownKid(Some(key().kid().into())));
    assert_eq!(unknown.unwrap_err().reason(), "jwk-kid-mismatch");

    // Without a kid, only an unambiguous set will do.
    let no_kid = key().sign_raw(&json!({ "alg": "RS256", "typ": "JWT" }), &claims_at(NOW));
    assert!(verify_with_key_set(&no_kid, &keys[1..], &options()).is_ok());
    assert_rejected(verify_with_key_set(&no_kid, &keys, &options()), VerifyError::UnknownKid(None));
    assert_rejected(verify_with_key_set(&no_kid, &[], &options()), VerifyError::UnknownKid(None));

    // The kid only selects the key: a forged kid still has to carry a valid signature.
    let forged = other_key().sign_raw(&json!({ "alg": "RS256", "kid": key().kid() }), &claims_at(NOW));
    assert_rejected(verify_with_key_set(&forged, &keys, &options()), VerifyError::InvalidSignature);
}
