//! Cross-check with the real @clerk/backend: tokens we sign must pass its networkless
//! `verifyToken(token, {jwtKey})`, and tokens we reject must be rejected there for the same reason.
//!
//! Runs `node tests/js/verify-token.mjs`. Without node or `tests/js/node_modules/@clerk/backend`
//! the test is skipped loudly, unless `CLERK_TOKEN_REQUIRE_NODE` is set, when it fails.
#![cfg(feature = "verify")]

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use clerk_token::{OrgPermissions, SessionClaims, VerifyError, VerifyOptions, verify_and_validate};
use common::*;
use serde_json::{Value, json};

/// One token, what @clerk/backend must say about it, and what we say when we differ on purpose.
struct Case {
    name: &'static str,
    token: String,
    pem: String,
    authorized_parties: Vec<String>,
    issuer: Option<String>,
    /// `"accept"` or @clerk/backend's reason.
    clerk: &'static str,
    /// Our result when it deliberately differs from Clerk's; `None`: the same as `clerk`.
    ours: Option<&'static str>,
}

const ORG_CASE: &str = "valid with org, actor and custom claims";

/// Wide enough that node's start-up time cannot move a token across a boundary.
const SKEW_SECS: i64 = 60;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn node_available(root: &Path) -> Result<(), String> {
    if !root
        .join("tests/js/node_modules/@clerk/backend/package.json")
        .exists()
    {
        return Err("tests/js/node_modules/@clerk/backend is not installed".into());
    }
    match Command::new("node").arg("--version").output() {
        Ok(output) if output.status.success() => Ok(()),
        _ => Err("`node` is not on PATH".into()),
    }
}

fn cases() -> Vec<Case> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let pem = key().public_key().to_spki_pem();
    let claims = claims_at(now);
    let with = |changes: Value| {
        let mut c = claims.clone();
        for (name, value) in changes.as_object().unwrap() {
            if value.is_null() {
                c.as_object_mut().unwrap().remove(name);
            } else {
                c[name] = value.clone();
            }
        }
        c
    };
    let signed = |changes: Value| key().sign(&with(changes));
    let valid = key().sign(&claims);
    let case = |name, token: String, clerk| Case {
        name,
        token,
        pem: pem.clone(),
        authorized_parties: vec![ORIGIN.to_owned()],
        issuer: None,
        clerk,
        ours: None,
    };

    let permissions = OrgPermissions::encode(&[
        "org:posts:read",
        "org:posts:manage",
        "org:billing:manage",
        "org:sys_memberships:read",
    ]);
    let org_claims = with(json!({
        "o": { "id": "org_1", "rol": "admin", "slg": "acme", "per": permissions.per, "fpm": permissions.fpm },
        // A user-scoped feature in between, which must not count for the organization.
        "fea": format!("u:beta,{}", permissions.fea),
        "sts": "pending",
        "act": { "sub": "user_admin", "iss": "https://dashboard.clerk.com" },
        "custom": { "nested": [1, 2, 3] },
    }));

    vec![
        case("valid", valid.clone(), "accept"),
        case(ORG_CASE, key().sign(&org_claims), "accept"),
        Case {
            pem: pem.replace('\n', ""),
            ..case("PEM without newlines", valid.clone(), "accept")
        },
        Case {
            authorized_parties: vec![],
            ..case(
                "azp missing, no parties",
                signed(json!({ "azp": null })),
                "accept",
            )
        },
        case(
            "kid absent",
            key().sign_raw(&json!({ "alg": "RS256", "typ": "JWT" }), &claims),
            "accept",
        ),
        case(
            "typ absent",
            key().sign_raw(&json!({ "alg": "RS256" }), &claims),
            "accept",
        ),
        case(
            "expired within skew",
            signed(json!({ "exp": now - SKEW_SECS / 2 })),
            "accept",
        ),
        case(
            "nbf within skew",
            signed(json!({ "nbf": now + SKEW_SECS / 2 })),
            "accept",
        ),
        case(
            "expired",
            signed(json!({ "exp": now - 2 * SKEW_SECS })),
            "token-expired",
        ),
        case(
            "not active yet",
            signed(json!({ "nbf": now + 2 * SKEW_SECS })),
            "token-not-active-yet",
        ),
        case(
            "iat in the future",
            signed(json!({ "iat": now + 2 * SKEW_SECS })),
            "token-iat-in-the-future",
        ),
        case(
            "azp missing",
            signed(json!({ "azp": null })),
            "token-invalid-authorized-parties",
        ),
        case(
            "azp other",
            signed(json!({ "azp": "https://evil.example.com" })),
            "token-invalid-authorized-parties",
        ),
        Case {
            issuer: Some("https://clerk.other.com".into()),
            ..case("issuer mismatch", valid.clone(), "token-invalid-issuer")
        },
        case(
            "exp missing",
            signed(json!({ "exp": null })),
            "token-verification-failed",
        ),
        case(
            "sub missing",
            signed(json!({ "sub": null })),
            "token-verification-failed",
        ),
        // Clerk does not look at sid; our product requires one.
        Case {
            ours: Some("token-verification-failed"),
            ..case("sid missing", signed(json!({ "sid": null })), "accept")
        },
        case(
            "typ at+jwt",
            key().sign_raw(&json!({ "alg": "RS256", "typ": "at+jwt" }), &claims),
            "token-invalid",
        ),
        case(
            "alg none",
            format!(
                "{}.{}.",
                b64_json(&json!({ "alg": "none", "typ": "JWT" })),
                b64_json(&claims)
            ),
            "token-invalid-algorithm",
        ),
        case(
            "HS256 keyed with the public key",
            hs256(
                &json!({ "alg": "HS256", "typ": "JWT" }),
                &claims,
                pem.as_bytes(),
            ),
            "token-invalid-algorithm",
        ),
        case(
            "ES256",
            key().sign_raw(&json!({ "alg": "ES256", "typ": "JWT" }), &claims),
            "token-invalid-algorithm",
        ),
        // Clerk allows RS512 but then cannot use an RS256 JWK for it; we refuse the algorithm.
        Case {
            ours: Some("token-invalid-algorithm"),
            ..case("RS512", rs512(key(), &claims), "token-verification-failed")
        },
        case(
            "other key",
            other_key().sign(&claims),
            "token-invalid-signature",
        ),
        case(
            "payload changed after signing",
            replace_segment(&valid, 1, &b64_json(&with(json!({ "sub": "user_admin" })))),
            "token-invalid-signature",
        ),
        case(
            "signature removed",
            replace_segment(&valid, 2, ""),
            "token-invalid-signature",
        ),
        case(
            "two segments",
            valid[..valid.rfind('.').unwrap()].to_owned(),
            "token-invalid",
        ),
        case(
            "payload not base64url",
            replace_segment(&valid, 1, "e30*"),
            "token-invalid",
        ),
        case(
            "payload not JSON",
            replace_segment(&valid, 1, &b64("not json")),
            "token-invalid",
        ),
    ]
}

fn run_clerk_backend(root: &Path, cases: &[Case]) -> Vec<Value> {
    let input: String = cases
        .iter()
        .map(|c| {
            let line = json!({
                "name": c.name,
                "token": c.token,
                "pem": c.pem,
                "authorizedParties": c.authorized_parties,
                "issuer": c.issuer,
                "clockSkewInMs": SKEW_SECS * 1000,
                "expect": c.clerk,
            });
            format!("{line}\n")
        })
        .collect();
    let mut child = Command::new("node")
        .arg("tests/js/verify-token.mjs")
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node starts");
    // The script reads all of stdin before writing anything, so this cannot deadlock.
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.code().is_some_and(|code| code <= 1),
        "verify-token.mjs failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn clerk_backend_agrees_with_us() {
    let root = repo_root();
    if let Err(why) = node_available(&root) {
        if std::env::var_os("CLERK_TOKEN_REQUIRE_NODE").is_some() {
            panic!("cannot cross-check with @clerk/backend: {why}");
        }
        eprintln!("\n!!! SKIPPED clerk_backend_agrees: {why} (run `npm ci` in tests/js) !!!\n");
        return;
    }

    let cases = cases();
    let results = run_clerk_backend(&root, &cases);
    assert_eq!(
        results.len(),
        cases.len(),
        "one result per case: {results:#?}"
    );

    let mut disagreements = Vec::new();
    for (case, result) in cases.iter().zip(&results) {
        assert_eq!(result["name"], case.name);
        let clerk = result["result"].as_str().unwrap();
        if clerk != case.clerk {
            disagreements.push(format!(
                "{}: @clerk/backend said {clerk} ({}), expected {}",
                case.name, result["message"], case.clerk
            ));
        }
        let options = VerifyOptions {
            authorized_parties: case.authorized_parties.clone(),
            issuer: case.issuer.clone(),
            clock_skew_secs: SKEW_SECS as u64,
            now: None,
        };
        let ours = match verify_and_validate(&case.token, &key().public_key(), &options) {
            Ok(claims) => {
                match result.get("auth") {
                    Some(auth) => compare_auth(case.name, &claims, auth, &mut disagreements),
                    None => disagreements.push(format!(
                        "{}: no auth properties from @clerk/shared: {}",
                        case.name, result["authError"]
                    )),
                }
                "accept"
            }
            Err(error) => VerifyError::reason(&error),
        };
        let expected_ours = case.ours.unwrap_or(case.clerk);
        if ours != expected_ours {
            disagreements.push(format!(
                "{}: we said {ours}, expected {expected_ours}",
                case.name
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "disagreements:\n{}",
        disagreements.join("\n")
    );
    // The organization case really exercised the permission encoding.
    let org = results.iter().find(|r| r["name"] == ORG_CASE).unwrap();
    assert_eq!(
        org["auth"]["orgPermissions"].as_array().map(Vec::len),
        Some(4),
        "{org}"
    );
    assert_eq!(org["auth"]["orgRole"], "org:admin");
}

/// What Clerk's SDKs derive from the claims (@clerk/shared's JWTPayloadToAuthObjectProperties)
/// must match what our claims say, in particular the decoded organization permissions.
fn compare_auth(name: &str, claims: &SessionClaims, auth: &Value, disagreements: &mut Vec<String>) {
    let org = claims.o.as_ref();
    let expected = json!({
        "userId": claims.sub,
        "sessionId": claims.sid,
        "sessionStatus": claims.sts,
        "actor": claims.act,
        "factorVerificationAge": claims.fva,
        "orgId": org.map(|o| &o.id),
        "orgSlug": org.map(|o| &o.slg),
        "orgRole": claims.org_role(),
        "orgPermissions": org.map(|_| claims.org_permissions()),
    });
    for (field, ours) in expected.as_object().unwrap() {
        // JSON.stringify drops undefined fields; those are our `null`s.
        let theirs = auth.get(field).unwrap_or(&Value::Null);
        if theirs != ours {
            disagreements.push(format!(
                "{name}: Clerk's {field} is {theirs}, ours is {ours}"
            ));
        }
    }
}
