//! Replays the `jwt` and `publishable_key` fuzz inputs kept in the repository, the findings
//! (`fuzz/regressions/<target>/`) and the seeds (`fuzz/seeds/<target>/`), through the targets'
//! own input mapping and invariants (`fuzz/shared/`), so they run in plain `cargo test`.
#![cfg(feature = "verify")]

#[path = "../../fuzz/shared/bytes.rs"]
mod bytes;
#[path = "../../fuzz/shared/jwt.rs"]
mod jwt;
#[path = "../../fuzz/shared/publishable_key.rs"]
mod publishable_key;

use std::path::{Path, PathBuf};

use clerk_token::{InstanceType, VerifyError, verify_and_validate};

/// Every file of `fuzz/regressions/<target>` and `fuzz/seeds/<target>`, by path.
fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut inputs = Vec::new();
    for dir in ["regressions", "seeds"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_file() {
                let data = std::fs::read(&path).unwrap();
                inputs.push((path, data));
            }
        }
    }
    inputs.sort();
    assert!(inputs.len() >= 3, "fuzz/seeds/{target} and fuzz/regressions/{target} should hold inputs, found {}", inputs.len());
    inputs
}

fn input(target: &str, name: &str) -> Vec<u8> {
    let (_, data) =
        inputs(target).into_iter().find(|(path, _)| path.ends_with(name)).unwrap_or_else(|| panic!("no input {name} for {target}"));
    data
}

#[test]
fn jwt_inputs_replay_without_panics_or_broken_invariants() {
    for (path, data) in inputs("jwt") {
        let case = jwt::case(&data);
        // A panic here names the input; `jwt::check` asserts the verifier's invariants.
        eprintln!("replaying {}", path.display());
        jwt::check(&case);
    }
}

/// The replay means something only while the fixed key and the mapping still produce tokens
/// that verify: the valid seed must pass, the others fail for their own reason.
#[test]
fn jwt_seeds_still_verify_as_they_did() {
    let verify = |name| {
        let case = jwt::case(&input("jwt", name));
        verify_and_validate(&case.token, jwt::public_key(), &case.options)
    };
    let valid = verify("seeds/jwt/valid").expect("the valid seed verifies");
    assert_eq!((valid.sub.as_str(), valid.exp), ("user_1", jwt::NOW + 60));
    assert_eq!(verify("seeds/jwt/org").unwrap().o.unwrap().id, "org_1");
    assert!(matches!(verify("seeds/jwt/expired"), Err(VerifyError::Expired { .. })));
    assert!(matches!(verify("seeds/jwt/alg-none"), Err(VerifyError::InvalidAlgorithm(_))));
    assert!(matches!(verify("seeds/jwt/m2m"), Err(VerifyError::InvalidCategory(_))));
}

#[test]
fn publishable_key_inputs_replay_without_panics_or_broken_invariants() {
    for (path, data) in inputs("publishable_key") {
        eprintln!("replaying {}", path.display());
        publishable_key::check(&publishable_key::key_text(&data));
    }
}

#[test]
fn publishable_key_seeds_parse_as_they_did() {
    let parse = |name| clerk_token::parse_publishable_key(&publishable_key::key_text(&input("publishable_key", name)));
    let test = parse("seeds/publishable_key/test").unwrap();
    assert_eq!((test.instance_type, test.frontend_api.as_str()), (InstanceType::Development, "clerk.example.com"));
    let host = parse("seeds/publishable_key/host").unwrap();
    assert_eq!((host.instance_type, host.frontend_api.as_str()), (InstanceType::Development, "127.0.0.1:4001"));
    assert!(parse("seeds/publishable_key/bad").is_err(), "localhost has no dot");
}
