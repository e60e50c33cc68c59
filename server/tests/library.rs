//! The script builds served for Clerk's framework SDKs (`server/src/library.rs`) over real HTTP:
//! the paths the SDKs build, their Content-Types, CORS and caching headers, and what is refused.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

/// A folder shaped like the clerk-rs package (`pkg/`) and one like `@clerk/ui`'s `dist/`
/// (its `package.json` one level up, as in node_modules).
fn folders(root: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("clerk.browser.js"), "window.Clerk = 1;\n").unwrap();
    std::fs::write(pkg.join("clerk_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(pkg.join("package.json"), r#"{"name":"clerk-rs","version":"0.1.0"}"#).unwrap();
    std::fs::write(pkg.join(".hidden"), "no").unwrap();
    std::fs::create_dir_all(pkg.join("sub")).unwrap();
    std::fs::write(pkg.join("sub/inner.js"), "no").unwrap();
    let ui = root.join("ui/dist");
    std::fs::create_dir_all(&ui).unwrap();
    std::fs::write(ui.join("ui.browser.js"), "window.__internal_ClerkUICtor = 1;\n").unwrap();
    std::fs::write(ui.join("signin_ui_abc_1.36.0.js"), "1;\n").unwrap();
    std::fs::write(root.join("ui/package.json"), r#"{"name":"@clerk/ui","version":"1.36.0"}"#).unwrap();
    (pkg, ui)
}

async fn server_with_folders() -> (TestServer, tempfile::TempDir) {
    let files = tempfile::tempdir().unwrap();
    let (pkg, ui) = folders(files.path());
    let t = TestServer::start_with(|c| {
        c.library = Some(pkg);
        c.ui_library = Some(ui);
    })
    .await;
    (t, files)
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    r.headers().get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_script_build_and_its_wasm_at_the_paths_the_sdks_build() {
    let (t, _files) = server_with_folders().await;
    let http = reqwest::Client::new();

    let r = http.get(t.url("/npm/@clerk/clerk-js@6/dist/clerk.browser.js")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), Some("text/javascript; charset=utf-8"));
    assert_eq!(header(&r, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(&r, "cache-control"), Some("public, max-age=300"));
    assert_eq!(header(&r, "x-content-type-options"), Some("nosniff"));
    assert_eq!(header(&r, "cross-origin-resource-policy"), Some("cross-origin"));
    assert!(header(&r, "last-modified").is_some());
    assert_eq!(r.text().await.unwrap(), "window.Clerk = 1;\n");

    let r = http.get(t.url("/npm/@clerk/clerk-js@6/dist/clerk_bg.wasm")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), Some("application/wasm"));
    assert_eq!(header(&r, "access-control-allow-origin"), Some("*"));
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"\0asm\x01\0\0\0");

    // The exact version of the files served: immutable.
    let r = http.get(t.url("/npm/@clerk/clerk-js@0.1.0/dist/clerk.browser.js")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "cache-control"), Some("public, max-age=31536000, immutable"));
    let r = http.get(t.url("/npm/@clerk/clerk-js@0.1.0/dist/clerk_bg.wasm")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), Some("application/wasm"));

    // HEAD answers the headers alone.
    let r = http.head(t.url("/npm/@clerk/clerk-js@6/dist/clerk.browser.js")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), Some("text/javascript; charset=utf-8"));
    assert_eq!(header(&r, "content-length"), Some("18"));
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_page_origin_may_load_them() {
    let (t, _files) = server_with_folders().await;
    let http = reqwest::Client::new();
    // An allowed origin (any loopback one in --dev) gets itself echoed by the CORS layer, which
    // a `crossorigin="anonymous"` script accepts as well as `*`.
    let r = http.get(t.url("/npm/@clerk/clerk-js@6/dist/clerk_bg.wasm")).header("origin", "http://localhost:3000").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "access-control-allow-origin"), Some("http://localhost:3000"));
    // Any other site still may load the script: `*` (an anonymous request sends no credentials,
    // so the CORS layer's `Access-Control-Allow-Credentials` does not apply to it).
    let r =
        http.get(t.url("/npm/@clerk/clerk-js@6/dist/clerk.browser.js")).header("origin", "https://app.example.com").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "access-control-allow-origin"), Some("*"));
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clerk_ui_and_its_chunks_beside_it() {
    let (t, _files) = server_with_folders().await;
    let http = reqwest::Client::new();
    for path in ["/npm/@clerk/ui@1/dist/ui.browser.js", "/npm/@clerk/ui@1/dist/signin_ui_abc_1.36.0.js"] {
        let r = http.get(t.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(header(&r, "content-type"), Some("text/javascript; charset=utf-8"), "{path}");
        assert_eq!(header(&r, "cache-control"), Some("public, max-age=300"), "{path}");
        assert_eq!(header(&r, "access-control-allow-origin"), Some("*"), "{path}");
    }
    let r = http.get(t.url("/npm/@clerk/ui@1.36.0/dist/ui.browser.js")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "cache-control"), Some("public, max-age=31536000, immutable"));
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_versions_packages_and_files_are_typed_404s() {
    let (t, _files) = server_with_folders().await;
    let http = reqwest::Client::new();
    for path in [
        "/npm/@clerk/clerk-js@5/dist/clerk.browser.js",
        "/npm/@clerk/clerk-js@6.40.0/dist/clerk.browser.js",
        "/npm/@clerk/clerk-js/dist/clerk.browser.js",
        "/npm/@clerk/ui@0.1.0/dist/ui.browser.js",
        "/npm/@clerk/clerk-react@6/dist/clerk.browser.js",
        "/npm/@clerk/clerk-js@6/dist/missing.js",
        "/npm/@clerk/clerk-js@6/dist/.hidden",
        "/npm/@clerk/clerk-js@6/dist/package.json%2F..%2F..%2Fclerk.db",
        "/npm/@clerk/clerk-js@6/dist/sub",
        "/npm/@clerk/clerk-js@6/dist/sub/inner.js",
    ] {
        let r = http.get(t.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(header(&r, "content-type"), Some("application/json"), "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["errors"][0]["code"], "resource_not_found", "{path}");
    }
    let r = http.post(t.url("/npm/@clerk/clerk-js@6/dist/clerk.browser.js")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_folders_nothing_is_served() {
    // With no --library, --ui and --www there is no static content at all.
    let t = TestServer::start().await;
    let http = reqwest::Client::new();
    for path in ["/npm/@clerk/clerk-js@6/dist/clerk.browser.js", "/npm/@clerk/ui@1/dist/ui.browser.js", "/", "/index.html"] {
        let r = http.get(t.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["errors"][0]["code"], "resource_not_found", "{path}");
    }
    t.server.stop().await;
}
