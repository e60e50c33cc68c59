//! Running the real clerk-js against a test server: where it is, and a node driver's answer.

use serde_json::Value;

/// clerk-js's `dist` folder, or `None` (the test is skipped) when clerk-js, playwright-core
/// or Chromium is missing.
pub fn clerk_js_dist(root: &std::path::Path) -> Option<std::path::PathBuf> {
    let dist = root.join("tests/js/node_modules/@clerk/clerk-js/dist");
    let playwright = root.join("../tests/js/node_modules/playwright-core");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !dist.exists() || !playwright.exists() || !std::path::Path::new(&chromium).exists() {
        // `make test` installs them and sets this, so there the check can never be skipped.
        assert!(std::env::var_os("CLERK_REQUIRE_REAL_CLIENTS").is_none(), "clerk-js, playwright-core or chromium missing");
        eprintln!("SKIP: clerk-js, playwright-core or chromium missing (run .ci/setup)");
        return None;
    }
    Some(dist)
}

/// A folder to serve with `--www`: clerk-js at `/clerk/`, and `page.html` loading it for the
/// publishable key `pk` against `url`.
pub fn clerk_js_site(dist: &std::path::Path, www: &std::path::Path, pk: &str, url: &str) {
    std::os::unix::fs::symlink(dist, www.join("clerk")).unwrap();
    let page = format!(
        r#"<!doctype html><html><body><script src="/clerk/clerk.browser.js" data-clerk-publishable-key="{pk}" data-clerk-proxy-url="{url}"></script></body></html>"#
    );
    std::fs::write(www.join("page.html"), page).unwrap();
}

/// Runs `tests/js/SCRIPT ARGS…` with node; returns the JSON it prints last.
pub async fn node(root: &std::path::Path, script: &str, args: &[String]) -> Value {
    let mut argv = vec![root.join("tests/js").join(script).display().to_string()];
    argv.extend_from_slice(args);
    let out = tokio::task::spawn_blocking(move || std::process::Command::new("node").args(&argv).output().unwrap()).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{script}: {stdout}\n{stderr}");
    serde_json::from_str(stdout.trim().lines().last().unwrap()).unwrap()
}
