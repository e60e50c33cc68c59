//! Clerk's Python Backend SDK, `clerk-backend-api` 7.0 from PyPI, against the server unchanged.
//! `.ci/setup` installs it in `server/tests/py/.venv`; `make test` requires this check to run.

mod common;

use common::*;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_backend_sdk_sessions_jwks_and_verify_token() {
    let python = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/.venv/bin/python");
    if !python.exists() {
        assert!(std::env::var_os("CLERK_REQUIRE_REAL_CLIENTS").is_none(), "the Python SDK venv is missing");
        eprintln!("SKIP: clerk-backend-api is not installed (run .ci/setup)");
        return;
    }
    let t = TestServer::start().await;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/sdk_check.py");
    let base = t.url("").trim_end_matches('/').to_owned();
    let (sk, bob) = (t.sk(), t.seeded.bob_id.clone());
    let output =
        tokio::task::spawn_blocking(move || std::process::Command::new(python).arg(script).args([&base, &sk, &bob, "-"]).output().unwrap())
            .await
            .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "sdk_check.py failed: {stderr}");
    let out: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert_eq!(out["created"], json!(["session", "active", true]));
    assert_eq!(out["listed"], true, "bare-array list parsed by the SDK");
    assert_eq!(out["got"], true);
    assert_eq!(out["token"], "token");
    assert_eq!(out["template_token"], true);
    assert_eq!(out["jwks"], json!(["RSA"]));
    assert_eq!(out["verified_sid"], true, "the SDK's verify_token accepts our token via /v1/jwks");
    assert_eq!(out["revoked"], "revoked");
    assert_eq!(out["missing"][0], "ClerkErrors", "{out}");
    assert_eq!(out["list_without_filter"], json!(["ClerkErrors", "form_param_missing"]), "{out}");
    t.server.stop().await;
}
