//! Issue 13's flows in the real @clerk/clerk-js 6.40 in headless Chromium against the server
//! (`tests/js/clerk_js_flows.mjs`): the control for clerk-rs's browser tests of the same flows.
//! Skipped when Chromium or the node packages are missing.

mod common;

use common::real_clients::{clerk_js_dist, clerk_js_site, node};
use common::*;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clerk_js_oauth_and_email_link_flows() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(dist) = clerk_js_dist(root) else { return };
    let site = tempfile::tempdir().unwrap();
    let www = site.path().to_path_buf();
    let t = TestServer::start_with(|c| c.www = Some(www.clone())).await;
    let url = t.server.url();
    clerk_js_site(&dist, &www, &t.server.state.publishable_key, &url);
    let r = node(root, "clerk_js_flows.mjs", &[url.clone(), "full".into()]).await;
    eprintln!("clerk-js flows: {r}");

    // clerk-js reads the advertised strategies.
    assert_eq!(r["environment"]["social"], json!(["oauth_github", "oauth_google"]), "{r}");
    assert_eq!(r["environment"]["authenticatable"], json!(["oauth_github", "oauth_google"]), "{r}");
    assert_eq!(r["environment"]["emailFactors"], json!(["email_code", "email_link"]), "{r}");

    // OAuth sign-in: handleRedirectCallback sets the session active and goes on.
    let a = &r["oauthSignIn"];
    assert_eq!(a["user"], "bob@example.com", "{r}");
    assert_eq!(a["providers"], json!(["google"]), "{r}");
    assert_eq!(a["nav"], "/page.html?done=1", "{r}");
    // A new account: transferred to a sign-up that completes.
    let b = &r["oauthTransfer"];
    assert_eq!((b["user"].as_str(), b["firstName"].as_str()), (Some("newbie@example.com"), Some("Newbie")), "{r}");
    assert_eq!(b["providers"], json!(["github"]), "{r}");
    assert!(b["session"].is_string(), "{r}");
    // signUp.authenticateWithRedirect for that account now: transferred to a sign-in.
    let c = &r["oauthSignUpExisting"];
    assert_eq!(c["user"], "newbie@example.com", "{r}");
    // Cancelled at the provider: nobody signed in, the verification says why, clerk-js goes
    // back to its sign-in page.
    let d = &r["oauthCancel"];
    assert_eq!(d["session"], Value::Null, "{r}");
    assert_eq!((d["signInStatus"].as_str(), d["signInError"].as_str()), (Some("failed"), Some("oauth_access_denied")), "{r}");
    assert_eq!(d["nav"], "/page.html?signin=1", "{r}");

    // Email link: the link's tab signs in on the same client; the waiting tab learns of it.
    assert!(r["linkPage"]["session"].is_string(), "{r}");
    assert_eq!(r["linkPage"]["nav"], "/page.html?done=1", "{r}");
    assert_eq!(r["waiting"]["verification"], "verified", "{r}");
    assert_eq!(r["waiting"]["status"], "complete", "{r}");
    assert_eq!(r["waiting"]["created"], r["linkPage"]["session"], "{r}");
    assert_eq!(r["waiting"]["user"], "bob@example.com", "{r}");
    assert_eq!(r["replayed"]["error"], "failed", "{r}");
    assert_eq!(r["expiredPage"]["error"], "expired", "{r}");
    assert_eq!(r["expiredWaiting"]["verification"], "expired", "{r}");
    assert_eq!(r["cancelled"]["settled"], false, "{r}");
    t.server.stop().await;

    // Strategies switched off: clerk-js sees none, and the server refuses them.
    let site = tempfile::tempdir().unwrap();
    let www = site.path().to_path_buf();
    let t = TestServer::start_with(|c| {
        c.www = Some(www.clone());
        c.strategies = Some(vec!["password".into(), "email_code".into()]);
    })
    .await;
    let url = t.server.url();
    clerk_js_site(&dist, &www, &t.server.state.publishable_key, &url);
    let r = node(root, "clerk_js_flows.mjs", &[url, "restricted".into()]).await;
    let x = &r["restricted"];
    assert_eq!(x["social"], json!([]), "{r}");
    assert_eq!(x["emailFactors"], json!(["email_code"]), "{r}");
    assert_eq!(x["refused"], json!({"status": 422, "code": "form_param_value_invalid", "param": "strategy"}), "{r}");
    t.server.stop().await;
}
