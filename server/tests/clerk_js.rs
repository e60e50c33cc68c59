//! The real @clerk/clerk-js 6.40 in headless Chromium against the server (same origin, cookie
//! identity). Skipped when Chromium or the node packages are missing
//! (`cd server/tests/js && npm ci`, plus tests/js's playwright-core).

mod common;

use common::*;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clerk_js_signs_in_switches_org_and_mints_tokens() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dist = root.join("tests/js/node_modules/@clerk/clerk-js/dist");
    let playwright = root.join("../tests/js/node_modules/playwright-core");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !dist.exists() || !playwright.exists() || !std::path::Path::new(&chromium).exists() {
        // `make test` installs them and sets this, so there the check can never be skipped.
        assert!(std::env::var_os("CLERK_REQUIRE_REAL_CLIENTS").is_none(), "clerk-js, playwright-core or chromium missing");
        eprintln!("SKIP: clerk-js, playwright-core or chromium missing (run .ci/setup)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let www = dir.path().join("www");
    std::fs::create_dir_all(&www).unwrap();
    std::os::unix::fs::symlink(&dist, www.join("clerk")).unwrap();
    let mut cfg = config(common::db_in(&dir, "clerk.db"), 60);
    cfg.www = Some(www.clone());
    let server = clerk_server::start(cfg).await.unwrap();
    let store = server.state.store.clone();
    let seeded = tokio::task::spawn_blocking(move || clerk_server::seed::seed(&*store)).await.unwrap().unwrap();
    let url = server.url();
    // Two runs: a key for 127.0.0.1 (cookie identity), and a key for a Clerk development host,
    // which makes clerk-js use the dev browser (`POST /v1/dev_browser`, `__clerk_db_jwt`).
    let dev_pk = clerk_token::encode_publishable_key(clerk_token::InstanceType::Development, "clerk.stub.accounts.dev");
    // A TOTP code is good once: the second run uses the next step's code (still in the window).
    for (run, (name, pk)) in [("page.html", server.state.publishable_key.clone()), ("dev.html", dev_pk)].into_iter().enumerate() {
        let page = format!(
            r#"<!doctype html><html><body><script src="/clerk/clerk.browser.js" data-clerk-publishable-key="{pk}" data-clerk-proxy-url="{url}"></script></body></html>"#
        );
        std::fs::write(www.join(name), page).unwrap();
        let r = drive(root, &format!("{url}/{name}"), &url, &seeded.org_id, run as u64).await;
        check(&r, &seeded, &url);
    }
    let counters: Value = reqwest::get(format!("{url}/__dev/requests")).await.unwrap().json().await.unwrap();
    assert_eq!(counters["POST /v1/dev_browser"], 1, "{counters}");
    eprintln!("requests: {counters}");
    server.stop().await;
}

async fn drive(root: &std::path::Path, page: &str, url: &str, org_id: &str, steps_ahead: u64) -> Value {
    let at = (clerk_server::util::now_ms() / 1000) as u64 + 30 * steps_ahead;
    let code = clerk_server::util::totp_at(clerk_server::seed::ALICE_TOTP_SECRET, at).unwrap();
    let args = [
        root.join("tests/js/clerk_js_drive.mjs").display().to_string(),
        page.to_owned(),
        url.to_owned(),
        org_id.to_owned(),
        code,
    ];
    let out = tokio::task::spawn_blocking(move || std::process::Command::new("node").args(&args).output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{page}: {stdout}\n{stderr}");
    serde_json::from_str(stdout.trim().lines().last().unwrap()).unwrap()
}

fn check(r: &Value, seeded: &clerk_server::seed::Seeded, url: &str) {
    assert_eq!(r["loadedSignedOut"], true, "{r}");
    assert_eq!(r["bobStatus"], "complete", "{r}");
    assert_eq!(r["bobUser"], "bob@example.com", "{r}");
    assert_eq!(r["bobToken"]["sub"], seeded.bob_id.as_str(), "{r}");
    assert_eq!(r["bobToken"]["azp"], url, "{r}");
    assert_eq!(r["orgToken"]["o"]["id"], seeded.org_id.as_str(), "{r}");
    assert_eq!(r["orgToken"]["o"]["rol"], "member", "{r}");
    assert_eq!((r["isMember"].as_bool(), r["isAdmin"].as_bool()), (Some(true), Some(false)), "{r}");
    assert_eq!(r["orgName"], "Acme", "{r}");
    assert_eq!(r["aliceFirst"], "needs_second_factor", "{r}");
    assert_eq!(r["aliceStatus"], "complete", "{r}");
    assert_eq!(r["signedInSessions"], 2, "{r}");
    assert_eq!(r["activeUser"], "Alice", "{r}");
    assert_eq!(r["templateToken"]["email"], "alice@example.com", "{r}");
    assert_eq!(r["afterEnd"]["signedIn"], 1, "{r}");
    assert_eq!(r["afterReload"]["sessions"], 1, "{r}");
    assert_eq!(r["afterReload"]["user"], "Bob", "{r}");
}
