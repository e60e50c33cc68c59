//! The script builds Clerk's framework SDKs load, served where they look for them.
//!
//! `@clerk/nextjs`, `@clerk/vue`, `@clerk/astro`, … do not bundle clerk-js: they inject
//! `<script src="<proxy or Frontend API>/npm/@clerk/clerk-js@6/dist/clerk.browser.js">` and wait
//! for `window.Clerk`, and (unless told not to) `…/npm/@clerk/ui@1/dist/ui.browser.js` for the
//! prebuilt components. This module answers those paths from two folders given at start
//! (`--library`, `--ui`): the clerk-rs package (`pkg/`: `clerk.browser.js` and the
//! `clerk_bg.wasm` it loads from beside itself) and an installed `@clerk/ui`'s `dist/` (whose
//! chunks load from beside `ui.browser.js`). Nothing is built or rewritten here: the files go
//! out as they are on disk.
//!
//! Versions: the floating major the SDKs ask for by default (`@6`, `@1`) may change with the
//! next install, so it is cached briefly; the exact version of the files served (their
//! `package.json`'s) never changes its content, so it is cached for a year as immutable. Any
//! other version is a 404: this server has only the one.
//! Both are fetched cross-origin by `crossorigin="anonymous"` scripts (and the wasm by `fetch`),
//! hence `Access-Control-Allow-Origin: *` (an allowed origin gets it echoed by the CORS layer).

use std::path::{Path, PathBuf};

use axum::Router;
use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower::ServiceExt;

use crate::AppState;
use crate::errors::ApiError;

/// What the SDKs ask for when not pinned: `@clerk/clerk-js@6`, `@clerk/ui@1`.
pub const CLERK_JS_MAJOR: &str = "6";
pub const UI_MAJOR: &str = "1";
/// The floating major's lifetime in caches (Clerk's CDN also keeps it short).
const FLOATING_CACHE: &str = "public, max-age=300";
const EXACT_CACHE: &str = "public, max-age=31536000, immutable";

/// One folder of files served under `/npm/@clerk/<package>@<version>/dist/`.
#[derive(Debug, Clone)]
pub struct Library {
    pub dir: PathBuf,
    /// The exact version of the files (their `package.json`'s), when one is found.
    pub version: Option<String>,
}

impl Library {
    /// The folder `dir`, with the version from `dir/package.json` or `dir/../package.json`
    /// (the clerk-rs package has its own; an npm package's `dist/` is one level down).
    pub fn open(dir: &Path) -> Library {
        let version = [dir.join("package.json"), dir.join("../package.json")].iter().find_map(|p| {
            let text = std::fs::read_to_string(p).ok()?;
            let json: serde_json::Value = serde_json::from_str(&text).ok()?;
            json.get("version")?.as_str().map(str::to_owned)
        });
        Library { dir: dir.to_owned(), version }
    }
}

/// The folders this server serves scripts from (`Config::library`, `Config::ui_library`).
#[derive(Debug, Clone, Default)]
pub struct Libraries {
    pub clerk_js: Option<Library>,
    pub ui: Option<Library>,
}

impl Libraries {
    pub fn open(clerk_js: Option<&Path>, ui: Option<&Path>) -> Libraries {
        Libraries { clerk_js: clerk_js.map(Library::open), ui: ui.map(Library::open) }
    }
}

/// A folder holding the script build, found where `clerk-server` is usually run from: `pkg/`
/// under the current directory, else the repository's `pkg/` beside the binary's
/// `target/<profile>/`. `None` when neither has `clerk.browser.js` (`.ci/build-package` makes it).
pub fn default_library() -> Option<PathBuf> {
    repo_candidates("pkg").into_iter().find(|dir| dir.join("clerk.browser.js").is_file())
}

/// `@clerk/ui`'s `dist/` as `.ci/setup` installs it (`server/ui/node_modules`), when present.
pub fn default_ui() -> Option<PathBuf> {
    repo_candidates("server/ui/node_modules/@clerk/ui/dist").into_iter().find(|dir| dir.join("ui.browser.js").is_file())
}

fn repo_candidates(relative: &str) -> Vec<PathBuf> {
    let mut out = vec![PathBuf::from(relative)];
    if let Some(repo) = std::env::current_exe().ok().and_then(|exe| exe.parent()?.parent()?.parent().map(Path::to_path_buf)) {
        out.push(repo.join(relative));
    }
    out
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/npm/@clerk/{package}/dist/{file}", get(serve))
}

/// `GET /npm/@clerk/{clerk-js|ui}@{version}/dist/{file}`.
async fn serve(State(st): State<AppState>, UrlPath((package, file)): UrlPath<(String, String)>, req: Request) -> Response {
    let not_found = || ApiError::not_found("file").into_response();
    let Some((name, version)) = package.split_once('@') else { return not_found() };
    let (library, major) = match name {
        "clerk-js" => (&st.libraries.clerk_js, CLERK_JS_MAJOR),
        "ui" => (&st.libraries.ui, UI_MAJOR),
        _ => return not_found(),
    };
    let Some(library) = library else { return not_found() };
    let cache = if version == major {
        FLOATING_CACHE
    } else if library.version.as_deref() == Some(version) {
        EXACT_CACHE
    } else {
        return not_found();
    };
    // One plain file of the folder: no hidden files, no sub-folders, nothing to climb out with.
    if file.starts_with('.') || !file.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)) {
        return not_found();
    }
    let path = library.dir.join(&file);
    if !path.is_file() {
        return not_found();
    }
    // ServeFile answers HEAD, ranges and If-Modified-Since; a GET's body streams from disk.
    let Ok(mut response) = tower_http::services::ServeFile::new(&path).oneshot(req).await;
    let headers = response.headers_mut();
    if let Some(kind) = content_type(&file) {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    // Pages with `Cross-Origin-Embedder-Policy: require-corp` may load it too.
    headers.insert("cross-origin-resource-policy", HeaderValue::from_static("cross-origin"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response.map(axum::body::Body::new).into_response()
}

/// The types browsers check: a script must be JavaScript (under `nosniff`) and the wasm
/// `application/wasm` to compile while it streams. Others: what `ServeFile` guessed.
fn content_type(file: &str) -> Option<&'static str> {
    match file.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js" | "mjs") => Some("text/javascript; charset=utf-8"),
        Some("wasm") => Some("application/wasm"),
        Some("map" | "json") => Some("application/json"),
        Some("css") => Some("text/css; charset=utf-8"),
        _ => None,
    }
}
