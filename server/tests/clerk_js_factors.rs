//! The real @clerk/clerk-js 6.40 in headless Chromium against the server: password reset,
//! backup codes, SMS codes and a sign-up that verifies an email address and a phone number (server/tests/js/clerk_js_factors.mjs), the control for clerk-rs's
//! tests/web_factors.rs. Skipped when Chromium or the node packages are missing, except under
//! `make test` (CLERK_REQUIRE_REAL_CLIENTS).

mod common;

use common::*;
use serde_json::{Value, json};

/// clerk-js's `dist` folder, or `None` (skip) when clerk-js, playwright-core or Chromium is missing.
fn clerk_js_dist(root: &std::path::Path) -> Option<std::path::PathBuf> {
    let dist = root.join("tests/js/node_modules/@clerk/clerk-js/dist");
    let playwright = root.join("../tests/js/node_modules/playwright-core");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !dist.exists() || !playwright.exists() || !std::path::Path::new(&chromium).exists() {
        assert!(std::env::var_os("CLERK_REQUIRE_REAL_CLIENTS").is_none(), "clerk-js, playwright-core or chromium missing");
        eprintln!("SKIP: clerk-js, playwright-core or chromium missing (run .ci/setup)");
        return None;
    }
    Some(dist)
}

/// Runs `tests/js/SCRIPT ARGS…` with node; returns the JSON it prints last.
async fn node(root: &std::path::Path, script: &str, args: &[String]) -> Value {
    let mut argv = vec![root.join("tests/js").join(script).display().to_string()];
    argv.extend_from_slice(args);
    let out = tokio::task::spawn_blocking(move || std::process::Command::new("node").args(&argv).output().unwrap()).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{script}: {stdout}\n{stderr}");
    serde_json::from_str(stdout.trim().lines().last().unwrap()).unwrap()
}

/// A `--dev` server serving clerk-js and a page that loads it, same origin.
async fn serve_clerk_js(www: &std::path::Path, dist: &std::path::Path) -> (TestServer, String) {
    std::os::unix::fs::symlink(dist, www.join("clerk")).unwrap();
    let dir = www.to_path_buf();
    let t = TestServer::start_with(|c| c.www = Some(dir)).await;
    let (url, pk) = (t.server.url(), t.server.state.publishable_key.clone());
    std::fs::write(
        www.join("page.html"),
        format!(r#"<!doctype html><html><body><script src="/clerk/clerk.browser.js" data-clerk-publishable-key="{pk}" data-clerk-proxy-url="{url}"></script></body></html>"#),
    )
    .unwrap();
    (t, format!("{url}/page.html"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clerk_js_resets_a_password_and_signs_in_with_backup_and_sms_codes() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(dist) = clerk_js_dist(root) else { return };
    let site = tempfile::tempdir().unwrap();
    let (t, page) = serve_clerk_js(site.path(), &dist).await;
    // Bob is signed in elsewhere; the reset asks to sign out other sessions.
    let elsewhere = t.browser();
    let old_sid = elsewhere.sign_in("bob@example.com").await;

    // Carol signs in with an SMS code, dave has SMS as his second factor.
    let carol = json!({"email_address": ["carol@example.com"], "password": PASSWORD, "phone_number": ["+12015550123"]});
    assert_eq!(t.bapi().post("/v1/users", Some(carol)).await.status, 200);
    let dave = t.bapi().post("/v1/users", Some(json!({"email_address": ["dave@example.com"], "password": PASSWORD}))).await;
    let phone = json!({"user_id": dave.body["id"], "phone_number": "+442079460958", "reserved_for_second_factor": true});
    assert_eq!(t.bapi().post("/v1/phone_numbers", Some(phone)).await.status, 200);

    let r = node(root, "clerk_js_factors.mjs", &[page, t.server.url()]).await;
    eprintln!("clerk-js factors: {r}");
    assert_eq!(r["resetFactor"], json!(["bob@example.com", "string"]), "{r}");
    assert_eq!(r["prepared"], json!(["unverified", "reset_password_email_code"]), "{r}");
    assert_eq!(r["wrongCode"], json!([422, "form_code_incorrect"]), "{r}");
    assert_eq!(r["afterCode"], "needs_new_password", "{r}");
    assert_eq!(r["reusedCode"], json!([422, "sign_in_status_invalid"]), "{r}");
    assert_eq!(r["shortPassword"], json!([422, "form_password_length_too_short"]), "{r}");
    assert_eq!(r["afterReset"], json!(["complete", "string"]), "{r}");
    assert_eq!(r["signedInAs"], "bob@example.com", "{r}");
    assert_eq!(r["oldPassword"], json!([422, "form_password_incorrect"]), "{r}");
    assert_eq!(r["newPassword"], "complete", "{r}");
    let gone = elsewhere.post(&format!("/v1/client/sessions/{old_sid}/tokens"), &[]).await;
    assert_eq!((gone.status.as_u16(), gone.code()), (401, "session_not_active"), "signed out of other sessions");

    assert_eq!(r["aliceFirst"], "needs_second_factor", "{r}");
    assert_eq!(r["secondFactors"], json!(["totp", "backup_code"]), "{r}");
    assert_eq!(r["wrongBackup"], json!([422, "form_code_incorrect"]), "{r}");
    assert_eq!(r["backupDone"], json!(["complete", "backup_code", "verified"]), "{r}");
    assert_eq!(r["backupCodeEnabled"], true, "{r}");
    assert_eq!(r["freshCodes"], json!([10, false]), "{r}");
    assert_eq!(r["reusedBackup"], json!([422, "form_code_incorrect"]), "{r}");
    assert_eq!(r["oldSetBackup"], json!([422, "form_code_incorrect"]), "{r}");
    assert_eq!(r["freshBackup"], "complete", "{r}");
    assert_eq!(r["locked"], json!([429, "too_many_requests"]), "{r}");

    assert_eq!(r["badNumber"], json!([422, "form_param_format_invalid"]), "{r}");
    assert_eq!(r["phoneFactor"], json!(["+12015550123", "string"]), "{r}");
    assert_eq!(r["phonePrepared"], json!(["unverified", "phone_code"]), "{r}");
    assert_eq!(r["phoneWrong"], json!([422, "form_code_incorrect"]), "{r}");
    assert_eq!(r["phoneDone"], "complete", "{r}");
    assert_eq!(r["carolPhone"], "+12015550123", "{r}");
    assert_eq!(r["daveFirst"], "needs_second_factor", "{r}");
    assert_eq!(r["daveSecondFactors"], json!([["phone_code", "+442079460958"]]), "{r}");
    assert_eq!(r["smsWrong"], json!([422, "form_code_incorrect"]), "{r}");
    assert_eq!(r["smsDone"], json!(["complete", "phone_code"]), "{r}");
    assert_eq!(r["daveTwoFactor"], true, "{r}");

    assert_eq!(r["badSignUpPhone"], json!([422, "form_param_format_invalid"]), "{r}");
    assert_eq!(
        r["signUpCreated"],
        json!(["missing_requirements", "+12015550177", [], ["email_address", "phone_number"], "needs_prepare"]),
        "{r}"
    );
    assert_eq!(r["afterEmail"], json!(["missing_requirements", ["phone_number"]]), "{r}");
    assert_eq!(r["signUpWrongSms"], json!([422, "form_code_incorrect"]), "{r}");
    assert_eq!(r["afterPhone"], json!(["complete", "string", []]), "{r}");
    assert_eq!(r["fay"], json!(["fay@example.com", "+12015550177"]), "{r}");
    t.server.stop().await;
}
