//! Passkeys with the real @clerk/clerk-js 6.40 in headless Chromium and a virtual authenticator
//! (server/tests/js/clerk_js_passkeys.mjs): registration and sign-in verified by webauthn-rs on
//! the server, a replayed assertion refused, the lockout. Skipped like the other clerk-js tests
//! when Chromium or the node packages are missing.

mod common;

use common::*;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clerk_js_creates_a_passkey_and_signs_in_with_it() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dist = root.join("tests/js/node_modules/@clerk/clerk-js/dist");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !dist.exists() || !root.join("../tests/js/node_modules/playwright-core").exists() || !std::path::Path::new(&chromium).exists() {
        assert!(std::env::var_os("CLERK_REQUIRE_REAL_CLIENTS").is_none(), "clerk-js, playwright-core or chromium missing");
        eprintln!("SKIP: clerk-js, playwright-core or chromium missing (run .ci/setup)");
        return;
    }
    let site = tempfile::tempdir().unwrap();
    let www = site.path().to_path_buf();
    std::os::unix::fs::symlink(&dist, www.join("clerk")).unwrap();
    let t = TestServer::start_with(|c| c.www = Some(www.clone())).await;
    // The page and the Frontend API both on http://localhost:PORT: an IP address is no RP ID.
    let local = t.server.url().replace("127.0.0.1", "localhost");
    let pk = &t.server.state.publishable_key;
    std::fs::write(
        www.join("passkeys.html"),
        format!(r#"<!doctype html><html><body><script src="/clerk/clerk.browser.js" data-clerk-publishable-key="{pk}" data-clerk-proxy-url="{local}"></script></body></html>"#),
    )
    .unwrap();
    let script = root.join("tests/js/clerk_js_passkeys.mjs").display().to_string();
    let args = vec![script, format!("{local}/passkeys.html"), local.clone()];
    let out = tokio::task::spawn_blocking(move || std::process::Command::new("node").args(&args).output().unwrap()).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_str(stdout.trim().lines().last().unwrap()).unwrap();
    eprintln!("clerk-js passkeys: {r}");
    assert_eq!(r["beforeCreate"], 0, "{r}");
    assert_eq!(r["created"], json!(["verified", "string", "Passkey 1"]), "{r}");
    assert_eq!(r["userPasskeys"], json!(["verified"]), "{r}");
    assert_eq!(r["factors"], json!(["passkey"]), "{r}");
    assert_eq!(r["signedIn"], json!(["complete", "string", "passkey"]), "{r}");
    assert_eq!(r["user"], "bob@example.com", "{r}");
    assert_eq!(r["lastUsed"], true, "{r}");
    assert_eq!(r["replayed"], json!([422, "passkey_invalid"]), "{r}");
    assert_eq!(r["afterReplay"], json!([422, "verification_missing"]), "{r}");
    assert_eq!(r["locked"], json!([429, "too_many_requests"]), "{r}");
    assert_eq!(r["noCredential"], "passkey_retrieval_cancelled", "{r}");
    t.server.stop().await;
}
