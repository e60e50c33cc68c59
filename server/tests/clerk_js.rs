//! The real @clerk/clerk-js 6.40 in headless Chromium against the server (same origin, cookie
//! identity). Skipped when Chromium or the node packages are missing
//! (`cd server/tests/js && npm ci`, plus tests/js's playwright-core).

mod common;

use common::real_clients::{clerk_js_dist, node};
use common::*;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clerk_js_signs_in_switches_org_and_mints_tokens() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(dist) = clerk_js_dist(root) else { return };
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
        let r = drive(root, &format!("{url}/{name}"), &url, &seeded.org_id, &server.state.secret_key, run as u64).await;
        check(&r, &seeded, &url);
    }
    let counters: Value = reqwest::get(format!("{url}/__dev/requests")).await.unwrap().json().await.unwrap();
    assert_eq!(counters["POST /v1/dev_browser"], 1, "{counters}");
    eprintln!("requests: {counters}");
    server.stop().await;
}

/// The client touch in Chromium: the dev clock moves until clerk-js's
/// `client.isEligibleForTouch()` is true; `setActive({redirectUrl})` then makes clerk-js
/// navigate through `client.buildTouchUrl()`, which extends the same client by the full
/// lifetime and lands on redirectUrl, signed in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clerk_js_touch_url_extends_the_client() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(dist) = clerk_js_dist(root) else { return };
    let site = tempfile::tempdir().unwrap();
    let www = site.path().to_path_buf();
    std::os::unix::fs::symlink(&dist, www.join("clerk")).unwrap();
    let t = TestServer::start_with(|c| c.www = Some(www.clone())).await;
    let url = t.server.url();
    let pk = &t.server.state.publishable_key;
    std::fs::write(
        www.join("page.html"),
        format!(r#"<!doctype html><html><body><script src="/clerk/clerk.browser.js" data-clerk-publishable-key="{pk}" data-clerk-proxy-url="{url}"></script></body></html>"#),
    )
    .unwrap();
    let r = node(root, "clerk_js_touch.mjs", &[format!("{url}/page.html"), url.clone()]).await;
    eprintln!("clerk-js touch: {r}");
    const DAY: i64 = 24 * 3600 * 1000;
    assert_eq!(r["lifetimeDays"], 400, "{r}");
    assert_eq!(r["eligibleAtFirst"], false, "{r}");
    assert_eq!(r["eligibleLater"], true, "{r}");
    let touch = r["touchUrl"].as_str().unwrap();
    assert!(touch.starts_with(&format!("{url}/v1/client/touch?redirect_url=")), "{touch}");
    assert_eq!(r["landedOn"], format!("{url}/page.html?touched=1"), "{r}");
    assert_eq!(r["clientIdAfter"], r["clientId"], "{r}");
    assert_eq!(r["sessionAfter"], r["sessionAgain"], "signed in on the page clerk-js landed on: {r}");
    let (before, after) = (r["expiresBefore"].as_i64().unwrap(), r["expiresAfter"].as_i64().unwrap());
    assert!(after - before >= 392 * DAY, "extended by the full lifetime from the server's now: {r}");
    let counters: Value = reqwest::get(format!("{url}/__dev/requests")).await.unwrap().json().await.unwrap();
    assert_eq!(counters["GET /v1/client/touch"], 1, "{counters}");
    t.server.stop().await;
}

async fn drive(root: &std::path::Path, page: &str, url: &str, org_id: &str, secret_key: &str, steps_ahead: u64) -> Value {
    let at = (clerk_server::util::now_ms() / 1000) as u64 + 30 * steps_ahead;
    let code = clerk_server::util::totp_at(clerk_server::seed::ALICE_TOTP_SECRET, at).unwrap();
    let args = [
        root.join("tests/js/clerk_js_drive.mjs").display().to_string(),
        page.to_owned(),
        url.to_owned(),
        org_id.to_owned(),
        code,
        secret_key.to_owned(),
    ];
    let out = tokio::task::spawn_blocking(move || std::process::Command::new("node").args(&args).output().unwrap()).await.unwrap();
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
    let (org, bob) = (seeded.org_id.as_str(), seeded.bob_id.as_str());
    assert_eq!(r["myMemberships"], serde_json::json!({"total": 1, "orgIds": [org], "roles": ["org:member"], "userIds": [bob]}), "{r}");
    assert_eq!(r["myInvitations"], serde_json::json!({"total": 0, "length": 0}), "{r}");
    assert_eq!(r["mySuggestions"], serde_json::json!({"total": 0, "length": 0}), "{r}");
    // Second page of one: alice joined first, so bob.
    assert_eq!(r["orgMembers"], serde_json::json!({"total": 2, "userIds": [bob]}), "{r}");
    assert_eq!(r["orgInvitationsAsMember"], serde_json::json!({"status": 403, "code": "authorization_invalid"}), "{r}");
    assert_eq!(r["aliceFirst"], "needs_second_factor", "{r}");
    assert_eq!(r["aliceStatus"], "complete", "{r}");
    assert_eq!(r["signedInSessions"], 2, "{r}");
    assert_eq!(r["activeUser"], "Alice", "{r}");
    assert_eq!(r["templateToken"]["email"], "alice@example.com", "{r}");
    assert_eq!(r["afterEnd"]["signedIn"], 1, "{r}");
    // An ended session stays in client.sessions ("remains in the Client object"), not signed in.
    assert_eq!(r["afterEnd"]["aliceListedAs"], "ended", "{r}");
    assert_eq!(r["afterReload"]["sessions"], 1, "{r}");
    assert_eq!(r["afterReload"]["user"], "Bob", "{r}");
    // A revoked session is still returned with its client; clerk-js lists it but is signed out.
    assert_eq!(r["afterRevoke"]["revokeStatus"], 200, "{r}");
    assert_eq!(r["afterRevoke"]["bobListedAs"], "revoked", "{r}");
    assert_eq!(r["afterRevoke"]["signedIn"], 0, "{r}");
    assert_eq!(r["afterRevoke"]["session"], Value::Null, "{r}");
    assert_eq!(r["afterRevoke"]["isSignedIn"], false, "{r}");
}
