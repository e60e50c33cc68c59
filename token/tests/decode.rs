//! What the browser library relies on; runs without the `verify` feature too.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clerk_token::{OrgClaim, OrgPermissions, SessionClaims, TokenError, decode_unverified};
use serde_json::{Value, json};

fn unsigned(payload: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(payload).unwrap());
    format!("{header}.{payload}.c2lnbmF0dXJl")
}

/// A v2 token payload as Clerk documents it, with an active organization and a custom claim.
fn clerk_v2_payload() -> Value {
    json!({
        "azp": "https://example.com",
        "exp": 1713158400,
        "fea": "o:posts,u:beta,o:billing",
        "fva": [7, -1],
        "iat": 1713158340,
        "iss": "https://clerk.your-site.com",
        "jti": "1234567890",
        "nbf": 1713158330,
        "o": { "id": "org_123", "slg": "org-slug", "rol": "admin", "per": "read,manage", "fpm": "3,2" },
        "pla": "u:free,o:pro",
        "sid": "sess_123",
        "sts": "pending",
        "sub": "user_123",
        "v": 2,
        "role": "tester"
    })
}

#[test]
fn decodes_every_v2_claim() {
    let claims = decode_unverified(&unsigned(&clerk_v2_payload())).unwrap();
    assert_eq!(claims.sub, "user_123");
    assert_eq!(claims.sid.as_deref(), Some("sess_123"));
    assert_eq!(claims.iss, "https://clerk.your-site.com");
    assert_eq!(claims.azp.as_deref(), Some("https://example.com"));
    assert_eq!((claims.exp, claims.iat, claims.nbf), (1713158400, 1713158340, 1713158330));
    assert_eq!(claims.v, Some(2));
    assert_eq!(claims.fva, Some([7, -1]));
    assert_eq!(claims.sts.as_deref(), Some("pending"));
    assert_eq!(
        claims.o,
        Some(OrgClaim { id: "org_123".into(), rol: "admin".into(), slg: "org-slug".into(), per: "read,manage".into(), fpm: "3,2".into() })
    );
    assert_eq!(claims.extra.get("jti"), Some(&json!("1234567890")));
    assert_eq!(claims.extra.get("role"), Some(&json!("tester")));
    assert_eq!(claims.org_role().as_deref(), Some("org:admin"));
    // fpm "3,2": posts may read and manage, billing may manage; the user-scoped feature is skipped.
    assert_eq!(claims.org_permissions(), ["org:posts:read", "org:posts:manage", "org:billing:manage"]);
}

#[test]
fn serialization_round_trips_and_omits_absent_options() {
    let claims = decode_unverified(&unsigned(&clerk_v2_payload())).unwrap();
    assert_eq!(serde_json::to_value(&claims).unwrap(), clerk_v2_payload());
    let minimal = SessionClaims { sub: "user_1".into(), exp: 10, ..SessionClaims::default() };
    assert_eq!(serde_json::to_value(&minimal).unwrap(), json!({ "sub": "user_1", "iss": "", "exp": 10, "iat": 0, "nbf": 0 }));
}

#[test]
fn minimal_token_decodes_with_defaults() {
    let claims = decode_unverified(&unsigned(&json!({ "sub": "user_1", "exp": 5 }))).unwrap();
    assert_eq!(claims, SessionClaims { sub: "user_1".into(), exp: 5, ..Default::default() });
    assert_eq!(claims.org_role(), None);
    assert!(claims.org_permissions().is_empty());
}

#[test]
fn the_signature_is_not_checked_but_the_shape_is() {
    let token = unsigned(&json!({ "sub": "user_1", "exp": 5 }));
    let without_signature = &token[..token.rfind('.').unwrap() + 1];
    assert!(decode_unverified(without_signature).is_ok());
    let malformed = |t: &str| matches!(decode_unverified(t), Err(TokenError::Malformed(_)));
    assert!(malformed(""));
    assert!(malformed("a.b"));
    assert!(malformed("a.b.c.d"));
    assert!(malformed("eyJ9.***.sig"));
    assert!(malformed(&format!("e30.{}.sig", URL_SAFE_NO_PAD.encode("nope"))));
    assert!(malformed(&format!("e30.{}.sig", URL_SAFE_NO_PAD.encode("\"string\""))));
    assert!(malformed(&"a.".repeat(10_000)));
    let invalid = |payload: Value| matches!(decode_unverified(&unsigned(&payload)), Err(TokenError::InvalidClaims(_)));
    assert!(invalid(json!({ "exp": 5 })));
    assert!(invalid(json!({ "sub": "user_1" })));
    assert!(invalid(json!({ "sub": "user_1", "exp": "soon" })));
    assert!(invalid(json!({ "sub": "user_1", "exp": 5, "fva": [1] })));
}

#[test]
fn org_permissions_encode_like_clerk() {
    let encoded = OrgPermissions::encode(&["org:posts:read", "org:posts:manage", "org:billing:manage"]);
    assert_eq!(encoded, OrgPermissions { per: "read,manage".into(), fpm: "3,2".into(), fea: "o:posts,o:billing".into() });
    assert_eq!(encoded.decode(), ["org:posts:read", "org:posts:manage", "org:billing:manage"]);
    // Keys that are not org:<feature>:<permission> cannot be expressed and are dropped.
    let odd = OrgPermissions::encode(&["admin", "org:posts", "org::read", "org:a:b:c", "org:x:y"]);
    assert_eq!(odd.decode(), ["org:x:y"]);
    assert_eq!(OrgPermissions::encode::<&str>(&[]), OrgPermissions::default());
    assert!(OrgPermissions::default().decode().is_empty());
}

#[test]
fn org_permissions_scale_past_64_names() {
    let keys: Vec<String> = (0..100).map(|i| format!("org:feat:perm{i}")).collect();
    let encoded = OrgPermissions::encode(&keys);
    assert_eq!(encoded.fpm, "1267650600228229401496703205375"); // 2^100 - 1
    assert_eq!(encoded.decode(), keys);
}

#[test]
fn org_permissions_decode_tolerates_what_clerk_tolerates() {
    let decode = |per: &str, fpm: &str, fea: &str| OrgPermissions { per: per.into(), fpm: fpm.into(), fea: fea.into() }.decode();
    assert_eq!(decode("read, manage", " 2", "ou:posts"), ["org:posts:manage"]);
    assert_eq!(decode("read", "x,1", "o:a,o:b"), ["org:b:read"]);
    assert!(decode("read", "1", "").is_empty());
    assert!(decode("read", "1", "u:posts").is_empty());
    assert!(decode("read", "", "o:posts").is_empty());
}

#[test]
fn custom_claims_cannot_override_default_claims() {
    let mut claims = SessionClaims { sub: "user_1".into(), exp: 10, ..SessionClaims::default() };
    claims.extra.insert("sub".into(), json!("user_admin"));
    claims.extra.insert("o".into(), json!({ "id": "org_evil" }));
    claims.extra.insert("custom".into(), json!(true));
    let json = serde_json::to_string(&claims).unwrap();
    assert_eq!(json.matches("\"sub\"").count(), 1, "{json}");
    let value: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["sub"], "user_1");
    assert!(value.get("o").is_none());
    assert_eq!(value["custom"], true);
}
