#![cfg(feature = "verify")]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clerk_token::{KeyError, PublicKey, SigningKey, VerifyOptions, verify_and_validate};
use common::{NOW, claims_at, key};
use rsa::traits::PublicKeyParts;

/// The fixed SPKI prefix @clerk/backend cuts off a `jwtKey` PEM to find the modulus.
const CLERK_SPKI_PREFIX: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA";

#[test]
fn generated_keys_are_rsa_2048_with_e_65537() {
    use rsa::pkcs8::DecodePrivateKey;
    let private = rsa::RsaPrivateKey::from_pkcs8_pem(&key().to_pkcs8_pem()).unwrap();
    assert_eq!(private.n().bits(), 2048);
    assert_eq!(*private.e(), rsa::BigUint::from(65537u32));
    // Which is what makes the PEM fit @clerk/backend's hard-coded framing.
    let body: String = key().public_key().to_spki_pem().lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(body.starts_with(CLERK_SPKI_PREFIX) && body.ends_with("IDAQAB"), "{body}");
}

#[test]
fn private_pem_round_trips_with_the_same_kid() {
    let pem = key().to_pkcs8_pem();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    let reloaded = SigningKey::from_pkcs8_pem(&pem).unwrap();
    assert_eq!(reloaded.kid(), key().kid());
    assert_eq!(reloaded.to_pkcs8_pem(), pem);
    assert_eq!(reloaded.public_key(), key().public_key());
    // A token signed by the reloaded key verifies with the original public key.
    let token = reloaded.sign(&claims_at(NOW));
    let options = VerifyOptions { now: Some(NOW), ..VerifyOptions::default() };
    assert!(verify_and_validate(&token, &key().public_key(), &options).is_ok());
}

#[test]
fn public_pem_round_trips_with_and_without_newlines() {
    let public = key().public_key();
    let pem = public.to_spki_pem();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert!(pem.trim_end().ends_with("-----END PUBLIC KEY-----"));
    assert_eq!(PublicKey::from_spki_pem(&pem).unwrap(), public);
    // As found in environment variables: the line breaks removed; or with CRLF line endings.
    assert_eq!(PublicKey::from_spki_pem(&pem.replace('\n', "")).unwrap(), public);
    assert_eq!(PublicKey::from_spki_pem(&pem.replace('\n', "\r\n")).unwrap(), public);
    assert_eq!(PublicKey::from_spki_pem(&format!("  {pem}  ")).unwrap().kid(), key().kid());
}

#[test]
fn kid_is_stable_and_derived_from_the_key() {
    let kid = key().kid();
    assert!(kid.starts_with("ins_") && kid.len() == 31, "{kid}");
    assert_eq!(key().public_key().kid(), kid);
    assert_eq!(PublicKey::from_spki_pem(&key().public_key().to_spki_pem()).unwrap().kid(), kid);
    assert_ne!(common::other_key().kid(), kid);
}

#[test]
fn jwk_has_clerks_shape() {
    let public = key().public_key();
    let jwk = public.jwk(key().kid());
    assert_eq!(jwk["kid"], key().kid());
    assert_eq!(jwk["kty"], "RSA");
    assert_eq!(jwk["alg"], "RS256");
    assert_eq!(jwk["use"], "sig");
    assert_eq!(jwk["e"], "AQAB");
    let n = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap();
    assert_eq!(n.len(), 256);
    assert!(n[0] & 0x80 != 0, "a 2048-bit modulus uses the top bit, with no leading zero byte");
    assert_eq!(jwk.as_object().unwrap().len(), 6);
}

#[test]
fn unusable_pems_are_refused_with_clear_errors() {
    let spki = key().public_key().to_spki_pem();
    let pkcs8 = key().to_pkcs8_pem();
    let invalid_pem = |result: Result<(), KeyError>| match result {
        Err(KeyError::InvalidPem(message)) => message,
        other => panic!("expected InvalidPem, got {other:?}"),
    };
    invalid_pem(PublicKey::from_spki_pem("").map(drop));
    invalid_pem(PublicKey::from_spki_pem(&pkcs8).map(drop));
    let pkcs1 = spki.replace("PUBLIC KEY", "RSA PUBLIC KEY");
    assert!(invalid_pem(PublicKey::from_spki_pem(&pkcs1).map(drop)).contains("BEGIN PUBLIC KEY"));
    invalid_pem(PublicKey::from_spki_pem(&spki.replace("MIIB", "M!IB")).map(drop));
    invalid_pem(PublicKey::from_spki_pem(&spki.replace("MIIB", "MIIC")).map(drop));
    invalid_pem(SigningKey::from_pkcs8_pem(&spki).map(drop));
    invalid_pem(SigningKey::from_pkcs8_pem("garbage").map(drop));
}

#[test]
fn keys_clerk_cannot_use_are_refused() {
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    // 1024 bits is quick to generate and shows the check; 4096 fails @clerk/backend the same way.
    let small = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024).unwrap();
    let pem = small.to_pkcs8_pem(LineEnding::LF).unwrap();
    let error = SigningKey::from_pkcs8_pem(&pem).unwrap_err();
    assert!(matches!(&error, KeyError::UnsupportedKey(m) if m.contains("1024 bits")), "{error}");
    let public_pem = small.to_public_key().to_public_key_pem(LineEnding::LF).unwrap();
    assert!(matches!(PublicKey::from_spki_pem(&public_pem), Err(KeyError::UnsupportedKey(_))));
}

#[test]
fn a_public_exponent_other_than_65537_is_refused() {
    use rsa::pkcs8::{EncodePublicKey, LineEnding};
    let e3 = rsa::RsaPrivateKey::new_with_exp(&mut rsa::rand_core::OsRng, 2048, &3u32.into()).unwrap();
    let pem = e3.to_public_key().to_public_key_pem(LineEnding::LF).unwrap();
    let error = PublicKey::from_spki_pem(&pem).unwrap_err();
    assert!(matches!(&error, KeyError::UnsupportedKey(m) if m.contains("e = 3")), "{error}");
}

#[test]
fn jwk_round_trips_and_keeps_its_kid() {
    let public = key().public_key();
    let reread = PublicKey::from_jwk(&public.jwk(key().kid())).unwrap();
    assert_eq!(reread, public);
    let renamed = PublicKey::from_jwk(&public.jwk("ins_custom")).unwrap();
    assert_eq!(renamed.kid(), "ins_custom");
    assert_eq!(renamed.to_spki_pem(), public.to_spki_pem());

    let mut without_kid = public.jwk("x");
    without_kid.as_object_mut().unwrap().remove("kid");
    assert_eq!(PublicKey::from_jwk(&without_kid).unwrap().kid(), key().kid());

    let broken = |change: serde_json::Value| {
        let mut jwk = public.jwk("x");
        for (name, value) in change.as_object().unwrap() {
            jwk[name] = value.clone();
        }
        PublicKey::from_jwk(&jwk).unwrap_err()
    };
    assert!(matches!(broken(serde_json::json!({ "kty": "EC" })), KeyError::UnsupportedKey(_)));
    assert!(matches!(broken(serde_json::json!({ "alg": "RS512" })), KeyError::UnsupportedKey(_)));
    assert!(matches!(broken(serde_json::json!({ "n": "!!" })), KeyError::InvalidJwk(_)));
    assert!(matches!(broken(serde_json::json!({ "e": null })), KeyError::InvalidJwk(_)));
    assert!(matches!(broken(serde_json::json!({ "e": "Aw" })), KeyError::UnsupportedKey(_))); // e = 3
}

#[test]
fn keys_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<SigningKey>();
    assert_send_sync::<PublicKey>();
    assert_send_sync::<clerk_token::VerifyError>();
    assert_send_sync::<KeyError>();
}

/// A key the `rsa` crate made and stored (as the server stores it) before the switch to ring: it
/// loads, re-encodes byte for byte, keeps its kid and JWK, and signs the very same token (PKCS#1
/// v1.5 signatures are deterministic), which the old code also verified.
#[test]
fn a_key_made_by_the_old_rsa_crate_code_keeps_working() {
    let pkcs8 = include_str!("fixtures/old-rsa-crate-key.pkcs8.pem");
    let expected: serde_json::Value = serde_json::from_str(include_str!("fixtures/old-rsa-crate-key.expected.json")).unwrap();
    let key = SigningKey::from_pkcs8_pem(pkcs8).unwrap();
    assert_eq!(key.to_pkcs8_pem(), pkcs8);
    assert_eq!(key.kid(), expected["kid"].as_str().unwrap());
    assert_eq!(key.public_key().to_spki_pem(), include_str!("fixtures/old-rsa-crate-key.spki.pem"));
    assert_eq!(key.public_key().jwk(key.kid()), expected["jwk"]);
    let old_token = expected["token"].as_str().unwrap();
    assert_eq!(key.sign(&expected["claims"]), old_token);
    let options = VerifyOptions { now: Some(NOW), ..VerifyOptions::default() };
    let claims = verify_and_validate(old_token, &key.public_key(), &options).unwrap();
    assert_eq!(claims.sub, "user_123");

    // The same key as PKCS#1 (`BEGIN RSA PRIVATE KEY`) is the same key, written back as PKCS#8.
    let pkcs1 = include_str!("fixtures/old-rsa-crate-key.pkcs1.pem");
    assert!(pkcs1.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
    let from_pkcs1 = SigningKey::from_pkcs8_pem(pkcs1).unwrap();
    assert_eq!(from_pkcs1.to_pkcs8_pem(), pkcs8);
    assert_eq!(from_pkcs1.sign(&expected["claims"]), old_token);
}

/// Keys from `openssl genpkey` load too, and tokens they sign verify with the `rsa` crate, an
/// independent implementation.
#[test]
fn signatures_verify_with_an_independent_rsa_implementation() {
    use rsa::pkcs8::DecodePublicKey;
    use rsa::signature::Verifier;
    let key = common::other_key();
    let token = key.sign(&claims_at(NOW));
    let (input, signature) = token.rsplit_once('.').unwrap();
    let public = rsa::RsaPublicKey::from_public_key_pem(&key.public_key().to_spki_pem()).unwrap();
    let signature = rsa::pkcs1v15::Signature::try_from(URL_SAFE_NO_PAD.decode(signature).unwrap().as_slice()).unwrap();
    rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(public).verify(input.as_bytes(), &signature).unwrap();
}

#[cfg(feature = "generate")]
#[test]
fn generated_keys_load_and_sign() {
    let key = SigningKey::generate();
    let reloaded = SigningKey::from_pkcs8_pem(&key.to_pkcs8_pem()).unwrap();
    assert_eq!(reloaded.kid(), key.kid());
    let token = key.sign(&claims_at(NOW));
    let options = VerifyOptions { now: Some(NOW), ..VerifyOptions::default() };
    assert_eq!(verify_and_validate(&token, &reloaded.public_key(), &options).unwrap().sub, "user_123");
    assert_ne!(key.kid(), common::key().kid());
}
